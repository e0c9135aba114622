import { decidedSlotsOf, type DecidedSlot } from '@evpaxos/runtime';
import type { TailedLine } from './log-tail';

interface EvSummaryRecord {
  evId: string;
  chargePointId: string;
  states: string[];
  energyWh: number;
  profileReceived: boolean;
  problems?: string[];
}

/**
 * Turns the processes' log events into the demo's live timeline: one readable line per EV and
 * EVSE transition, decided command (once per slot, with its ballot), leadership change, scenario
 * step and change of the site's power split. Collects what the summary needs on the way.
 */
export class Timeline {
  private readonly slotsSeen = new Set<number>();
  private readonly power = new Map<string, number>();
  private lastPowerLine = '';
  private renewals = 0;
  readonly commandsByType = new Map<string, number>();
  readonly leaderChanges: string[] = [];
  readonly evSummaries: EvSummaryRecord[] = [];
  /** Energy of the ended sessions by the stations' meters, as agreed (docs/OCPP.md), Wh. */
  readonly meteredWh = new Map<string, number>();
  scenarioDone = false;
  private scenarioStartRealMs: number | undefined;
  /** Lines held back so that lines from different logs print in time order (see flush). */
  private pending: { keyMs: number; arrivedMs: number; line: string }[] = [];
  private keyMs = -1;

  constructor(
    private readonly speed: number,
    private readonly siteLimitW: number,
    private readonly print: (line: string) => void,
  ) {}

  get decisions(): number {
    return this.slotsSeen.size;
  }

  get leaseRenewals(): number {
    return this.renewals;
  }

  /**
   * The line's scenario time as `[m:ss]`; also sets the key it is ordered by. A line without its
   * own scenarioMs is placed by its log timestamp against the scenario's start *as logged* (not
   * when the demo read it: a poll later is seconds of scenario time at 10×).
   */
  private clock(record: Readonly<Record<string, unknown>>): string {
    let scenarioMs = typeof record.scenarioMs === 'number' ? record.scenarioMs : undefined;
    if (scenarioMs === undefined && this.scenarioStartRealMs !== undefined) {
      const at = timestampOf(record) ?? Date.now();
      scenarioMs = Math.max(0, (at - this.scenarioStartRealMs) * this.speed);
    }
    this.keyMs = scenarioMs ?? -1;
    if (scenarioMs === undefined) return '[boot]';
    const seconds = Math.floor(scenarioMs / 1000);
    return `[${String(Math.floor(seconds / 60)).padStart(2)}:${String(seconds % 60).padStart(2, '0')}]`;
  }

  accept({ source, record }: TailedLine): void {
    const message = record.message;
    const at = this.clock(record);
    switch (message) {
      case 'became-leader': {
        const ballot = record.ballot as { round: number; proposerId: string } | undefined;
        this.leaderChanges.push(source);
        this.emit(
          `${at} ⚑ ${source} leads with ballot ${ballot ? `${ballot.round}.${ballot.proposerId}` : '?'}`,
        );
        return;
      }
      case 'decided':
        // A line per second of a node's applied slots (docs/CLUSTER.md, "The decided record").
        for (const slot of decidedSlotsOf(record, timestampOf(record) ?? null)) this.decided(slot);
        return;
      case 'evse-transition':
        this.emit(
          `${at}   ${String(record.chargePointId).padEnd(4)} EVSE ${record.from} → ${record.to}  (${record.event}${record.evId ? `, ${record.evId}` : ''})`,
        );
        return;
      case 'ev-transition':
        this.emit(
          `${at}   ${String(record.evId).padEnd(4)} EV   ${record.from} → ${record.to}  (at ${record.chargePointId})`,
        );
        return;
      case 'scenario-step':
        this.emit(
          `${at} ▶ scenario: ${JSON.stringify(record.step)}${record.ok === false ? ' (FAILED)' : ''}`,
        );
        return;
      case 'scenario-start':
      case 'scenario-started':
        this.scenarioStartRealMs = startOf(record);
        return;
      case 'power': {
        this.power.set(String(record.chargePointId), Number(record.powerW) || 0);
        this.printPower(at);
        return;
      }
      case 'ev-summary':
        this.evSummaries.push(record as unknown as EvSummaryRecord);
        return;
      case 'session-ended': {
        // The central's record of an agreed StopSession: the energy by the station's meter.
        const chargePointId = String(record.chargePointId);
        const energyWh = typeof record.energyWh === 'number' ? record.energyWh : 0;
        this.meteredWh.set(chargePointId, (this.meteredWh.get(chargePointId) ?? 0) + energyWh);
        return;
      }
      case 'scenario-done':
        this.scenarioDone = true;
        return;
      default:
        if (message === 'ready' && source === 'ev-emulator') {
          this.scenarioStartRealMs = startOf(record);
        }
    }
  }

  /**
   * One decided slot, once: from a record with its commands (a central's; a charge point's digest
   * names no command), at the time it was applied, with its ballot.
   */
  private decided(slot: DecidedSlot): void {
    if (this.slotsSeen.has(slot.slot) || (slot.commands === undefined && slot.count > 0)) return;
    this.slotsSeen.add(slot.slot);
    const at = this.clock({ timestamp: new Date(slot.atMs ?? Date.now()).toISOString() });
    const types = (slot.commands ?? []).map((command) =>
      typeof command.type === 'string' ? command.type : 'command',
    );
    for (const type of types)
      this.commandsByType.set(type, (this.commandsByType.get(type) ?? 0) + 1);
    const shown = types.filter((type) => type !== 'RenewLeases');
    this.renewals += types.length - shown.length;
    // Lease renewals (one command per interval for the whole site) are frequent and dull:
    // counted, not printed.
    if (shown.length === 0) return;
    const ballot = slot.ballot ? `${slot.ballot.round}.${slot.ballot.proposerId}` : '?';
    this.emit(
      `${at}   slot ${String(slot.slot).padStart(4)} ballot ${ballot}  ${shown.join(', ')}`,
    );
  }

  /** Only the charge points that draw something, and only when the split changed. */
  private printPower(at: string): void {
    const parts = [...this.power.entries()]
      .filter(([, watts]) => watts > 0)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, watts]) => `${id} ${(watts / 1000).toFixed(1)}`);
    const total = [...this.power.values()].reduce((sum, watts) => sum + watts, 0);
    const line = `power kW: ${parts.join(' | ') || 'none'} — total ${(total / 1000).toFixed(1)} of ${(this.siteLimitW / 1000).toFixed(1)}`;
    if (line === this.lastPowerLine) return;
    this.lastPowerLine = line;
    this.emit(`${at}   ${line}`);
  }

  noteScenarioStart(): void {
    this.scenarioStartRealMs ??= Date.now();
  }

  /** Holds a line until flush; lines are printed in scenario-time order. */
  private emit(line: string): void {
    this.pending.push({ keyMs: this.keyMs, arrivedMs: Date.now(), line });
  }

  /**
   * Prints, in scenario-time order, the held lines that arrived more than holdMs ago (the logs of
   * different processes are read one after the other, and a process may write a moment late), or
   * all of them with holdMs 0. Equal times keep the order they arrived in (a stable sort).
   */
  flush(nowMs: number = Date.now(), holdMs = FLUSH_HOLD_MS): void {
    const ready = this.pending.filter((entry) => nowMs - entry.arrivedMs >= holdMs);
    if (ready.length === 0) return;
    const horizon = Math.max(...ready.map((entry) => entry.keyMs));
    // Anything held with a time at or before the newest line printed goes out with it.
    const out = this.pending.filter((entry) => ready.includes(entry) || entry.keyMs <= horizon);
    this.pending = this.pending.filter((entry) => !out.includes(entry));
    out.sort((a, b) => a.keyMs - b.keyMs);
    for (const entry of out) this.print(entry.line);
  }
}

/**
 * How long the demo holds a timeline line for lines with an earlier time to arrive, ms: a second
 * for the logs read one after the other, and a second more for a node's decided record, written
 * once a second (docs/CLUSTER.md, "The decided record").
 */
export const FLUSH_HOLD_MS = 2_000;

function timestampOf(record: Readonly<Record<string, unknown>>): number | undefined {
  const at = typeof record.timestamp === 'string' ? Date.parse(record.timestamp) : NaN;
  return Number.isFinite(at) ? at : undefined;
}

/** The real time the scenario started at, from its start line (its time minus its scenarioMs). */
function startOf(record: Readonly<Record<string, unknown>>): number {
  const at = timestampOf(record) ?? Date.now();
  return typeof record.scenarioMs === 'number' ? at - record.scenarioMs : at;
}

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

  private clock(record: Readonly<Record<string, unknown>>): string {
    let scenarioMs = typeof record.scenarioMs === 'number' ? record.scenarioMs : undefined;
    if (scenarioMs === undefined && this.scenarioStartRealMs !== undefined) {
      const at = typeof record.timestamp === 'string' ? Date.parse(record.timestamp) : Date.now();
      scenarioMs = Math.max(0, (at - this.scenarioStartRealMs) * this.speed);
    }
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
        this.print(
          `${at} ⚑ ${source} leads with ballot ${ballot ? `${ballot.round}.${ballot.proposerId}` : '?'}`,
        );
        return;
      }
      case 'decided': {
        const slot = record.slot as number;
        if (this.slotsSeen.has(slot)) return;
        this.slotsSeen.add(slot);
        const ballot = record.ballot as { round: number; proposerId: string };
        const commands = (record.commands as { type?: string | null }[] | undefined) ?? [];
        const types = commands.map((command) => command.type ?? 'command');
        for (const type of types)
          this.commandsByType.set(type, (this.commandsByType.get(type) ?? 0) + 1);
        const shown = types.filter((type) => type !== 'RenewLease');
        this.renewals += types.length - shown.length;
        // Lease renewals are frequent and dull: counted, not printed.
        if (shown.length === 0) return;
        this.print(
          `${at}   slot ${String(slot).padStart(4)} ballot ${ballot.round}.${ballot.proposerId}  ${shown.join(', ')}`,
        );
        return;
      }
      case 'evse-transition':
        this.print(
          `${at}   ${String(record.chargePointId).padEnd(4)} EVSE ${record.from} → ${record.to}  (${record.event}${record.evId ? `, ${record.evId}` : ''})`,
        );
        return;
      case 'ev-transition':
        this.print(
          `${at}   ${String(record.evId).padEnd(4)} EV   ${record.from} → ${record.to}  (at ${record.chargePointId})`,
        );
        return;
      case 'scenario-step':
        this.print(
          `${at} ▶ scenario: ${JSON.stringify(record.step)}${record.ok === false ? ' (FAILED)' : ''}`,
        );
        return;
      case 'scenario-start':
      case 'scenario-started':
        this.scenarioStartRealMs = Date.now();
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
        if (message === 'ready' && source === 'ev-emulator') this.scenarioStartRealMs = Date.now();
    }
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
    this.print(`${at}   ${line}`);
  }

  noteScenarioStart(): void {
    this.scenarioStartRealMs ??= Date.now();
  }
}

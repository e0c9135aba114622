import * as fs from 'node:fs';
import * as path from 'node:path';
import { decidedSlotsOf } from '@evpaxos/runtime';
import { siteConfigSection } from '@evpaxos/site';

export interface RunEvent {
  readonly seq: number;
  readonly atMs: number;
  readonly kind: 'node' | 'leader' | 'fault' | 'evse' | 'ev' | 'scenario' | 'paxos';
  readonly text: string;
}

export interface Interval {
  readonly fromMs: number;
  /** null: still open when the logs end. */
  readonly toMs: number | null;
  readonly label: string;
}

/**
 * Messages sent per slot decided. `split` (null for logs from before it was logged) separates the
 * consensus messages (Prepare … Decide) from the heartbeats, which are sent on a timer whatever
 * the load, and the rest (catch-up, handshakes).
 */
export interface MessagesPerDecision {
  readonly source: string;
  readonly value: number | null;
  readonly split: {
    readonly consensus: number;
    readonly heartbeat: number;
    readonly other: number;
  } | null;
}

export interface LatencySummary {
  /** What the numbers are made of, in a sentence (the report prints it). */
  readonly source: string;
  readonly count: number;
  readonly quantilesMs: Record<'p50' | 'p90' | 'p99' | 'max', number | null>;
}

/** Everything `evpaxos report` draws, read from `<dir>/logs/*.log`. */
export interface RunData {
  readonly dir: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly siteLimitW: number;
  readonly nodes: string[];
  readonly events: RunEvent[];
  readonly power: Record<
    string,
    { seq: number; atMs: number; powerW: number; mode: string | null }[]
  >;
  readonly leaderChanges: { atMs: number; leaderId: string; ballot: string }[];
  readonly faultIntervals: Interval[];
  readonly downIntervals: Interval[];
  readonly decidedSlots: number;
  readonly commandsDecided: number;
  readonly messagesPerDecision: MessagesPerDecision;
  /** The EV emulator's clock (its "scenario-start" line): the report's axis is scenario time. */
  readonly scenario: {
    readonly startedAtMs: number;
    readonly speed: number;
    readonly name: string;
  } | null;
  readonly commitLatency: LatencySummary;
  readonly profileLatency: LatencySummary;
  readonly linesRead: number;
  readonly linesUnreadable: number;
}

type Line = Record<string, unknown> & { message: string; atMs: number; node: string };

function ballotText(value: unknown): string {
  const ballot = value as { round?: number; proposerId?: string } | undefined;
  return ballot && typeof ballot.round === 'number'
    ? `${ballot.round}.${ballot.proposerId ?? '?'}`
    : '-';
}

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? null;
}

/** Quantile from cumulative histogram buckets (upper bounds in s), linear within a bucket. */
function bucketQuantile(buckets: [number, number][], count: number, q: number): number | null {
  if (count === 0) return null;
  const rank = q * count;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [upper, cumulative] of buckets) {
    if (cumulative >= rank) {
      if (!Number.isFinite(upper)) return lowerBound * 1000;
      const inBucket = cumulative - lowerCount;
      const fraction = inBucket === 0 ? 1 : (rank - lowerCount) / inBucket;
      return (lowerBound + (upper - lowerBound) * fraction) * 1000;
    }
    lowerBound = upper;
    lowerCount = cumulative;
  }
  return lowerBound * 1000;
}

/**
 * Reads a finished run's JSON-line logs (the launcher's `<dir>/logs/<id>.log`) into what the report
 * shows. Unreadable lines (a torn last line of a killed process, a non-JSON stderr line) are counted
 * and skipped.
 */
export function readRun(dir: string): RunData {
  const { lines, linesUnreadable } = readLogLines(dir);
  const fold = new RunFold();
  for (const line of lines) fold.take(line);
  const endMs = lines.at(-1)?.atMs ?? 0;
  fold.finish(endMs);
  return {
    dir,
    startMs: lines[0]?.atMs ?? 0,
    endMs,
    siteLimitW: readSiteLimitW(dir),
    nodes: [...new Set(lines.map((line) => line.node))].sort(),
    events: fold.events,
    power: fold.power,
    leaderChanges: fold.leaderChanges,
    faultIntervals: fold.faultIntervals,
    downIntervals: fold.downIntervals,
    decidedSlots: fold.appliedSlots.size,
    commandsDecided: fold.commandsDecided,
    messagesPerDecision: messagesPerDecision(fold.statsLines),
    scenario: fold.scenario,
    commitLatency: commitLatency(fold.statsLines),
    profileLatency: {
      source:
        "profile-sent.sentWithinMs: from an EV's needs reaching the leader to the SetChargingProfile going out (includes committing UpdateNeeds through Paxos).",
      count: fold.profileLatencies.length,
      quantilesMs: quantiles(fold.profileLatencies),
    },
    linesRead: lines.length,
    linesUnreadable,
  };
}

/** Every readable line of every node's log, in time order, and how many were not readable. */
function readLogLines(dir: string): { lines: Line[]; linesUnreadable: number } {
  const logDir = path.join(dir, 'logs');
  const files = fs.existsSync(logDir)
    ? fs.readdirSync(logDir).filter((name) => name.endsWith('.log'))
    : [];
  if (files.length === 0) throw new Error(`No logs in ${logDir}: is ${dir} a cluster directory?`);
  const lines: Line[] = [];
  let linesUnreadable = 0;
  for (const file of files) {
    const fallbackNode = file.replace(/\.log$/, '');
    for (const text of fs.readFileSync(path.join(logDir, file), 'utf8').split('\n')) {
      if (text.trim() === '') continue;
      try {
        const line = JSON.parse(text) as Record<string, unknown>;
        const atMs = Date.parse(String(line.timestamp));
        if (typeof line.message !== 'string' || Number.isNaN(atMs)) throw new Error('no message');
        lines.push({
          ...line,
          message: line.message,
          atMs,
          node: String(line.node ?? fallbackNode),
        });
      } catch {
        linesUnreadable += 1;
      }
    }
  }
  lines.sort((a, b) => a.atMs - b.atMs);
  return { lines, linesUnreadable };
}

/** The site's limit from `<dir>/cluster.json`'s site section, else the launcher's default. */
function readSiteLimitW(dir: string): number {
  const siteLimitWDefault = 44_000;
  try {
    const cluster = JSON.parse(fs.readFileSync(path.join(dir, 'cluster.json'), 'utf8')) as {
      site?: unknown;
    };
    if (cluster.site === undefined) return siteLimitWDefault;
    // The site owns the section's format; a damaged one only costs the report its real limit.
    return siteConfigSection.read(cluster.site, [])?.siteLimitW ?? siteLimitWDefault;
  } catch {
    // No cluster file: the default the launcher uses.
    return siteLimitWDefault;
  }
}

/**
 * The run's story, built line by line in time order: events, leader changes, fault and crash
 * intervals, power samples, decided slots. Events and power samples share one sequence number.
 */
class RunFold {
  readonly events: RunEvent[] = [];
  readonly power: RunData['power'] = {};
  readonly leaderChanges: RunData['leaderChanges'] = [];
  readonly faultIntervals: Interval[] = [];
  readonly downIntervals: Interval[] = [];
  readonly profileLatencies: number[] = [];
  readonly appliedSlots = new Set<number>();
  readonly statsLines: Line[] = [];
  commandsDecided = 0;
  scenario: RunData['scenario'] = null;
  private seq = 0;
  private readonly openFaults = new Map<string, { fromMs: number; peers: string }>();
  private readonly lastLineAt = new Map<string, number>();
  private readonly readyCount = new Map<string, number>();
  private readonly closedCleanly = new Set<string>();

  take(line: Line): void {
    const { node, atMs } = line;
    switch (line.message) {
      case 'ready':
        this.ready(node, atMs);
        break;
      case 'closed':
        this.closedCleanly.add(node);
        this.note(atMs, 'node', `${node} closed`);
        break;
      case 'became-leader': {
        const ballot = ballotText(line.ballot);
        this.leaderChanges.push({ atMs, leaderId: node, ballot });
        this.note(atMs, 'leader', `${node} leads with ballot ${ballot}`);
        break;
      }
      case 'became-follower':
        this.note(
          atMs,
          'paxos',
          `${node} follows ${String(line.leaderId ?? '?')} (${ballotText(line.ballot)})`,
        );
        break;
      case 'faults set':
        this.faultsSet(node, atMs, (line.rules as { peer?: string }[] | undefined) ?? []);
        break;
      case 'faults cleared':
        this.faultsCleared(node, atMs);
        break;
      case 'evse-transition':
        this.note(
          atMs,
          'evse',
          `${String(line.chargePointId ?? node)} EVSE ${String(line.from)} → ${String(line.to)} (${String(line.event)})`,
        );
        break;
      case 'ev-transition':
        this.note(
          atMs,
          'ev',
          `${String(line.evId)} at ${String(line.chargePointId)}: ${String(line.from)} → ${String(line.to)}`,
        );
        break;
      case 'scenario-start':
        // The first run in these logs sets the clock (a later one would restart it).
        if (this.scenario === null && typeof line.speed === 'number' && line.speed > 0) {
          this.scenario = {
            startedAtMs: typeof line.startedAtMs === 'number' ? line.startedAtMs : atMs,
            speed: line.speed,
            name: String(line.scenario ?? 'scenario'),
          };
        }
        break;
      case 'scenario-step':
        this.note(atMs, 'scenario', `minute ${String(line.minute)}: ${JSON.stringify(line.step)}`);
        break;
      case 'power':
        this.powerSample(line);
        break;
      case 'profile-sent':
        if (typeof line.sentWithinMs === 'number') this.profileLatencies.push(line.sentWithinMs);
        break;
      case 'decided':
        this.decided(line);
        break;
      case 'cluster-stats':
        this.statsLines.push(line);
        break;
      default:
        break;
    }
    this.lastLineAt.set(node, atMs);
  }

  /** Closes what is still open when the logs end at `endMs`. */
  finish(endMs: number): void {
    for (const [node, open] of this.openFaults) {
      this.faultIntervals.push({
        fromMs: open.fromMs,
        toMs: null,
        label: `${node} cut from ${open.peers}`,
      });
    }
    // A node whose last line is not "closed" and that did not come back was down at the end.
    for (const [node, last] of this.lastLineAt) {
      if (!this.closedCleanly.has(node) && endMs - last > 5_000) {
        this.downIntervals.push({
          fromMs: last,
          toMs: null,
          label: `${node} down (crash) until the end`,
        });
      }
    }
  }

  private note(atMs: number, kind: RunEvent['kind'], text: string): void {
    this.events.push({ seq: (this.seq += 1), atMs, kind, text });
  }

  /** A second "ready" is a restart; without a "closed" before it, the gap was a crash. */
  private ready(node: string, atMs: number): void {
    const count = (this.readyCount.get(node) ?? 0) + 1;
    this.readyCount.set(node, count);
    if (count > 1) {
      const lastSeen = this.lastLineAt.get(node) ?? atMs;
      if (!this.closedCleanly.has(node)) {
        this.downIntervals.push({ fromMs: lastSeen, toMs: atMs, label: `${node} down (crash)` });
      }
      this.note(atMs, 'node', `${node} restarted`);
    } else {
      this.note(atMs, 'node', `${node} ready`);
    }
    this.closedCleanly.delete(node);
  }

  private faultsSet(node: string, atMs: number, rules: readonly { peer?: string }[]): void {
    const peers = rules.map((rule) => rule.peer ?? '?').join(',');
    if (rules.length === 0) {
      const open = this.openFaults.get(node);
      if (open)
        this.faultIntervals.push({
          fromMs: open.fromMs,
          toMs: atMs,
          label: `${node} cut from ${open.peers}`,
        });
      this.openFaults.delete(node);
    } else if (!this.openFaults.has(node)) {
      this.openFaults.set(node, { fromMs: atMs, peers });
      this.note(atMs, 'fault', `${node} drops traffic with ${peers}`);
    }
  }

  private faultsCleared(node: string, atMs: number): void {
    const open = this.openFaults.get(node);
    if (open) {
      this.faultIntervals.push({
        fromMs: open.fromMs,
        toMs: atMs,
        label: `${node} cut from ${open.peers}`,
      });
      this.note(atMs, 'fault', `${node}: fault rules cleared`);
    }
    this.openFaults.delete(node);
  }

  private powerSample(line: Line): void {
    const id = String(line.chargePointId ?? line.node);
    (this.power[id] ??= []).push({
      seq: (this.seq += 1),
      atMs: line.atMs,
      powerW: Number(line.powerW) || 0,
      mode: typeof line.mode === 'string' ? line.mode : null,
    });
  }

  /**
   * Every node records each slot it applies (docs/CLUSTER.md, "The decided record"): count each
   * slot, and its commands, once.
   */
  private decided(line: Line): void {
    for (const { slot, count } of decidedSlotsOf(line, line.atMs)) {
      if (this.appliedSlots.has(slot)) continue;
      this.appliedSlots.add(slot);
      this.commandsDecided += count;
    }
  }
}

function quantiles(values: number[]): LatencySummary['quantilesMs'] {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted.at(-1) ?? null,
  };
}

type Split = { consensus: number; heartbeat: number; other: number };

interface StatsLine {
  nodes?: Record<string, { framesOut?: number; messagesOut?: Split; appliedThrough?: number }>;
  commitLatency?: { buckets?: Record<string, number>; count?: number };
}

/**
 * Frames sent by all nodes per slot decided, between the first and the last "cluster-stats" line
 * of one central (the dashboard logs one every 5 s). Counters restart with a process, so a node
 * whose count went down between the two snapshots is left out.
 */
function messagesPerDecision(lines: readonly Line[]): MessagesPerDecision {
  const byCentral = new Map<string, Line[]>();
  for (const line of lines) {
    const list = byCentral.get(line.node) ?? [];
    list.push(line);
    byCentral.set(line.node, list);
  }
  let best: { frames: number; slots: number; split: Split | null } | null = null;
  for (const list of byCentral.values()) {
    const first = list[0] as StatsLine | undefined;
    const last = list.at(-1) as StatsLine | undefined;
    if (!first?.nodes || !last?.nodes || list.length < 2) continue;
    let frames = 0;
    let slots = 0;
    let split: Split | null = { consensus: 0, heartbeat: 0, other: 0 };
    for (const [id, end] of Object.entries(last.nodes)) {
      const start = first.nodes[id];
      if (!start) continue;
      const delta = (end.framesOut ?? 0) - (start.framesOut ?? 0);
      slots = Math.max(slots, (end.appliedThrough ?? 0) - (start.appliedThrough ?? 0));
      if (delta < 0) continue;
      frames += delta;
      if (split !== null && end.messagesOut && start.messagesOut) {
        for (const key of ['consensus', 'heartbeat', 'other'] as const) {
          split[key] += end.messagesOut[key] - start.messagesOut[key];
        }
      } else split = null;
    }
    if (best === null || slots > best.slots) best = { frames, slots, split };
  }
  if (best === null || best.slots === 0) {
    return {
      source:
        'needs two "cluster-stats" lines (logged by a central\'s dashboard while slots are applied) with slots decided between them: none in these logs',
      value: null,
      split: null,
    };
  }
  const { frames, slots, split } = best;
  return {
    source:
      `messages sent by every node ÷ slots decided, between the first and last "cluster-stats" snapshots (${frames} messages, ${slots} slots). ` +
      (split === null
        ? 'Heartbeats included: these logs predate the split.'
        : `Consensus: PreVote, Prepare, Promise, Accept, Accepted, Nack, Decide (${split.consensus}); heartbeat: the leader's heartbeats and their acks, sent on a timer whatever the load, so per decision they shrink as the load grows (${split.heartbeat}); other: catch-up and handshakes (${split.other}).`),
    value: frames / slots,
    split:
      split === null
        ? null
        : {
            consensus: split.consensus / slots,
            heartbeat: split.heartbeat / slots,
            other: split.other / slots,
          },
  };
}

/** The centrals' commit latency histograms (their last "cluster-stats" line each), merged. */
function commitLatency(lines: readonly Line[]): LatencySummary {
  const last = new Map<string, StatsLine>();
  for (const line of lines) last.set(line.node, line as StatsLine);
  const merged = new Map<number, number>();
  let count = 0;
  for (const line of last.values()) {
    const buckets = line.commitLatency?.buckets ?? {};
    count += line.commitLatency?.count ?? 0;
    for (const [le, value] of Object.entries(buckets)) {
      const upper = le === '+Inf' ? Infinity : Number(le);
      merged.set(upper, (merged.get(upper) ?? 0) + value);
    }
  }
  const buckets = [...merged].sort((a, b) => a[0] - b[0]);
  return {
    source:
      count > 0
        ? 'the centrals\' evpaxos_commit_latency_seconds histograms (submit → applied at the central, from their last "cluster-stats" line), interpolated within buckets'
        : "no commit latency histogram in these logs (a central's dashboard logs one every 5 s)",
    count,
    quantilesMs: {
      p50: bucketQuantile(buckets, count, 0.5),
      p90: bucketQuantile(buckets, count, 0.9),
      p99: bucketQuantile(buckets, count, 0.99),
      max: null,
    },
  };
}

import { reconfigurationPayloadType, type AppliedEntry, type Ballot } from '@evpaxos/paxos';
import type { ProcessConfig } from './config';
import { decidedRecordIntervalMs, decidedRecordSlotsMax } from './constants';
import type { Logger } from './logger';
import { DECIDED_TUPLE_MS_BEFORE_INDEX, decidedSlotTuple, payloadType } from './decided-record';

/** One applied slot as GET /log shows it (docs/CLUSTER.md). */
export interface LogEntry {
  readonly slot: number;
  readonly ballot: Ballot;
  readonly commands: readonly {
    readonly clientId: string;
    readonly seq: number;
    readonly payload: unknown;
    readonly duplicate: boolean;
  }[];
}

/** Where the ring's "decided" record goes (docs/CLUSTER.md, "The decided record"). */
export interface DecidedRecordSink {
  /** Writes one "decided" line with these fields. */
  readonly write: (fields: Record<string, unknown>) => void;
  /** Every command's (clientId, seq, type) too: the centrals (the proposers). */
  readonly fullCommands: boolean;
  /** At most one line per this long, unless the ring is full or a slot changes the membership. */
  readonly intervalMs: number;
  /** Slots in one line at most (a replay or a catch-up applies thousands a second). */
  readonly slotsMax?: number;
}

/**
 * The most recent applied entries, in slot order, bounded: a ring of `capacity` entries holding at
 * most `commandsMax` commands (the latest entry is always kept), the oldest dropped first. Slots
 * ascend but may jump (a learner that installs a snapshot skips what the snapshot covers), so reads
 * search by slot rather than index by it.
 *
 * The same ring is the node's "decided" record (issue 21: no log line per slot): the newest
 * `unwritten` entries are written as one line at most every `intervalMs`, before one of them would
 * be dropped, at `slotsMax` of them, at once for a membership change, and at `writeRecord()`
 * (close, a fatal error).
 */
export class AppliedLog {
  /** Entries as the learner applied them: shaped for GET /log only when read (no copy per push). */
  private readonly ring: (AppliedEntry | undefined)[];
  private start = 0;
  private size = 0;
  private commandCount = 0;
  /** The newest entries not yet in a "decided" line, and when each was applied (ms since epoch). */
  private unwritten = 0;
  private unwrittenAtMs: number[] = [];
  /** The tuples of the unwritten slots, made as each was applied (decidedSlotTuple). */
  private unwrittenTuples: unknown[][] = [];
  private recordTimer: NodeJS.Timeout | undefined;

  /**
   * A node's: its limits from the config; its "decided" record into its log, with every command
   * on a central (a proposer), digests on a charge point (docs/CLUSTER.md, "The decided record").
   */
  static ofNode(
    config: Pick<ProcessConfig, 'appliedEntriesKeptMax' | 'appliedCommandsKeptMax' | 'role'>,
    logger: Pick<Logger, 'info'>,
  ): AppliedLog {
    return new AppliedLog(config.appliedEntriesKeptMax, config.appliedCommandsKeptMax, {
      write: (fields) => logger.info('decided', fields),
      fullCommands: config.role === 'central',
      intervalMs: decidedRecordIntervalMs,
    });
  }

  constructor(
    readonly capacity: number,
    readonly commandsMax = Number.MAX_SAFE_INTEGER,
    private readonly record?: DecidedRecordSink,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`AppliedLog capacity must be a positive integer, got ${capacity}.`);
    }
    if (!Number.isSafeInteger(commandsMax) || commandsMax < 1) {
      throw new RangeError(
        `AppliedLog commandsMax must be a positive integer, got ${commandsMax}.`,
      );
    }
    // Grown as entries come, not made at full size: `new Array(100_000)` was 800 KB in every node
    // process from its start (docs/BENCHMARKS.md, "Issue 21: the 31 site's memory, sixth session").
    // Until the array reaches `capacity` the kept entries end at its end (a drop only advances
    // `start`), so the next index is its length and the write appends.
    this.ring = [];
  }

  get length(): number {
    return this.size;
  }

  push(entry: AppliedEntry, appliedAtMs = Date.now()): void {
    const last = this.at(this.size - 1);
    // Invariant: the learner applies in ascending slot order.
    if (last !== undefined && entry.slot <= last.slot) {
      throw new Error(`Invariant: applied slot ${entry.slot} after ${last.slot}`);
    }
    if (this.size === this.capacity) this.dropOldest();
    this.ring[(this.start + this.size) % this.capacity] = entry;
    this.size += 1;
    this.commandCount += entry.commands.length;
    if (this.record !== undefined) {
      this.unwritten += 1;
      this.unwrittenAtMs.push(appliedAtMs);
      // The slot's tuple is made now, while its commands are fresh in cache: made a second later
      // from the ring it cost a charge point ~9 % of its CPU at concurrency 256 (docs/BENCHMARKS.md,
      // "Issue 21 on a quiet machine"); only its msBeforeAtMs is filled in when the line is written.
      this.unwrittenTuples.push(decidedSlotTuple(entry, 0, this.record.fullCommands));
    }
    while (this.size > 1 && this.commandCount > this.commandsMax) this.dropOldest();
    if (this.record === undefined || this.unwritten === 0) return;
    // A membership change is rare and what verify's configuration check hinges on: written now.
    const full = this.unwritten >= (this.record.slotsMax ?? decidedRecordSlotsMax);
    if (full || entry.commands.some(({ command }) => isReconfiguration(command.payload))) {
      this.writeRecord();
    } else {
      this.recordTimer ??= setTimeout(() => this.writeRecord(), this.record.intervalMs).unref();
    }
  }

  /** Writes the entries applied since the last "decided" line as one line (none: nothing). */
  writeRecord(): void {
    if (this.recordTimer !== undefined) clearTimeout(this.recordTimer);
    this.recordTimer = undefined;
    if (this.record === undefined || this.unwritten === 0) return;
    const atMs = Date.now();
    const slots = this.unwrittenTuples;
    for (let index = 0; index < slots.length; index += 1) {
      (slots[index] as unknown[])[DECIDED_TUPLE_MS_BEFORE_INDEX] =
        atMs - (this.unwrittenAtMs[index] as number);
    }
    this.unwritten = 0;
    this.unwrittenAtMs = [];
    this.unwrittenTuples = [];
    this.record.write({ atMs, slots });
  }

  /** Commands in the kept entries. */
  get commands(): number {
    return this.commandCount;
  }

  private dropOldest(): void {
    // The record keeps every applied slot: one not yet written is written before it is dropped.
    if (this.unwritten === this.size) this.writeRecord();
    const oldest = this.ring[this.start] as AppliedEntry;
    this.ring[this.start] = undefined;
    this.commandCount -= oldest.commands.length;
    this.start = (this.start + 1) % this.capacity;
    this.size -= 1;
  }

  /** Entries with slot >= fromSlot, at most `limit` of them, ascending. */
  read(fromSlot: number, limit: number): LogEntry[] {
    let low = 0;
    let high = this.size;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.at(middle) as AppliedEntry).slot < fromSlot) low = middle + 1;
      else high = middle;
    }
    const entries: LogEntry[] = [];
    for (let index = low; index < this.size && entries.length < limit; index += 1) {
      const entry = this.at(index) as AppliedEntry;
      entries.push({
        slot: entry.slot,
        ballot: entry.ballot,
        commands: entry.commands.map(({ command, duplicate }) => ({
          clientId: command.clientId,
          seq: command.seq,
          payload: command.payload,
          duplicate,
        })),
      });
    }
    return entries;
  }

  private at(index: number): AppliedEntry | undefined {
    if (index < 0 || index >= this.size) return undefined;
    return this.ring[(this.start + index) % this.capacity];
  }
}

function isReconfiguration(payload: unknown): boolean {
  return payloadType(payload) === reconfigurationPayloadType;
}

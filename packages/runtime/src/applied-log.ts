import type { AppliedEntry, Ballot } from '@evpaxos/paxos';

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

/**
 * The most recent applied entries, in slot order, bounded: a ring of `capacity` entries holding at
 * most `commandsMax` commands (the latest entry is always kept), the oldest dropped first. Slots
 * ascend but may jump (a learner that installs a snapshot skips what the snapshot covers), so reads
 * search by slot rather than index by it.
 */
export class AppliedLog {
  /** Entries as the learner applied them: shaped for GET /log only when read (no copy per push). */
  private readonly ring: (AppliedEntry | undefined)[];
  private start = 0;
  private size = 0;
  private commandCount = 0;

  constructor(
    readonly capacity: number,
    readonly commandsMax = Number.MAX_SAFE_INTEGER,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`AppliedLog capacity must be a positive integer, got ${capacity}.`);
    }
    if (!Number.isSafeInteger(commandsMax) || commandsMax < 1) {
      throw new RangeError(
        `AppliedLog commandsMax must be a positive integer, got ${commandsMax}.`,
      );
    }
    this.ring = new Array<AppliedEntry | undefined>(capacity);
  }

  get length(): number {
    return this.size;
  }

  push(entry: AppliedEntry): void {
    const last = this.at(this.size - 1);
    // Invariant: the learner applies in ascending slot order.
    if (last !== undefined && entry.slot <= last.slot) {
      throw new Error(`Invariant: applied slot ${entry.slot} after ${last.slot}`);
    }
    if (this.size === this.capacity) this.dropOldest();
    this.ring[(this.start + this.size) % this.capacity] = entry;
    this.size += 1;
    this.commandCount += entry.commands.length;
    while (this.size > 1 && this.commandCount > this.commandsMax) this.dropOldest();
  }

  /** Commands in the kept entries. */
  get commands(): number {
    return this.commandCount;
  }

  private dropOldest(): void {
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

/**
 * The fields of the "decided" line (docs/CLUSTER.md) for one applied slot. duplicate: a retry the
 * state machine did not apply again (exactly-once); type: the payload's command type, so
 * `evpaxos verify` can check validity without the payload.
 */
export function decidedLineOf(entry: AppliedEntry): Record<string, unknown> {
  return {
    slot: entry.slot,
    ballot: entry.ballot,
    commands: entry.commands.map(({ command, duplicate }) => ({
      clientId: command.clientId,
      seq: command.seq,
      duplicate,
      type: payloadType(command.payload),
    })),
  };
}

/** The `type` of an object payload (a site command's), or null for any other payload. */
function payloadType(payload: unknown): string | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const type = (payload as { type?: unknown }).type;
  return typeof type === 'string' ? type : null;
}

import type { ClientRecord, Command } from './types';

/**
 * The duplicate table that makes application exactly-once (Paxos Made Moderately Complex §3: a
 * replica skips a command it has already performed). Plain data, so it goes into snapshots.
 * Bounded: clientSeqWindow seqs per client above a contiguous floor, clientsMax clients. A Map
 * inside (every applied command looks its client up: a dictionary-mode object cost ~4 % of a charge
 * point under load), a plain record in snapshots.
 */
export class ClientTable {
  private readonly records: Map<string, ClientRecord>;

  constructor(
    private readonly clientSeqWindow: number,
    private readonly clientsMax: number,
    records: Readonly<Record<string, ClientRecord>> = {},
  ) {
    this.records = new Map(Object.entries(records).map(([id, record]) => [id, copy(record)]));
  }

  isApplied(command: Pick<Command, 'clientId' | 'seq'>): boolean {
    const record = this.records.get(command.clientId);
    if (!record) return false;
    return command.seq <= record.floorSeq || record.appliedSeqs.includes(command.seq);
  }

  /** The remembered result of a duplicate, when it was the client's latest command. */
  resultOf(command: Pick<Command, 'clientId' | 'seq'>): unknown {
    const record = this.records.get(command.clientId);
    return record && record.lastSeq === command.seq ? record.lastResult : undefined;
  }

  record(command: Command, result: unknown, slot: number): void {
    let record = this.records.get(command.clientId);
    if (!record) {
      record = { floorSeq: 0, appliedSeqs: [], lastSeq: 0, lastResult: undefined, lastSlot: slot };
      this.records.set(command.clientId, record);
    }
    record.lastSlot = slot;
    record.lastSeq = command.seq;
    record.lastResult = result;
    if (command.seq === record.floorSeq + 1 && record.appliedSeqs.length === 0) {
      // The usual case, a client's next command in order: the floor moves, nothing to sort.
      record.floorSeq = command.seq;
    } else {
      record.appliedSeqs.push(command.seq);
      record.appliedSeqs.sort((a, b) => a - b);
      while (record.appliedSeqs[0] === record.floorSeq + 1) {
        record.floorSeq += 1;
        record.appliedSeqs.shift();
      }
      // A client that skipped a seq for good: move the floor past the gap (that seq is then
      // refused as a duplicate, deterministically on every replica).
      while (record.appliedSeqs.length > this.clientSeqWindow) {
        record.floorSeq = record.appliedSeqs.shift() ?? record.floorSeq;
      }
    }
    if (this.records.size > this.clientsMax) this.evictLeastRecent();
  }

  /**
   * Evicts the client applied longest ago, ties broken by id: computed from the records alone, so a
   * replica restored from a snapshot evicts exactly what the others do.
   */
  private evictLeastRecent(): void {
    let victim: string | undefined;
    let victimSlot = Infinity;
    for (const [id, record] of this.records) {
      if (
        record.lastSlot < victimSlot ||
        (record.lastSlot === victimSlot && victim !== undefined && id < victim)
      ) {
        victim = id;
        victimSlot = record.lastSlot;
      }
    }
    if (victim !== undefined) this.records.delete(victim);
  }

  snapshot(): Record<string, ClientRecord> {
    const records: Record<string, ClientRecord> = {};
    for (const [id, record] of this.records) records[id] = copy(record);
    return records;
  }
}

function copy(record: ClientRecord): ClientRecord {
  return { ...record, appliedSeqs: [...record.appliedSeqs] };
}

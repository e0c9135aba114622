/**
 * The durable TransactionEvent queue (OCPP 2.0.1 E04; 1.6 §3.7: "When offline, the Charge Point
 * MUST queue any transaction-related messages"). ocpp-rpc keeps calls made while connecting in
 * memory only and rejects in-flight calls on disconnect (docs/OCPP.md §1.4, §1.8 (a)2), so every
 * TransactionEvent goes through this queue, online or not, and leaves it only once the CSMS answered.
 *
 * Storage: one append-only JSON-lines file in the data dir, fsync'd after every append, so an event
 * the EVSE reported survives a crash. Records:
 *   {"k":"add","q":<queueSeq>,"e":<TransactionEventRequest>}   an event to send
 *   {"k":"done","q":<queueSeq>}                                  sent (acknowledged) or dropped
 *   {"k":"open","t":<transactionId>,"n":<nextSeqNo>}             a transaction still open at compaction
 * The file is rewritten (temp file, fsync, rename, fsync of the directory) when it holds
 * QUEUE_COMPACT_RATIO× more records than live entries, so it stays bounded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TransactionEventRequest } from './csms-link';
import { QUEUE_COMPACT_RATIO, QUEUE_ENTRIES_MAX_DEFAULT } from './constants';

export interface QueuedEvent {
  /** Position in the queue, increasing over the queue's life (also across restarts). */
  readonly queueSeq: number;
  readonly request: TransactionEventRequest;
}

export interface TransactionQueueOptions {
  /** Live entries at most (default 1 000). */
  readonly entriesMax?: number;
  /** Skip fsync (labs only: `--unsafe-no-fsync`). */
  readonly unsafeNoFsync?: boolean;
}

/** The event without the fields the queue assigns (seqNo, offline). */
export type NewTransactionEvent = Omit<TransactionEventRequest, 'seqNo' | 'offline'>;

type RecordLine =
  | { k: 'add'; q: number; e: TransactionEventRequest }
  | { k: 'done'; q: number }
  | { k: 'open'; t: string; n: number };

export class TransactionQueue {
  private readonly entries: QueuedEvent[] = [];
  /** transactionId → next seqNo, for transactions not yet Ended. */
  private readonly nextSeqNo = new Map<string, number>();
  private nextQueueSeq = 1;
  private records = 0;
  private fd: number;
  /** Lines that could not be read at open (a torn last write after a crash). */
  readonly unreadableLines: number;
  /** Events dropped because the queue was full (E04.FR.07/08), since open. */
  dropped = 0;

  private constructor(
    readonly filePath: string,
    private readonly entriesMax: number,
    private readonly fsyncEnabled: boolean,
  ) {
    let unreadable = 0;
    let text = '';
    try {
      text = fs.readFileSync(filePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const added = new Map<number, TransactionEventRequest>();
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let record: RecordLine;
      try {
        record = JSON.parse(line) as RecordLine;
      } catch {
        unreadable += 1;
        continue;
      }
      this.records += 1;
      if (record.k === 'add') {
        added.set(record.q, record.e);
        this.nextQueueSeq = Math.max(this.nextQueueSeq, record.q + 1);
        this.noteSeqNo(record.e);
      } else if (record.k === 'done') {
        added.delete(record.q);
      } else if (record.k === 'open') {
        this.nextSeqNo.set(record.t, Math.max(this.nextSeqNo.get(record.t) ?? 0, record.n));
      }
    }
    for (const [queueSeq, request] of [...added].sort((a, b) => a[0] - b[0])) {
      this.entries.push({ queueSeq, request });
    }
    this.unreadableLines = unreadable;
    fs.mkdirSync(path.dirname(filePath), { recursive: true });
    this.fd = fs.openSync(filePath, 'a');
    // A torn line must not glue itself to the next append.
    if (text.length > 0 && !text.endsWith('\n')) this.write('');
  }

  /** Opens (or creates) the queue file and reads what an earlier run left in it. */
  static open(filePath: string, options: TransactionQueueOptions = {}): TransactionQueue {
    return new TransactionQueue(
      filePath,
      options.entriesMax ?? QUEUE_ENTRIES_MAX_DEFAULT,
      !(options.unsafeNoFsync ?? false),
    );
  }

  get size(): number {
    return this.entries.length;
  }

  /** The oldest event not yet sent. */
  peek(): QueuedEvent | undefined {
    return this.entries[0];
  }

  /** Every queued event, oldest first. */
  list(): readonly QueuedEvent[] {
    return [...this.entries];
  }

  /** Transactions that were started and not Ended (e.g. open when the process stopped). */
  openTransactions(): string[] {
    return [...this.nextSeqNo.keys()];
  }

  /**
   * Appends an event, assigning its seqNo (per transaction, from 0) and its offline flag, durably
   * (fsync before returning). Returns null if the queue is full of Started/Ended events.
   */
  enqueue(event: NewTransactionEvent, offline: boolean): QueuedEvent | null {
    if (this.entries.length >= this.entriesMax && !this.dropOneUpdated()) return null;
    const transactionId = event.transactionInfo.transactionId;
    const seqNo = this.nextSeqNo.get(transactionId) ?? 0;
    const request: TransactionEventRequest = {
      ...event,
      seqNo,
      ...(offline ? { offline: true } : {}),
    };
    const queued: QueuedEvent = { queueSeq: this.nextQueueSeq, request };
    this.append({ k: 'add', q: queued.queueSeq, e: request });
    this.nextQueueSeq += 1;
    this.entries.push(queued);
    this.noteSeqNo(request);
    return queued;
  }

  /** Marks the head sent (the CSMS answered). Durable before returning. */
  acknowledge(queueSeq: number): void {
    const index = this.entries.findIndex((entry) => entry.queueSeq === queueSeq);
    if (index < 0) return;
    this.append({ k: 'done', q: queueSeq });
    this.entries.splice(index, 1);
    this.maybeCompact();
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  private noteSeqNo(request: TransactionEventRequest): void {
    const transactionId = request.transactionInfo.transactionId;
    if (request.eventType === 'Ended') this.nextSeqNo.delete(transactionId);
    else
      this.nextSeqNo.set(
        transactionId,
        Math.max(this.nextSeqNo.get(transactionId) ?? 0, request.seqNo + 1),
      );
  }

  /** E04.FR.07/08: when memory runs low, intermediate Updated events go first (the oldest). */
  private dropOneUpdated(): boolean {
    const index = this.entries.findIndex((entry) => entry.request.eventType === 'Updated');
    const victim = this.entries[index];
    if (victim === undefined) return false;
    this.append({ k: 'done', q: victim.queueSeq });
    this.entries.splice(index, 1);
    this.dropped += 1;
    return true;
  }

  private append(record: RecordLine): void {
    this.write(JSON.stringify(record));
    this.records += 1;
  }

  private write(line: string): void {
    if (this.fd < 0) throw new Error('The transaction queue is closed.');
    fs.writeSync(this.fd, `${line}\n`);
    if (this.fsyncEnabled) fs.fsyncSync(this.fd);
  }

  private maybeCompact(): void {
    const live = this.entries.length + this.nextSeqNo.size;
    if (this.records <= QUEUE_COMPACT_RATIO * Math.max(live, 16)) return;
    const lines: RecordLine[] = [
      ...[...this.nextSeqNo].map(([t, n]): RecordLine => ({ k: 'open', t, n })),
      ...this.entries.map((entry): RecordLine => ({
        k: 'add',
        q: entry.queueSeq,
        e: entry.request,
      })),
    ];
    const temp = `${this.filePath}.tmp`;
    const fd = fs.openSync(temp, 'w');
    try {
      fs.writeSync(fd, lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
      if (this.fsyncEnabled) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, this.filePath);
    if (this.fsyncEnabled) {
      // The rename is durable only once the directory entry is (POSIX).
      const dir = fs.openSync(path.dirname(this.filePath), 'r');
      try {
        fs.fsyncSync(dir);
      } finally {
        fs.closeSync(dir);
      }
    }
    fs.closeSync(this.fd);
    this.fd = fs.openSync(this.filePath, 'a');
    this.records = lines.length;
  }
}

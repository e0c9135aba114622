import { StoreError } from './errors';

/**
 * Group commit: callers `submit` items one at a time; whatever queued up while the previous batch
 * was being written and synced goes out as the next batch, with one write and one sync. Items
 * resolve in submission order, because batches are flushed one at a time and each batch resolves
 * its items in order before the next batch starts.
 *
 * One failure poisons the committer for good. After a failed fdatasync the kernel may have dropped
 * the dirty pages and cleared the error, so a retry can "succeed" without the data being on disk
 * (the PostgreSQL fsync-gate, 2018). The only safe recovery is a restart that re-reads the log.
 */
export class GroupCommitter<Item> {
  private readonly queue: { item: Item; resolve: () => void; reject: (error: Error) => void }[] =
    [];
  private flushing: Promise<void> | undefined = undefined;
  private failure: Error | undefined = undefined;
  private closed = false;
  private inBatchCount = 0;

  constructor(
    /** Writes and syncs one batch: a non-empty prefix of the queue. */
    private readonly commit: (batch: Item[]) => Promise<void>,
    private readonly limits: {
      /** Items waiting or being written, at most; more are refused with `ERR_STORE_OVERLOADED`. */
      pendingMax: number;
      /** A batch stops growing before its summed `sizeOf` passes this (it always takes one item). */
      batchSizeMax: number;
      sizeOf: (item: Item) => number;
    },
    /**
     * Runs after a batch has resolved and before the next one is written (compaction): its appends
     * need not wait for it, and no write can interleave with it.
     */
    private readonly afterBatch: () => Promise<void> = async () => {},
  ) {}

  get pendingCount(): number {
    return this.queue.length + this.inBatchCount;
  }

  submit(item: Item): Promise<void> {
    if (this.failure !== undefined) {
      return Promise.reject(
        new StoreError('ERR_STORE_FAILED', `the store failed earlier: ${this.failure.message}`, {
          cause: this.failure,
        }),
      );
    }
    if (this.closed) return Promise.reject(new StoreError('ERR_STORE_CLOSED', 'store is closed'));
    if (this.pendingCount >= this.limits.pendingMax) {
      return Promise.reject(
        new StoreError(
          'ERR_STORE_OVERLOADED',
          `${this.pendingCount} appends already wait for the disk (pendingAppendsMax ${this.limits.pendingMax})`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.flushing === undefined) this.flushing = this.flushLoop();
    });
  }

  /** Refuses new items and waits until everything submitted so far has settled. */
  async drain(): Promise<void> {
    this.closed = true;
    while (this.flushing !== undefined) await this.flushing;
  }

  private async flushLoop(): Promise<void> {
    // Yield once so that appends issued in the same turn of the event loop join the first batch.
    await Promise.resolve();
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.batchLength());
      this.inBatchCount = batch.length;
      try {
        if (this.failure !== undefined) throw this.failure;
        await this.commit(batch.map((q) => q.item));
        for (const q of batch) q.resolve();
        await this.afterBatch();
      } catch (error) {
        this.failure ??= error instanceof Error ? error : new Error(String(error));
        const failed = new StoreError(
          'ERR_STORE_FAILED',
          `writing to the store failed: ${this.failure.message}`,
          { cause: this.failure },
        );
        // A batch that resolved before `afterBatch` failed stays resolved: its data was synced.
        for (const q of batch) q.reject(failed);
      } finally {
        this.inBatchCount = 0;
      }
    }
    this.flushing = undefined;
  }

  private batchLength(): number {
    let size = 0;
    let length = 0;
    for (const queued of this.queue) {
      size += this.limits.sizeOf(queued.item);
      if (length > 0 && size > this.limits.batchSizeMax) break;
      length += 1;
    }
    return length;
  }
}

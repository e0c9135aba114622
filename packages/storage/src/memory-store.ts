import type { PersistDelta, PersistedState } from '@evpaxos/paxos';
import { AcceptorState } from './acceptor-state';
import {
  FRAME_HEADER_BYTES,
  PENDING_APPENDS_MAX_DEFAULT,
  RECORD_BYTES_MAX_DEFAULT,
} from './constants';
import { StoreError } from './errors';
import { GroupCommitter } from './group-commit';
import { encodeDelta, packr } from './log-format';
import type { AcceptorStore, StoreStats } from './types';

export interface MemoryStoreOptions {
  /** Largest encoded delta, as for FileStore. Default RECORD_BYTES_MAX_DEFAULT (16 MiB). */
  recordBytesMax?: number;
  /** Appends waiting for the "disk", at most. Default PENDING_APPENDS_MAX_DEFAULT (4096). */
  pendingAppendsMax?: number;
}

/** What survives a MemoryStore's crash: the state every resolved append was applied to. */
class MemoryDisk {
  readonly state = new AcceptorState();
  /** Bumped by every reopen: a store of an older generation has crashed and writes nothing more. */
  generation = 0;
}

/**
 * The in-memory twin of FileStore, for tests and the simulator. Same semantics: deltas are encoded
 * with the store's Packr (so the size limit and what reads back are the same), group commit batches
 * whatever queued during the previous "sync" (one turn of the event loop), appends resolve in order.
 */
export class MemoryStore implements AcceptorStore {
  private readonly committer: GroupCommitter<{ delta: PersistDelta; bytes: Buffer }>;
  private readonly recordBytesMax: number;
  private disk = new MemoryDisk();
  private generation = 0;
  private appendCount = 0;
  private syncCount = 0;
  private closing: Promise<void> | undefined = undefined;

  constructor(private readonly options: MemoryStoreOptions = {}) {
    this.recordBytesMax = options.recordBytesMax ?? RECORD_BYTES_MAX_DEFAULT;
    this.committer = new GroupCommitter(
      async (batch) => {
        // The "sync": one turn of the event loop, so appends issued meanwhile form the next batch.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.disk.generation !== this.generation) {
          throw new StoreError('ERR_STORE_CLOSED', 'the store crashed (reopened) before this sync');
        }
        for (const pending of batch) this.disk.state.applyDelta(pending.delta);
        this.syncCount += 1;
        this.appendCount += batch.length;
      },
      {
        pendingMax: options.pendingAppendsMax ?? PENDING_APPENDS_MAX_DEFAULT,
        batchSizeMax: this.recordBytesMax - FRAME_HEADER_BYTES,
        sizeOf: (pending) => pending.bytes.length,
      },
    );
  }

  /**
   * A crash and restart: returns a new store over what this one made durable. Appends of this store
   * that had not resolved are lost, as they may be on a real disk; this store refuses further work.
   */
  reopen(): MemoryStore {
    this.disk.generation += 1;
    this.closing ??= Promise.resolve();
    const restarted = new MemoryStore(this.options);
    restarted.disk = this.disk;
    restarted.generation = this.disk.generation;
    return restarted;
  }

  async load(): Promise<PersistedState> {
    if (this.closing !== undefined) throw new StoreError('ERR_STORE_CLOSED', 'store is closed');
    return this.disk.state.copy();
  }

  append(delta: PersistDelta): Promise<void> {
    if (this.closing !== undefined) {
      return Promise.reject(new StoreError('ERR_STORE_CLOSED', 'store is closed'));
    }
    let bytes: Buffer;
    try {
      bytes = encodeDelta(delta);
    } catch (error) {
      // Not plain data (the core's contract): a programmer error, reported on the promise.
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (bytes.length + FRAME_HEADER_BYTES > this.recordBytesMax) {
      return Promise.reject(
        new StoreError(
          'ERR_STORE_RECORD_TOO_LARGE',
          `a delta of ${bytes.length} bytes is larger than recordBytesMax ${this.recordBytesMax}`,
        ),
      );
    }
    return this.committer.submit({ delta: packr.unpack(bytes) as PersistDelta, bytes });
  }

  close(): Promise<void> {
    this.closing ??= this.committer.drain();
    return this.closing;
  }

  stats(): StoreStats {
    return {
      appendCount: this.appendCount,
      syncCount: this.syncCount,
      pendingAppendCount: this.committer.pendingCount,
      logBytes: 0,
      compactionCount: 0,
    };
  }
}

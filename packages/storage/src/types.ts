import type { PersistDelta, PersistedState } from '@evpaxos/paxos';

/**
 * The durable memory of one acceptor. The process loop is persist → send → apply: `append` resolves
 * only once the delta is durable, and the Ready's messages go out after that
 * (Paxos Made Simple §2.2: an acceptor must remember what it promised and accepted across failures).
 */
export interface AcceptorStore {
  /** Everything made durable so far: promised ballot, one accepted entry per slot, the snapshot. */
  load(): Promise<PersistedState>;
  /**
   * Makes `delta` durable. Appends issued while a sync is in flight are written together and share
   * the next sync (group commit); they resolve in the order they were issued.
   */
  append(delta: PersistDelta): Promise<void>;
  /** Waits for pending appends, then releases the store. Calling it again does nothing. */
  close(): Promise<void>;
  stats(): StoreStats;
  /**
   * Which node and incarnation the state belongs to (FileStore: its IDENTITY). Absent: incarnation
   * 1, a store that cannot lose its state apart from its process (the in-memory twin).
   */
  identity?(): { nodeId: string; incarnation: number };
}

export interface StoreStats {
  /** Appends that resolved (are durable). */
  appendCount: number;
  /** Syncs issued: one per group-commit batch. With `unsafeNoFsync` the batches are still counted. */
  syncCount: number;
  /** Appends queued or in the batch being written. */
  pendingAppendCount: number;
  /** Size of the log now (0 for the memory store). */
  logBytes: number;
  /** How many times the log was rewritten as the current state. */
  compactionCount: number;
}

/** The logger the store reports to: injected, so the store does not pick a logging library. */
export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

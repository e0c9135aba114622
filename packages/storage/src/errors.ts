/** Stable codes for every operating error of the store (docs/STYLE.md rule 4). */
export type StoreErrorCode =
  /** Two processes (or two stores in one process) tried to open one data dir. */
  | 'ERR_STORE_LOCKED'
  /** The log is damaged somewhere other than its tail: disk corruption, not a crash. */
  | 'ERR_STORE_CORRUPT'
  /**
   * The data dir once held an acceptor (IDENTITY is there) but its log is gone, or IDENTITY names
   * another node: the acceptor may have forgotten promises it made, so it must not vote.
   */
  | 'ERR_STORE_AMNESIA'
  /** The data dir holds a file that is not an evpaxos acceptor log (or a newer format). */
  | 'ERR_STORE_FORMAT'
  /** One delta encodes to more than `recordBytesMax`. */
  | 'ERR_STORE_RECORD_TOO_LARGE'
  /** More than `pendingAppendsMax` appends wait for the disk. */
  | 'ERR_STORE_OVERLOADED'
  /** The store was closed; nothing more is written. */
  | 'ERR_STORE_CLOSED'
  /** A write or sync failed earlier; the store refuses everything until the process restarts. */
  | 'ERR_STORE_FAILED'
  /** An option is out of range. */
  | 'ERR_STORE_CONFIG';

export class StoreError extends Error {
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}

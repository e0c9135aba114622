/**
 * Every limit of the acceptor store, written down once (docs/STYLE.md rule 3). Each one is an option of
 * `FileStore.open` / `new MemoryStore`; these are the defaults.
 */

/**
 * Compaction starts once the log file is larger than this. 64 MiB keeps recovery (one sequential
 * read and replay of the whole file) well under a second on an SSD, and is small next to the disk of
 * a charge point's controller.
 */
export const LOG_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;

/**
 * The largest record frame payload written or accepted on recovery. A record is one group-commit
 * batch, so this also bounds one snapshot: a delta whose own encoding is larger is refused with
 * `ERR_STORE_RECORD_TOO_LARGE`. Recovery treats a length field above it as a torn or corrupt frame,
 * which is why it must never shrink below what a running store has already written.
 */
export const RECORD_BYTES_MAX_DEFAULT = 16 * 1024 * 1024;

/**
 * Appends waiting for the next sync, at most. The Paxos node issues one append per Ready batch and
 * waits for it, so a healthy process has one or two in flight; thousands mean the disk has stalled,
 * and failing fast (`ERR_STORE_OVERLOADED`) beats queueing unbounded memory behind it.
 */
export const PENDING_APPENDS_MAX_DEFAULT = 4096;

/**
 * Zeros written ahead of the log's last record, so that an append overwrites blocks the file
 * already has and its fdatasync flushes data alone. An append that grows the file makes ext4 commit
 * its journal (the new size, the new blocks) in every fdatasync: here 190 vs 130 µs per sync alone,
 * 308 vs 230 µs with five processes syncing at once (docs/STORAGE.md). A new chunk is written when
 * less than half of one is left; the sync after it carries its allocation once. 0 turns it off.
 */
export const PREALLOCATE_BYTES_DEFAULT = 1024 * 1024;

/**
 * SYNCED's own fdatasync starts at most once per this many milliseconds (data-dir-records.ts); 0:
 * after every batch, as soon as the previous one returned. A sync per batch is a second disk flush
 * per acceptor and commit, in libuv's pool, yet spacing them out made five processes' appends
 * slower, not faster, on this VM under load (docs/BENCHMARKS.md, "Issue 21: concurrency 1, fifth
 * session"), so the default stays 0 until a quiet machine says otherwise. With an interval, the
 * record lags after a power cut by at most that long of batches (docs/STORAGE.md).
 */
export const SYNCED_SYNC_INTERVAL_MS_DEFAULT = 0;

/** The first bytes of every log file: a name and a format version, so a stranger file is refused. */
export const LOG_MAGIC = Buffer.from('EVPXLOG1', 'ascii');

/** Frame header: [payload length u32 LE][crc32 u32 LE]. */
export const FRAME_HEADER_BYTES = 8;

export const LOG_FILE_NAME = 'acceptor.log';
export const LOG_TMP_FILE_NAME = 'acceptor.log.tmp';
export const LOCK_FILE_NAME = 'LOCK';
/** Which node and incarnation this data dir's acceptor is (data-dir-records.ts). */
export const IDENTITY_FILE_NAME = 'IDENTITY';
/** How many bytes of acceptor.log were synced (data-dir-records.ts). */
export const SYNCED_FILE_NAME = 'SYNCED';

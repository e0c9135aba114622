import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { AcceptedEntry, PersistDelta, PersistedState } from '@evpaxos/paxos';
import { AcceptorState } from './acceptor-state';
import {
  FRAME_HEADER_BYTES,
  LOG_BYTES_MAX_DEFAULT,
  LOG_FILE_NAME,
  LOG_MAGIC,
  LOG_TMP_FILE_NAME,
  PENDING_APPENDS_MAX_DEFAULT,
  PREALLOCATE_BYTES_DEFAULT,
  SYNCED_SYNC_INTERVAL_MS_DEFAULT,
  RECORD_BYTES_MAX_DEFAULT,
} from './constants';
import {
  type AcceptorIdentity,
  readIdentity,
  SyncedMark,
  syncDir,
  writeIdentity,
} from './data-dir-records';
import { acquireDirLock } from './dir-lock';
import { StoreError } from './errors';
import { GroupCommitter } from './group-commit';
import {
  basePayload,
  decodePayload,
  deltasPayload,
  encodeDelta,
  encodeFrame,
  packr,
  scanLog,
} from './log-format';
import { writeAllSync, zeroFillAhead } from './preallocation';
import { newIncarnation, setAsideLostState } from './rejoin';
import type { AcceptorStore, Logger, StoreStats } from './types';

const fdatasync = promisify(fs.fdatasync);
const fsync = promisify(fs.fsync);
const open = promisify(fs.open);
const closeFd = promisify(fs.close);

export interface FileStoreOptions {
  /** The node's data dir; created when missing. Holds `acceptor.log`, IDENTITY, SYNCED and `LOCK`. */
  dataDir: string;
  /**
   * The node that owns the dir, written into IDENTITY when the dir is created and checked on every
   * open after that: a dir of another node is refused (ERR_STORE_AMNESIA). Default '' (not checked).
   */
  nodeId?: string;
  /**
   * The node ran on this dir before (the launcher knows): a dir without IDENTITY and log is then
   * a lost dir, not a first start, and is refused (ERR_STORE_AMNESIA). Default false.
   */
  mustExist?: boolean;
  /** Compact once the log is larger than this. Default LOG_BYTES_MAX_DEFAULT (64 MiB). */
  logBytesMax?: number;
  /** Largest record payload. Default RECORD_BYTES_MAX_DEFAULT (16 MiB). */
  recordBytesMax?: number;
  /** Appends waiting for the disk, at most. Default PENDING_APPENDS_MAX_DEFAULT (4096). */
  pendingAppendsMax?: number;
  /**
   * Zeros kept written ahead of the last record, in chunks of this many bytes, so that appends
   * overwrite allocated blocks. Default PREALLOCATE_BYTES_DEFAULT (1 MiB); 0 turns it off.
   */
  preallocateBytes?: number;
  /**
   * SYNCED's background fdatasync starts at most this often (ms). Default
   * SYNCED_SYNC_INTERVAL_MS_DEFAULT (0: after every batch).
   */
  syncedSyncIntervalMs?: number;
  /**
   * Skip every fsync/fdatasync. For labs and benchmarks only: an acknowledged promise or accept
   * can vanish in a machine crash, and Paxos safety rests on acceptors never forgetting them.
   * Default false.
   */
  unsafeNoFsync?: boolean;
  /**
   * When the state is missing or cannot be trusted (ERR_STORE_AMNESIA or ERR_STORE_CORRUPT for a
   * dir of this node), move it aside and start over as a new incarnation instead of refusing: the
   * node then runs as a non-voting learner until a decided in-place replace re-admits it (rejoin.ts).
   * A dir of another node is refused either way. Default false.
   */
  rejoinAfterLoss?: boolean;
  /** The incarnation a dir without state gets. Default 1; rejoin.ts gives a new one. */
  incarnation?: number;
}

export interface FileStoreCollaborators {
  logger: Logger;
}

interface PendingDelta {
  /** What the state applies: the delta as it will read back from disk. */
  delta: PersistDelta;
  bytes: Buffer;
}

/**
 * The durable acceptor store: an append-only log of group-commit batches in one file, replayed on
 * open and rewritten as the current state when it grows past `logBytesMax`. See docs/STORAGE.md.
 */
export class FileStore implements AcceptorStore {
  private readonly state = new AcceptorState();
  private readonly committer: GroupCommitter<PendingDelta>;
  private readonly logPath: string;
  private fd = -1;
  private mark: SyncedMark | undefined = undefined;
  private identityRecord: AcceptorIdentity = { nodeId: '', incarnation: 1 };
  /** Where the last record ends: the next append goes here. */
  private logBytes = 0;
  /** The file's size: logBytes plus the zeros written ahead (preallocateBytes). */
  private fileBytes = 0;
  /** Size of the log right after the last compaction (or open): what compaction would write again. */
  private baseBytes = 0;
  private appendCount = 0;
  private syncCount = 0;
  private compactionCount = 0;
  private closing: Promise<void> | undefined = undefined;

  private constructor(
    private readonly options: Required<FileStoreOptions>,
    private readonly logger: Logger,
    private readonly releaseLock: () => Promise<void>,
  ) {
    this.logPath = path.join(options.dataDir, LOG_FILE_NAME);
    this.committer = new GroupCommitter<PendingDelta>(
      (batch) => this.writeBatch(batch),
      {
        pendingMax: options.pendingAppendsMax,
        // The frame payload adds the record tag (5 bytes) to the deltas; the header margin covers it.
        batchSizeMax: options.recordBytesMax - FRAME_HEADER_BYTES,
        sizeOf: (pending) => pending.bytes.length,
      },
      () => this.maybeCompact(),
    );
  }

  /** Locks the data dir, recovers the log (cutting a torn tail) and returns the open store. */
  static async open(
    options: FileStoreOptions,
    collaborators: FileStoreCollaborators,
  ): Promise<FileStore> {
    try {
      return await FileStore.openOnce(options, collaborators);
    } catch (error) {
      if (!options.rejoinAfterLoss || !(await FileStore.lostOwnState(options, error))) throw error;
      const incarnation = newIncarnation();
      const syncEnabled = !(options.unsafeNoFsync ?? false);
      const aside = await setAsideLostState(options.dataDir, incarnation, syncEnabled);
      collaborators.logger.error(
        'storage: this acceptor lost its state; it starts over as a non-voting learner (a new ' +
          'incarnation) and votes again only once re-admitted: evpaxos member replace <node>',
        { reason: (error as Error).message, incarnation, setAside: aside },
      );
      const fresh = { ...options, mustExist: false, rejoinAfterLoss: false, incarnation };
      return FileStore.openOnce(fresh, collaborators);
    }
  }

  /** The open failed because this node's own state is gone or damaged (not another node's dir). */
  private static async lostOwnState(options: FileStoreOptions, error: unknown): Promise<boolean> {
    if (!(error instanceof StoreError)) return false;
    if (error.code !== 'ERR_STORE_AMNESIA' && error.code !== 'ERR_STORE_CORRUPT') return false;
    const identity = await readIdentity(options.dataDir).catch(() => undefined);
    const nodeId = options.nodeId ?? '';
    return identity === undefined || nodeId === '' || identity.nodeId === nodeId;
  }

  private static async openOnce(
    options: FileStoreOptions,
    collaborators: FileStoreCollaborators,
  ): Promise<FileStore> {
    const resolved = resolveOptions(options);
    const { logger } = collaborators;
    await fsp.mkdir(resolved.dataDir, { recursive: true });
    const releaseLock = await acquireDirLock(resolved.dataDir, logger);
    const store = new FileStore(resolved, logger, releaseLock);
    try {
      await store.recover();
    } catch (error) {
      if (store.fd >= 0) await closeFd(store.fd);
      await store.mark?.close();
      await releaseLock();
      throw error;
    }
    if (resolved.unsafeNoFsync) {
      logger.warn(
        'storage: DURABILITY IS OFF (unsafeNoFsync). Appends are acknowledged before they reach ' +
          'the disk: after a machine crash this acceptor can forget promises and accepted values it ' +
          'already answered, which breaks Paxos safety (two values chosen for one slot). Labs and ' +
          'benchmarks only.',
        { dataDir: resolved.dataDir },
      );
    }
    return store;
  }

  async load(): Promise<PersistedState> {
    this.assertOpen();
    return this.state.copy();
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
    if (bytes.length + FRAME_HEADER_BYTES > this.options.recordBytesMax) {
      return Promise.reject(
        new StoreError(
          'ERR_STORE_RECORD_TOO_LARGE',
          `a delta of ${bytes.length} bytes is larger than recordBytesMax ${this.options.recordBytesMax}`,
        ),
      );
    }
    // A snapshot is the state machine's to change later: the store keeps it as written, decoded
    // from its bytes. Promises and accepted values are never changed once sent (Paxos values are
    // readonly by type), so they are kept as they are: decoding every slot again cost ~3 % of a
    // charge point at concurrency 256.
    const kept = delta.snapshot === undefined ? delta : (packr.unpack(bytes) as PersistDelta);
    return this.committer.submit({ delta: kept, bytes });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.committer.drain();
      if (this.fd >= 0) await closeFd(this.fd);
      this.fd = -1;
      await this.mark?.close();
      await this.releaseLock();
    })();
    return this.closing;
  }

  /** Which node and incarnation the data dir's IDENTITY names. */
  identity(): AcceptorIdentity {
    return { ...this.identityRecord };
  }

  stats(): StoreStats {
    return {
      appendCount: this.appendCount,
      syncCount: this.syncCount,
      pendingAppendCount: this.committer.pendingCount,
      logBytes: this.logBytes,
      compactionCount: this.compactionCount,
    };
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new StoreError('ERR_STORE_CLOSED', 'store is closed');
  }

  private async recover(): Promise<void> {
    const tmpPath = path.join(this.options.dataDir, LOG_TMP_FILE_NAME);
    if (await exists(tmpPath)) {
      // A crash during compaction, before the rename: the log itself is still whole.
      this.logger.info('storage: removing an unfinished compaction', { file: tmpPath });
      await fsp.rm(tmpPath, { force: true });
    }
    const syncedBytes = await this.checkDataDir();
    const file = await fsp.readFile(this.logPath);
    const scan = scanLog(file, this.options.recordBytesMax);
    this.checkSyncedRecords(scan, syncedBytes);
    for (const frame of scan.frames) this.applyRecord(decodePayload(frame.payload, frame.offset));
    this.fd = await open(this.logPath, 'r+');
    if (scan.damage !== undefined) {
      await fsp.truncate(this.logPath, scan.goodBytes);
      // The cut must be on disk before anything is appended after it, or a second crash could
      // leave new records behind the old garbage, which the next recovery would call corruption.
      await this.sync(this.fd, 'full');
      this.logger.warn(
        'storage: cut a torn tail from the acceptor log (a crash interrupted a write)',
        {
          file: this.logPath,
          offset: scan.damage.offset,
          reason: scan.damage.reason,
          bytesCut: file.length - scan.goodBytes,
          recordsKept: scan.frames.length,
        },
      );
    }
    this.logBytes = scan.goodBytes;
    this.baseBytes = scan.goodBytes;
    // Zeros after the last record are space an earlier run wrote ahead; a cut tail took them too.
    this.fileBytes = scan.damage === undefined ? file.length : scan.goodBytes;
    this.mark = SyncedMark.open(
      this.options.dataDir,
      this.logBytes,
      this.syncEnabled,
      (error) =>
        this.logger.error('storage: could not sync the synced-length record', {
          error: error.message,
        }),
      this.options.syncedSyncIntervalMs,
    );
    this.logger.debug('storage: recovered the acceptor log', {
      file: this.logPath,
      records: scan.frames.length,
      logBytes: this.logBytes,
      incarnation: this.identityRecord.incarnation,
    });
  }

  private get syncEnabled(): boolean {
    return !this.options.unsafeNoFsync;
  }

  /**
   * Tells a first start from amnesia (docs/STORAGE.md, "Knowing what was lost"): a dir without
   * IDENTITY and log is new and gets both; IDENTITY without the log, or naming another node, is
   * refused. Returns how many log bytes SYNCED says were synced (0 for a dir written before it).
   */
  private async checkDataDir(): Promise<number> {
    const { dataDir, nodeId } = this.options;
    const identity = await readIdentity(dataDir);
    const logExists = await exists(this.logPath);
    if (identity !== undefined && !logExists) {
      throw amnesia(
        `${this.logPath} is gone but ${dataDir} held ${describe(identity)}, so this acceptor may ` +
          'have forgotten promises it made',
      );
    }
    if (identity !== undefined && nodeId !== '' && identity.nodeId !== nodeId) {
      throw amnesia(`${dataDir} belongs to ${describe(identity)}, not to ${nodeId}`);
    }
    if (!logExists && this.options.mustExist) {
      throw amnesia(
        `${dataDir} holds no acceptor state, but ${nodeId === '' ? 'this node' : nodeId} ran on it ` +
          'before (--data-dir-must-exist), so its state was lost',
      );
    }
    if (!logExists) {
      // Log, then SYNCED, then IDENTITY: IDENTITY on disk means the other two were written.
      await this.writeFileAtomically([]);
      await SyncedMark.open(dataDir, LOG_MAGIC.length, this.syncEnabled, () => {}).close();
      const { incarnation } = this.options;
      await writeIdentity(dataDir, { nodeId, incarnation }, this.syncEnabled);
      this.identityRecord = { nodeId, incarnation };
      this.logger.info('storage: created a new acceptor data dir', { dataDir, incarnation });
      return LOG_MAGIC.length;
    }
    const synced = SyncedMark.read(dataDir);
    if (identity === undefined) {
      // A dir written before IDENTITY existed: adopt it as incarnation 1.
      await writeIdentity(dataDir, { nodeId, incarnation: 1 }, this.syncEnabled);
      this.identityRecord = { nodeId, incarnation: 1 };
      this.logger.warn('storage: the data dir had no IDENTITY; recorded it as incarnation 1', {
        dataDir,
      });
      return synced ?? 0;
    }
    this.identityRecord = identity;
    if (synced === undefined) {
      throw amnesia(
        `${dataDir} held ${describe(identity)} but its SYNCED record is gone, so lost synced ` +
          'records cannot be told from a torn tail',
      );
    }
    return synced;
  }

  /** Damage or an end before `syncedBytes` is synced data gone: refuse, never cut it. */
  private checkSyncedRecords(scan: ReturnType<typeof scanLog>, syncedBytes: number): void {
    if (scan.damage !== undefined && scan.goodFrameAfterDamageOffset !== undefined) {
      throw new StoreError(
        'ERR_STORE_CORRUPT',
        `${this.logPath}: the record at byte ${scan.damage.offset} is damaged (${scan.damage.reason}) ` +
          `but a good record follows at byte ${scan.goodFrameAfterDamageOffset}, so synced data ` +
          `was corrupted; ${READMIT_SENTENCE}`,
      );
    }
    if (scan.goodBytes < syncedBytes) {
      const what =
        scan.damage === undefined
          ? `the records end at byte ${scan.goodBytes}`
          : `the record at byte ${scan.damage.offset} is damaged (${scan.damage.reason})`;
      throw new StoreError(
        'ERR_STORE_CORRUPT',
        `${this.logPath}: ${what} but the first ${syncedBytes} bytes were synced, so ` +
          `acknowledged records were lost or damaged; ${READMIT_SENTENCE}`,
      );
    }
  }

  private applyRecord(record: ReturnType<typeof decodePayload>): void {
    switch (record.kind) {
      case 'deltas':
        for (const delta of record.deltas) this.state.applyDelta(delta);
        return;
      case 'base': {
        const base: PersistedState = { promised: record.base.promised, accepted: [] };
        if (record.base.snapshot !== undefined) base.snapshot = record.base.snapshot;
        this.state.reset(base);
        return;
      }
    }
  }

  /** One group-commit batch: one frame, one write, one fdatasync. */
  private async writeBatch(batch: PendingDelta[]): Promise<void> {
    const frame = encodeFrame(deltasPayload(batch.map((pending) => pending.bytes)));
    // On the event loop, not libuv's thread pool: the acceptor cannot answer before the sync
    // anyway, and each hop to a pool thread and back cost a wake-up on a 2-core machine shared by
    // seven processes (docs/BENCHMARKS.md). What arrives meanwhile waits in the socket and joins
    // the next batch, so group commit still happens.
    writeAllSync(this.fd, frame, this.logBytes);
    if (!this.options.unsafeNoFsync) fs.fdatasyncSync(this.fd);
    this.logBytes += frame.length;
    this.mark?.advance(this.logBytes);
    // After the sync, so this batch's answer does not wait for them; the next sync carries them.
    this.fileBytes = zeroFillAhead(
      this.fd,
      this.logBytes,
      this.fileBytes,
      this.options.preallocateBytes,
    );
    this.syncCount += 1;
    this.appendCount += batch.length;
    for (const pending of batch) this.state.applyDelta(pending.delta);
  }

  /**
   * Rewrites the log as the current state once it is over `logBytesMax`, but only after at least as
   * many bytes were appended as the last rewrite wrote: a state that alone is near the limit would
   * otherwise be rewritten after every batch, and this way compaction at most doubles the bytes
   * written.
   */
  private async maybeCompact(): Promise<void> {
    const appendedBytes = this.logBytes - this.baseBytes;
    if (this.logBytes <= this.options.logBytesMax || appendedBytes < this.baseBytes) return;
    const before = this.logBytes;
    const state = this.state.view();
    const base = {
      promised: state.promised,
      ...(state.snapshot ? { snapshot: state.snapshot } : {}),
    };
    const frames = [encodeFrame(basePayload(base))];
    for (const chunk of chunkEntries(state.accepted, this.options.recordBytesMax / 2)) {
      frames.push(encodeFrame(deltasPayload([encodeDelta({ accepted: chunk })])));
    }
    // The mark must never name more bytes than the log on disk has: lower it before the rename.
    const size = await this.writeFileAtomically(frames, (newBytes) =>
      this.mark?.writeNow(Math.min(newBytes, this.logBytes)),
    );
    this.mark?.advance(size);
    const fd = await open(this.logPath, 'r+');
    await closeFd(this.fd);
    this.fd = fd;
    this.logBytes = size;
    this.baseBytes = size;
    this.fileBytes = size;
    this.compactionCount += 1;
    this.logger.info('storage: compacted the acceptor log', {
      file: this.logPath,
      bytesBefore: before,
      bytesAfter: size,
      acceptedEntries: state.accepted.length,
    });
  }

  /** tmp file → fsync → rename over the log → fsync the dir, so a crash leaves the old or the new. */
  private async writeFileAtomically(
    frames: Buffer[],
    beforeRename: (bytes: number) => void = () => {},
  ): Promise<number> {
    const tmpPath = path.join(this.options.dataDir, LOG_TMP_FILE_NAME);
    const content = Buffer.concat([LOG_MAGIC, ...frames]);
    const fd = await open(tmpPath, 'w');
    try {
      // Synchronous like the appends: a copy into the page cache; the fsync below is the slow part.
      writeAllSync(fd, content, 0);
      await this.sync(fd, 'full');
    } finally {
      await closeFd(fd);
    }
    beforeRename(content.length);
    await fsp.rename(tmpPath, this.logPath);
    // The rename lives in the directory: without this fsync a crash could bring back the old name.
    if (this.syncEnabled) syncDir(this.options.dataDir);
    return content.length;
  }

  private async sync(fd: number, kind: 'data' | 'full'): Promise<void> {
    if (this.options.unsafeNoFsync) return;
    // fdatasync skips metadata that reading the data back does not need (mtime), but still
    // flushes a grown file size, which is all an append changes.
    await (kind === 'data' ? fdatasync(fd) : fsync(fd));
  }
}

function resolveOptions(options: FileStoreOptions): Required<FileStoreOptions> {
  const resolved: Required<FileStoreOptions> = {
    dataDir: path.resolve(options.dataDir),
    nodeId: options.nodeId ?? '',
    mustExist: options.mustExist ?? false,
    logBytesMax: options.logBytesMax ?? LOG_BYTES_MAX_DEFAULT,
    recordBytesMax: options.recordBytesMax ?? RECORD_BYTES_MAX_DEFAULT,
    pendingAppendsMax: options.pendingAppendsMax ?? PENDING_APPENDS_MAX_DEFAULT,
    unsafeNoFsync: options.unsafeNoFsync ?? false,
    preallocateBytes: options.preallocateBytes ?? PREALLOCATE_BYTES_DEFAULT,
    syncedSyncIntervalMs: options.syncedSyncIntervalMs ?? SYNCED_SYNC_INTERVAL_MS_DEFAULT,
    rejoinAfterLoss: options.rejoinAfterLoss ?? false,
    incarnation: options.incarnation ?? 1,
  };
  const problems: string[] = [];
  if (!Number.isSafeInteger(resolved.recordBytesMax) || resolved.recordBytesMax < 1024) {
    problems.push('recordBytesMax must be an integer >= 1024.');
  }
  if (resolved.recordBytesMax > 0xffffffff) {
    problems.push('recordBytesMax must fit the u32 length field (<= 4294967295).');
  }
  if (
    !Number.isSafeInteger(resolved.logBytesMax) ||
    resolved.logBytesMax < resolved.recordBytesMax
  ) {
    problems.push(
      'logBytesMax must be an integer >= recordBytesMax, or every batch would compact.',
    );
  }
  if (!Number.isSafeInteger(resolved.pendingAppendsMax) || resolved.pendingAppendsMax < 1) {
    problems.push('pendingAppendsMax must be an integer >= 1.');
  }
  if (
    !Number.isSafeInteger(resolved.preallocateBytes) ||
    resolved.preallocateBytes < 0 ||
    resolved.preallocateBytes > 64 * 1024 * 1024
  ) {
    problems.push('preallocateBytes must be an integer from 0 to 67108864 (64 MiB).');
  }
  const intervalMs = resolved.syncedSyncIntervalMs;
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 0 || intervalMs > 60_000) {
    problems.push('syncedSyncIntervalMs must be an integer from 0 to 60000.');
  }
  if (problems.length > 0) throw new StoreError('ERR_STORE_CONFIG', problems.join(' '));
  return resolved;
}

function* chunkEntries(
  entries: AcceptedEntry[],
  chunkBytesMax: number,
): Generator<AcceptedEntry[]> {
  let chunk: AcceptedEntry[] = [];
  let chunkBytes = 0;
  for (const entry of entries) {
    const entryBytes = packr.pack(entry).length;
    if (chunk.length > 0 && chunkBytes + entryBytes > chunkBytesMax) {
      yield chunk;
      chunk = [];
      chunkBytes = 0;
    }
    chunk.push(entry);
    chunkBytes += entryBytes;
  }
  if (chunk.length > 0) yield chunk;
}

const READMIT_SENTENCE =
  'this acceptor must not vote: restore the data dir from a copy, or re-admit the node as a new ' +
  'acceptor (docs/STORAGE.md, "Knowing what was lost")';

function describe(identity: AcceptorIdentity): string {
  const owner = identity.nodeId === '' ? 'an acceptor' : `the acceptor of ${identity.nodeId}`;
  return `${owner} (incarnation ${identity.incarnation})`;
}

function amnesia(what: string): StoreError {
  return new StoreError('ERR_STORE_AMNESIA', `${what}; ${READMIT_SENTENCE}.`);
}

async function exists(file: string): Promise<boolean> {
  try {
    await fsp.access(file);
    return true;
  } catch {
    return false;
  }
}

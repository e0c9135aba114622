import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { IDENTITY_FILE_NAME, SYNCED_FILE_NAME } from './constants';
import { StoreError } from './errors';
import { writeAllSync } from './preallocation';

/**
 * The two small records a data dir keeps apart from `acceptor.log` (docs/STORAGE.md, "Knowing what
 * was lost"): IDENTITY says that this dir has held an acceptor (which node, which incarnation), so a
 * missing log is amnesia and not a first start; SYNCED says how many bytes of the log were synced,
 * so damage before that offset is corruption and not a torn tail.
 */

export interface AcceptorIdentity {
  /** The node this dir belongs to; empty when the store was opened without a node id. */
  nodeId: string;
  /** 1 for the acceptor created with the dir; a re-admitted acceptor gets the next number. */
  incarnation: number;
}

const IDENTITY_FORMAT = 'evpaxos-acceptor-identity/1';

function identityChecksum(identity: AcceptorIdentity): number {
  return crc32(`${IDENTITY_FORMAT}\n${identity.nodeId}\n${identity.incarnation}`);
}

/** Reads IDENTITY; undefined when the file is not there. A damaged file is ERR_STORE_CORRUPT. */
export async function readIdentity(dataDir: string): Promise<AcceptorIdentity | undefined> {
  const file = path.join(dataDir, IDENTITY_FILE_NAME);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const record = parsed as Partial<AcceptorIdentity & { format: string; crc32: number }>;
  if (
    typeof record !== 'object' ||
    record === null ||
    record.format !== IDENTITY_FORMAT ||
    typeof record.nodeId !== 'string' ||
    !Number.isSafeInteger(record.incarnation) ||
    (record.incarnation ?? 0) < 1 ||
    record.crc32 !== identityChecksum(record as AcceptorIdentity)
  ) {
    throw new StoreError(
      'ERR_STORE_CORRUPT',
      `${file} is damaged, so this acceptor cannot tell which state it owns; restore the data dir ` +
        'from a copy, or re-admit the node as a new acceptor (docs/STORAGE.md, "Knowing what was lost").',
    );
  }
  return { nodeId: record.nodeId, incarnation: record.incarnation as number };
}

/** Writes IDENTITY through a tmp file, fsync and rename, then fsyncs the dir. */
export async function writeIdentity(
  dataDir: string,
  identity: AcceptorIdentity,
  syncEnabled: boolean,
): Promise<void> {
  const file = path.join(dataDir, IDENTITY_FILE_NAME);
  const tmp = `${file}.tmp`;
  const text = `${JSON.stringify({
    format: IDENTITY_FORMAT,
    nodeId: identity.nodeId,
    incarnation: identity.incarnation,
    crc32: identityChecksum(identity),
  })}\n`;
  const fd = fs.openSync(tmp, 'w');
  try {
    writeAllSync(fd, Buffer.from(text, 'utf8'), 0);
    if (syncEnabled) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  await fsp.rename(tmp, file);
  if (syncEnabled) syncDir(dataDir);
}

export function syncDir(dataDir: string): void {
  const dirFd = fs.openSync(dataDir, 'r');
  try {
    fs.fsyncSync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
}

/** SYNCED = "EVPXSYN1" | syncedBytes u64 LE | crc32 u32 LE over the 16 bytes before it. */
const SYNCED_MAGIC = Buffer.from('EVPXSYN1', 'ascii');
const SYNCED_RECORD_BYTES = 20;

export function encodeSynced(syncedBytes: number): Buffer {
  const record = Buffer.alloc(SYNCED_RECORD_BYTES);
  SYNCED_MAGIC.copy(record, 0);
  record.writeBigUInt64LE(BigInt(syncedBytes), 8);
  record.writeUInt32LE(crc32(record.subarray(0, 16)), 16);
  return record;
}

/**
 * The synced-length record: written in place (20 bytes, inside one disk sector) after every batch's
 * fdatasync returned, so it never names bytes that are not yet on disk. Its own fdatasync runs off
 * the commit path, at most one at a time and at most one per `syncIntervalMs`: an append does not
 * wait for a second sync, and after a power cut the record can only lag (weaker detection, never a
 * false alarm). After a process crash (kill -9) the page cache holds it exactly.
 */
export class SyncedMark {
  private inFlight: Promise<void> | undefined = undefined;
  /** Armed when the mark moved within `syncIntervalMs` of the last sync's start. */
  private timer: NodeJS.Timeout | undefined = undefined;
  private lastSyncAtMs = Number.NEGATIVE_INFINITY;
  private dirty = false;
  private closed = false;

  private constructor(
    private readonly fd: number,
    private readonly syncEnabled: boolean,
    private readonly onSyncError: (error: Error) => void,
    private readonly syncIntervalMs: number,
  ) {}

  /** Reads SYNCED: undefined when missing; ERR_STORE_CORRUPT when damaged. */
  static read(dataDir: string): number | undefined {
    const file = path.join(dataDir, SYNCED_FILE_NAME);
    let record: Buffer;
    try {
      record = fs.readFileSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    if (
      record.length !== SYNCED_RECORD_BYTES ||
      !record.subarray(0, 8).equals(SYNCED_MAGIC) ||
      record.readUInt32LE(16) !== crc32(record.subarray(0, 16))
    ) {
      throw new StoreError(
        'ERR_STORE_CORRUPT',
        `${file} is damaged, so nothing tells a torn tail of the log from lost synced records; ` +
          'restore the data dir from a copy, or re-admit the node as a new acceptor ' +
          '(docs/STORAGE.md, "Knowing what was lost").',
      );
    }
    return Number(record.readBigUInt64LE(8));
  }

  /** Opens (creating) SYNCED and writes `syncedBytes` into it, synced before it returns. */
  static open(
    dataDir: string,
    syncedBytes: number,
    syncEnabled: boolean,
    onSyncError: (error: Error) => void,
    syncIntervalMs = 0,
  ): SyncedMark {
    const fd = fs.openSync(path.join(dataDir, SYNCED_FILE_NAME), 'a+');
    fs.closeSync(fd);
    const mark = new SyncedMark(
      fs.openSync(path.join(dataDir, SYNCED_FILE_NAME), 'r+'),
      syncEnabled,
      onSyncError,
      syncIntervalMs,
    );
    mark.writeNow(syncedBytes);
    return mark;
  }

  /** Writes and syncs at once: compaction needs the lower mark on disk before its rename. */
  writeNow(syncedBytes: number): void {
    writeAllSync(this.fd, encodeSynced(syncedBytes), 0);
    fs.ftruncateSync(this.fd, SYNCED_RECORD_BYTES);
    if (this.syncEnabled) fs.fdatasyncSync(this.fd);
  }

  /** Records that the log's first `syncedBytes` are on disk; syncs the record in the background. */
  advance(syncedBytes: number): void {
    writeAllSync(this.fd, encodeSynced(syncedBytes), 0);
    if (!this.syncEnabled) return;
    this.dirty = true;
    this.syncInBackground();
  }

  private syncInBackground(): void {
    if (this.inFlight !== undefined || this.timer !== undefined) return;
    if (!this.dirty || this.closed) return;
    const waitMs = this.lastSyncAtMs + this.syncIntervalMs - performance.now();
    if (waitMs > 0) {
      // Unref'd: a pending sync of the mark never keeps the process alive (close() syncs it).
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.syncInBackground();
      }, Math.ceil(waitMs)).unref();
      return;
    }
    this.dirty = false;
    this.lastSyncAtMs = performance.now();
    this.inFlight = new Promise((resolve) => {
      fs.fdatasync(this.fd, (error) => {
        this.inFlight = undefined;
        resolve();
        if (error) this.onSyncError(error);
        else this.syncInBackground();
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
    try {
      if (this.syncEnabled && this.dirty) fs.fdatasyncSync(this.fd);
    } finally {
      fs.closeSync(this.fd);
    }
  }
}

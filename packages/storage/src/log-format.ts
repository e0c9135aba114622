import { crc32 } from 'node:zlib';
import { Packr } from 'msgpackr';
// Registers the MessagePack extension of encoded slot values: an acceptor logs a value as the bytes
// that arrived, and reads it back as such (wire value-codec.ts).
import '@evpaxos/wire';
import type { Ballot, PersistDelta, Snapshot } from '@evpaxos/paxos';
import { FRAME_HEADER_BYTES, LOG_MAGIC } from './constants';
import { StoreError } from './errors';

/**
 * The log file: LOG_MAGIC, then frames [payload length u32 LE][crc32 u32 LE][payload], then zeros
 * up to the end of the file: space written ahead for the next appends (preallocation.ts). A frame's
 * length is never 0, so the first zero length field with only zeros after it ends the log.
 * The CRC covers the four length bytes and the payload, so a flipped bit in the length is caught
 * even when the damaged length still points inside the file.
 *
 * A payload is a sequence of msgpack values: a record tag, then the record's values.
 * - DELTAS: one group-commit batch, the deltas in the order they were appended.
 * - BASE: { promised, snapshot? } — replaces the whole state (written by compaction; DELTAS records
 *   carrying the accepted entries follow it in the same file).
 *
 * The tags are msgpack uint32s that spell 'EVD1' and 'EVB1' (bytes CE 45 56 44 31 / CE 45 56 42 31).
 * Besides naming the record they give recovery five fixed bytes to search for, so it can look past a
 * damaged frame for a good one with `Buffer.indexOf` instead of trying a CRC at every offset.
 */
export const RECORD_TAG_DELTAS = 0x45564431;
export const RECORD_TAG_BASE = 0x45564231;

/** Compaction's record: everything but the accepted entries, which follow as DELTAS records. */
export interface BaseRecord {
  promised: Ballot;
  snapshot?: Snapshot;
}

export type LogRecord =
  { kind: 'deltas'; deltas: PersistDelta[] } | { kind: 'base'; base: BaseRecord };

/**
 * The one Packr of the store. `useRecords: false` makes every encoded value self-contained: a delta
 * is encoded once at append time and its bytes are copied into a batch as they are, so no shared
 * structure table may link one value's bytes to another's.
 */
export const packr = new Packr({ useRecords: false });

const tagDeltasBytes = packr.pack(RECORD_TAG_DELTAS);
const tagBaseBytes = packr.pack(RECORD_TAG_BASE);

/** Encodes one delta on its own; a DELTAS payload is the tag followed by such encodings. */
export function encodeDelta(delta: PersistDelta): Buffer {
  return Buffer.from(packr.pack(delta));
}

export function deltasPayload(encodedDeltas: readonly Buffer[]): Buffer {
  return Buffer.concat([tagDeltasBytes, ...encodedDeltas]);
}

export function basePayload(base: BaseRecord): Buffer {
  return Buffer.concat([tagBaseBytes, packr.pack(base)]);
}

export function frameChecksum(lengthBytes: Buffer, payload: Buffer): number {
  return crc32(payload, crc32(lengthBytes));
}

export function encodeFrame(payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(frameChecksum(frame.subarray(0, 4), payload), 4);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export function decodePayload(payload: Buffer, offset: number): LogRecord {
  let values: unknown[];
  try {
    values = packr.unpackMultiple(payload) as unknown[];
  } catch (error) {
    // The CRC matched, so the bytes are what was written: a payload that does not decode was
    // written by a different format, not damaged by the disk.
    throw new StoreError('ERR_STORE_FORMAT', `record at byte ${offset} does not decode`, {
      cause: error,
    });
  }
  const [tag, ...rest] = values;
  if (tag === RECORD_TAG_DELTAS && rest.every(isDelta)) {
    return { kind: 'deltas', deltas: rest };
  }
  if (tag === RECORD_TAG_BASE && rest.length === 1 && isBase(rest[0])) {
    return { kind: 'base', base: rest[0] };
  }
  throw new StoreError('ERR_STORE_FORMAT', `record at byte ${offset} has an unknown shape`);
}

function isDelta(value: unknown): value is PersistDelta {
  return (
    typeof value === 'object' && value !== null && Array.isArray((value as PersistDelta).accepted)
  );
}

function isBase(value: unknown): value is BaseRecord {
  return typeof value === 'object' && value !== null && 'promised' in value;
}

/** Why a frame could not be read. */
export type FrameDamage = 'short header' | 'bad length' | 'short payload' | 'bad checksum';

export interface ScanResult {
  /** Good frames' payloads in file order, each with the byte offset of its frame. */
  frames: { offset: number; payload: Buffer }[];
  /** Where the good frames end: the next append goes here (zeros may follow, to keep). */
  goodBytes: number;
  /** The first damaged frame, if any; everything from its offset on is the tail to cut. */
  damage?: { offset: number; reason: FrameDamage };
  /** Offset of a good frame found after the damage: proof that the damage is not a torn tail. */
  goodFrameAfterDamageOffset?: number;
}

type FrameRead = { payload: Buffer; end: number } | { damage: FrameDamage };

function readFrame(file: Buffer, offset: number, recordBytesMax: number): FrameRead {
  if (file.length - offset < FRAME_HEADER_BYTES) return { damage: 'short header' };
  const length = file.readUInt32LE(offset);
  if (length === 0 || length > recordBytesMax) return { damage: 'bad length' };
  const end = offset + FRAME_HEADER_BYTES + length;
  if (end > file.length) return { damage: 'short payload' };
  const payload = file.subarray(offset + FRAME_HEADER_BYTES, end);
  const expected = file.readUInt32LE(offset + 4);
  if (frameChecksum(file.subarray(offset, offset + 4), payload) !== expected) {
    return { damage: 'bad checksum' };
  }
  return { payload, end };
}

/** Reads every good frame from the start; stops at the first damaged one and looks past it. */
export function scanLog(file: Buffer, recordBytesMax: number): ScanResult {
  if (file.length < LOG_MAGIC.length || !file.subarray(0, LOG_MAGIC.length).equals(LOG_MAGIC)) {
    throw new StoreError(
      'ERR_STORE_FORMAT',
      `not an evpaxos acceptor log: it does not start with ${LOG_MAGIC.toString('ascii')}`,
    );
  }
  const frames: ScanResult['frames'] = [];
  let offset = LOG_MAGIC.length;
  while (offset < file.length) {
    // A zero byte where a length starts may be the space written ahead: only then look further.
    if (file[offset] === 0 && zerosToEnd(file, offset)) break;
    const read = readFrame(file, offset, recordBytesMax);
    if ('damage' in read) {
      const result: ScanResult = {
        frames,
        goodBytes: offset,
        damage: { offset, reason: read.damage },
      };
      const after = findGoodFrameAfter(file, offset, recordBytesMax);
      if (after !== undefined) result.goodFrameAfterDamageOffset = after;
      return result;
    }
    frames.push({ offset, payload: read.payload });
    offset = read.end;
  }
  return { frames, goodBytes: offset };
}

const zeroBlock = Buffer.alloc(64 * 1024);

/** Whether every byte from `offset` to the end is zero: space written ahead, not a record. */
function zerosToEnd(file: Buffer, offset: number): boolean {
  for (let at = offset; at < file.length; at += zeroBlock.length) {
    const end = Math.min(file.length, at + zeroBlock.length);
    if (!file.subarray(at, end).equals(zeroBlock.subarray(0, end - at))) return false;
  }
  return true;
}

/**
 * Looks for any intact frame that starts after `damagedOffset`. Candidates are the places where a
 * record tag sits right after a frame header; only those get a CRC check, so the search is linear.
 */
function findGoodFrameAfter(
  file: Buffer,
  damagedOffset: number,
  recordBytesMax: number,
): number | undefined {
  let best: number | undefined = undefined;
  for (const tag of [tagDeltasBytes, tagBaseBytes]) {
    let at = file.indexOf(tag, damagedOffset + 1 + FRAME_HEADER_BYTES);
    while (at !== -1 && (best === undefined || at - FRAME_HEADER_BYTES < best)) {
      const candidate = at - FRAME_HEADER_BYTES;
      if (!('damage' in readFrame(file, candidate, recordBytesMax))) {
        best = candidate;
        break;
      }
      at = file.indexOf(tag, at + 1);
    }
  }
  return best;
}

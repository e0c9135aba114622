import { Packr, addExtension } from 'msgpackr';
import type { Command, Value } from '@evpaxos/paxos';
import {
  isInteger,
  isPlainData,
  readArray,
  readId,
  readPlainData,
  readPositiveInteger,
  readRecord,
  readTuple,
} from './check';
import { untrustedPackrOptions } from './codec';
import { defaultWireLimits, type WireLimits } from './constants';

/**
 * A slot's value travels and is stored as the bytes the leader encoded, once: a MessagePack
 * extension (type 0x56, 'V') holding the MessagePack array of its commands, each
 * `[clientId, seq, payload]`. An acceptor validates
 * nothing inside it, keeps the bytes and writes them to its log as they are; a learner decodes and
 * checks the commands when it applies the slot. Before this, every charge point decoded and
 * checked each command of an Accept, encoded it again into its log, and decoded that again — and
 * kept 64 command objects per slot alive until the next snapshot, which the garbage collector
 * promoted and marked (docs/BENCHMARKS.md, change 17).
 */
export const ENCODED_VALUE_EXT_TYPE = 0x56;

const valuePackr = new Packr(untrustedPackrOptions);

const invalidValueListeners = new Set<(reason: string) => void>();

/**
 * Calls `listener` whenever an encoded value does not decode to valid commands (it then reads as
 * no commands: every replica holds the same bytes, so every replica applies the same no-op).
 * Returns an unsubscribe.
 */
export function onInvalidValue(listener: (reason: string) => void): () => void {
  invalidValueListeners.add(listener);
  return () => invalidValueListeners.delete(listener);
}

/** A value as encoded bytes; its commands are decoded and checked on every read, not kept. */
export class EncodedValue implements Value {
  readonly encodedBytes: number;

  constructor(readonly bytes: Buffer) {
    this.encodedBytes = bytes.length;
  }

  get commands(): readonly Command[] {
    try {
      return readCommands(valuePackr.unpack(this.bytes), 'value.commands', defaultWireLimits);
    } catch (error) {
      // The same bytes on every replica, so the same outcome: a no-op, and a logged reason.
      const reason = error instanceof Error ? error.message.slice(0, 200) : String(error);
      for (const listener of invalidValueListeners) listener(reason);
      return [];
    }
  }
}

addExtension({
  Class: EncodedValue,
  type: ENCODED_VALUE_EXT_TYPE,
  pack: (value: EncodedValue) => value.bytes,
  // msgpackr hands a view of the whole frame: copy, so a stored value does not keep the frame alive.
  unpack: (bytes: Buffer) => new EncodedValue(Buffer.from(bytes)),
});

/** Encodings of values made here, so a value sent again (a retry, a catch-up) is encoded once. */
const encodedOf = new WeakMap<Value, EncodedValue>();

/** The value as encoded bytes: itself when it arrived encoded, else encoded now (once). */
export function encodeValue(value: Value): EncodedValue {
  if (value instanceof EncodedValue) return value;
  let encoded = encodedOf.get(value);
  if (encoded === undefined) {
    // Positional, as the Paxos messages (paxos-layout.ts): [clientId, seq, payload] per command.
    const commands = value.commands.map((command) => [
      command.clientId,
      command.seq,
      command.payload,
    ]);
    encoded = new EncodedValue(Buffer.from(valuePackr.pack(commands)));
    encodedOf.set(value, encoded);
  }
  return encoded;
}

/**
 * A value's commands, checked one by one (at most commandsPerValueMax): each `[clientId, seq,
 * payload]` (encoded by `encodeValue` since envelope version 2) or a `{ clientId, seq, payload }`
 * map (a value written before, read back from an acceptor's log or sent on from it).
 */
export function readCommands(value: unknown, path: string, limits: WireLimits): Command[] {
  const commands = readArray(value, path, limits.commandsPerValueMax);
  const out = new Array<Command>(commands.length);
  for (let index = 0; index < commands.length; index += 1) {
    const command = commands[index];
    out[index] = commandOf(command, limits) ?? readCommandMap(command, `${path}[${index}]`, limits);
  }
  return out;
}

/**
 * The command, or undefined when it is not a valid `[clientId, seq, payload]`: no path is built
 * for a good one (64 per slot, on every learner); `readCommandMap` says what is wrong otherwise.
 */
function commandOf(value: unknown, limits: WireLimits): Command | undefined {
  if (!Array.isArray(value) || value.length !== 3) return undefined;
  const clientId: unknown = value[0];
  const seq: unknown = value[1];
  if (typeof clientId !== 'string' || clientId.length === 0) return undefined;
  if (clientId.length > limits.idLengthMax || !isInteger(seq, 1)) return undefined;
  if (!isPlainData(value[2], limits.plainDataDepthMax)) return undefined;
  return { clientId, seq, payload: value[2] };
}

function readCommandMap(value: unknown, path: string, limits: WireLimits): Command {
  const o = Array.isArray(value)
    ? fieldsOf(readTuple(value, path, 3))
    : readRecord(value, path, ['clientId', 'seq', 'payload']);
  return {
    clientId: readId(o.clientId, `${path}.clientId`, limits.idLengthMax),
    // Commands are numbered 1, 2, 3, … per client (types.ts), so seq 0 is never sent.
    seq: readPositiveInteger(o.seq, `${path}.seq`),
    payload: readPlainData(o.payload, `${path}.payload`, limits.plainDataDepthMax),
  };
}

function fieldsOf(command: readonly unknown[]): Record<string, unknown> {
  return { clientId: command[0], seq: command[1], payload: command[2] };
}

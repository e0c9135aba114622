import { WireError } from './errors';

/**
 * Small readers for validating untrusted bodies. Each takes the value and a path (for the error
 * message, e.g. `promise.accepted[3].ballot.round`) and returns the value typed, or throws
 * `WireError('invalid-body')`. Exported so that other protocols (the client API) can write their
 * body validators the same way.
 */

export function invalidBody(path: string, expected: string): WireError {
  return new WireError('invalid-body', `${path}: expected ${expected}`);
}

/** A plain object (what msgpackr's mapsAsObjects makes of a map): not an array, not a class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A plain object (a decoded MessagePack map), any keys: for maps keyed by data, like client ids. */
export function readPlainObject(value: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw invalidBody(path, 'an object');
  return value;
}

/**
 * A plain object whose own keys are all in `allowedKeys`. Unknown keys are refused rather than
 * ignored: a field we do not know is a sender on another schema, and the version says it should
 * not be (the envelope `v` is how the schema changes).
 */
export function readRecord(
  value: unknown,
  path: string,
  allowedKeys: readonly string[],
): Record<string, unknown> {
  const record = readPlainObject(value, path);
  for (const key of Object.keys(record)) {
    if (!allowedKeys.includes(key)) throw invalidBody(`${path}.${key}`, 'no such field');
  }
  return record;
}

/**
 * An array of exactly `length` items: a positional record (paxos-layout.ts). A longer one is a
 * sender on another schema, refused as `readRecord` refuses an unknown key.
 */
export function readTuple(value: unknown, path: string, length: number): readonly unknown[] {
  if (!Array.isArray(value) || value.length !== length) {
    throw invalidBody(path, `an array of ${length} items`);
  }
  return value;
}

export function readString(value: unknown, path: string, lengthMax: number): string {
  if (typeof value !== 'string') throw invalidBody(path, 'a string');
  if (value.length > lengthMax) throw invalidBody(path, `at most ${lengthMax} characters`);
  return value;
}

/** A non-empty string of at most `lengthMax` characters: node, cluster and client ids. */
export function readId(value: unknown, path: string, lengthMax: number): string {
  const id = readString(value, path, lengthMax);
  if (id.length === 0) throw invalidBody(path, 'a non-empty id');
  return id;
}

/** An integer >= `minimum` that a double represents exactly. */
export function readInteger(value: unknown, path: string, minimum: number): number {
  if (!isInteger(value, minimum)) throw invalidBody(path, `an integer >= ${minimum}`);
  return value;
}

/**
 * What `readInteger` checks, without a path: hot loops (a value's commands, a Decide's entries)
 * test with it and build the path for the error only when it fails.
 */
export function isInteger(value: unknown, minimum: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= minimum;
}

export function readNonNegativeInteger(value: unknown, path: string): number {
  return readInteger(value, path, 0);
}

export function readPositiveInteger(value: unknown, path: string): number {
  return readInteger(value, path, 1);
}

export function readArray(value: unknown, path: string, lengthMax: number): readonly unknown[] {
  if (!Array.isArray(value)) throw invalidBody(path, 'an array');
  if (value.length > lengthMax) throw invalidBody(path, `at most ${lengthMax} items`);
  return value;
}

/** Exactly `length` bytes (MessagePack bin), copied so the result does not pin the frame buffer. */
export function readBytes(value: unknown, path: string, length: number): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw invalidBody(path, `${length} bytes`);
  }
  return Uint8Array.prototype.slice.call(value);
}

/**
 * Opaque application data (a command payload, a result, snapshot state): JSON-like values only —
 * null, undefined, booleans, finite numbers, strings, arrays, plain objects — at most
 * `depthMax` deep. MessagePack extensions that msgpackr decodes regardless of our options (Date,
 * Set, Error, RegExp, typed arrays, BigInt) are refused here, so no class instance reaches the
 * state machine, which must stay deterministic and serialisable.
 * Note: msgpackr decodes a map key named `__proto__` as `__proto_` (its guard against prototype
 * pollution), so application data must not use that key.
 */
export function readPlainData(value: unknown, path: string, depthMax: number): unknown {
  // The check without paths first: a command's payload is read on every learner for every command.
  if (!isPlainData(value, depthMax)) checkPlainData(value, path, depthMax);
  return value;
}

/** What `readPlainData` accepts, as a predicate that builds no path (and so no garbage). */
export function isPlainData(value: unknown, depthLeft: number): boolean {
  switch (typeof value) {
    case 'undefined':
    case 'boolean':
    case 'string':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depthLeft <= 0) return false;
      if (Array.isArray(value)) {
        for (const item of value as unknown[]) if (!isPlainData(item, depthLeft - 1)) return false;
        return true;
      }
      if (!isPlainObject(value)) return false;
      for (const key in value) {
        if (Object.hasOwn(value, key) && !isPlainData(value[key], depthLeft - 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

function checkPlainData(value: unknown, path: string, depthLeft: number): void {
  switch (typeof value) {
    case 'undefined':
    case 'boolean':
    case 'string':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw invalidBody(path, 'a finite number');
      return;
    case 'object': {
      if (value === null) return;
      if (depthLeft <= 0) throw invalidBody(path, 'data nested less deeply');
      if (Array.isArray(value)) {
        value.forEach((item: unknown, index) =>
          checkPlainData(item, `${path}[${index}]`, depthLeft - 1),
        );
        return;
      }
      if (!isPlainObject(value)) throw invalidBody(path, 'plain data (no class instances)');
      for (const [key, item] of Object.entries(value)) {
        checkPlainData(item, `${path}.${key}`, depthLeft - 1);
      }
      return;
    }
    default:
      throw invalidBody(path, 'plain data');
  }
}

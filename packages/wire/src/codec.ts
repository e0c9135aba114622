import { Packr } from 'msgpackr';
import { isPlainObject } from './check';
import { WIRE_VERSION, defaultWireLimits, type WireLimits } from './constants';
import { WireError } from './errors';

/**
 * The one MessagePack configuration of the cluster. Every option is spelled out because msgpackr's
 * defaults are tuned for speed between trusting parties, and our peers restart independently and
 * send untrusted bytes:
 * - `useRecords: false`: records share structure definitions between encoder and decoder; a peer
 *   that restarted would not know them, so every object is a self-describing map.
 * - `mapsAsObjects: true`: maps decode to plain objects, the shape the validators read.
 * - `moreTypes: false`, `structuredClone: false`: no Set/Map/Error/RegExp extensions on encode, and
 *   no reference/cycle extensions on decode (a cycle would make validation loop).
 * - `bundleStrings: false`, `useTimestamp32: false`: plain strings and no Date tricks.
 * - `copyBuffers: true`: decoded byte strings do not keep the whole frame buffer alive.
 * msgpackr still decodes some extensions regardless (Date, Set, Error, RegExp, typed arrays,
 * BigInt); the body validators refuse them (check.ts `readPlainData`).
 */
export const untrustedPackrOptions = Object.freeze({
  useRecords: false,
  mapsAsObjects: true,
  moreTypes: false,
  structuredClone: false,
  bundleStrings: false,
  useTimestamp32: false,
  copyBuffers: true,
});

const packr = new Packr(untrustedPackrOptions);

/** Turns an untrusted body into a typed one, or throws `WireError` (usually `invalid-body`). */
export type BodyValidator<Body> = (body: unknown, limits: WireLimits) => Body;

/** One validator per envelope kind: the registry of a protocol's kinds. */
export type BodyValidators<Kinds> = { readonly [Kind in keyof Kinds]: BodyValidator<Kinds[Kind]> };

/**
 * What a body is turned into right before it is encoded, for kinds that need it: the Paxos
 * messages' positional layout (paxos-layout.ts), which their validator reads.
 */
export type BodyEncoders<Kinds> = {
  readonly [Kind in keyof Kinds]?: (body: Kinds[Kind]) => unknown;
};

/**
 * The versioned envelope every frame carries, `{ v, kind, body }` here; on the wire since version 2
 * the array `[v, kind, body]` (version 1 was a map with those keys).
 */
export type Envelope<Kinds> = {
  [Kind in keyof Kinds & string]: {
    readonly v: typeof WIRE_VERSION;
    readonly kind: Kind;
    readonly body: Kinds[Kind];
  };
}[keyof Kinds & string];

export interface DecodeOptions {
  /** Overrides the codec's `maxFrameBytes` for this frame. */
  readonly maxFrameBytes?: number;
}

/**
 * Encodes and decodes envelopes for one set of kinds. Immutable: `extend` returns a new codec, so
 * a protocol that adds kinds (the client API: `submit`, `result`) cannot change what another
 * component's codec accepts.
 */
export class EnvelopeCodec<Kinds extends object> {
  readonly limits: WireLimits;
  private readonly validators: ReadonlyMap<string, BodyValidator<unknown>>;
  private readonly encoders: ReadonlyMap<string, (body: unknown) => unknown>;
  /** Encoded frames by body object: a broadcast to N peers encodes once. */
  private readonly encodedOnce = new WeakMap<object, { kind: string; bytes: Uint8Array }>();

  constructor(
    validators: BodyValidators<Kinds>,
    limits: Partial<WireLimits> = {},
    encoders: BodyEncoders<Kinds> = {},
  ) {
    this.limits = Object.freeze({ ...defaultWireLimits, ...limits });
    this.validators = new Map(Object.entries(validators) as [string, BodyValidator<unknown>][]);
    this.encoders = new Map(Object.entries(encoders) as [string, (body: unknown) => unknown][]);
    for (const [name, limit] of Object.entries(this.limits)) {
      if (!Number.isSafeInteger(limit) || (limit as number) <= 0) {
        throw new RangeError(
          `Wire limit ${name} must be a positive integer, got ${String(limit)}.`,
        );
      }
    }
  }

  /** The kinds this codec accepts. */
  get kinds(): readonly string[] {
    return [...this.validators.keys()];
  }

  /** A codec that also accepts `more` kinds. A kind registered twice is a programming error. */
  extend<More extends object>(
    more: BodyValidators<More>,
    limits: Partial<WireLimits> = {},
  ): EnvelopeCodec<Kinds & More> {
    const merged: Record<string, BodyValidator<unknown>> = Object.fromEntries(this.validators);
    for (const [kind, validator] of Object.entries(more) as [string, BodyValidator<unknown>][]) {
      if (kind in merged) throw new Error(`Envelope kind ${kind} is already registered.`);
      merged[kind] = validator;
    }
    return new EnvelopeCodec<Kinds & More>(
      merged as BodyValidators<Kinds & More>,
      { ...this.limits, ...limits },
      Object.fromEntries(this.encoders) as BodyEncoders<Kinds & More>,
    );
  }

  /**
   * Encodes an envelope. Throws `WireError('frame-too-large')` when the frame would exceed
   * `maxFrameBytes`: the receiver would refuse it anyway, so the sender learns it first.
   */
  encode(envelope: Envelope<Kinds>): Uint8Array {
    // A fresh object with exactly the envelope's three fields, whatever else the caller's had.
    const encoder = this.encoders.get(envelope.kind);
    const bytes: Uint8Array = packr.pack([
      WIRE_VERSION,
      envelope.kind,
      encoder === undefined ? envelope.body : encoder(envelope.body),
    ]);
    if (bytes.length > this.limits.maxFrameBytes) {
      throw new WireError(
        'frame-too-large',
        `encoding ${envelope.kind} gives ${bytes.length} bytes, more than ${this.limits.maxFrameBytes}`,
      );
    }
    return bytes;
  }

  /**
   * Encodes `body` under `kind` once per body object and returns the same bytes afterwards: the
   * caller must not mutate a body it has sent (Paxos messages are readonly by type).
   */
  encodeOnce<Kind extends keyof Kinds & string>(
    kind: Kind,
    body: Kinds[Kind] & object,
  ): Uint8Array {
    const cached = this.encodedOnce.get(body);
    if (cached !== undefined && cached.kind === kind) return cached.bytes;
    const bytes = this.encode({ v: WIRE_VERSION, kind, body } as unknown as Envelope<Kinds>);
    this.encodedOnce.set(body, { kind, bytes });
    return bytes;
  }

  /**
   * Decodes and validates a frame holding exactly one envelope (the handshake, tests). Throws only
   * `WireError`: whatever the bytes, the caller can close the connection with its code and go on.
   */
  decode(bytes: Uint8Array, options: DecodeOptions = {}): Envelope<Kinds> {
    const envelopes = this.decodeAll(bytes, options);
    if (envelopes.length !== 1) {
      throw new WireError('malformed-frame', `${envelopes.length} envelopes, expected one`);
    }
    return envelopes[0] as Envelope<Kinds>;
  }

  /**
   * Decodes and validates a frame: one or more envelopes back to back (MessagePack values, no
   * separator; a sender coalesces what it sends a peer in one turn into one frame, see
   * `concatFrames`). All or nothing: one bad envelope refuses the whole frame. Throws only
   * `WireError`.
   */
  decodeAll(bytes: Uint8Array, options: DecodeOptions = {}): Envelope<Kinds>[] {
    const maxFrameBytes = options.maxFrameBytes ?? this.limits.maxFrameBytes;
    if (bytes.length > maxFrameBytes) {
      throw new WireError('frame-too-large', `${bytes.length} bytes, more than ${maxFrameBytes}`);
    }
    if (bytes.length === 0) throw new WireError('malformed-frame', 'an empty frame');
    const values: unknown[] = [];
    const countMax = this.limits.envelopesPerFrameMax;
    try {
      // msgpackr throws on a truncated value; deep nesting may overflow the stack (a RangeError),
      // which is caught here like any other.
      packr.unpackMultiple(bytes, (value: unknown) => {
        if (values.length >= countMax) throw new TooManyEnvelopes();
        values.push(value);
      });
    } catch (error) {
      if (error instanceof TooManyEnvelopes) {
        throw new WireError('malformed-frame', `more than ${countMax} envelopes in one frame`);
      }
      throw new WireError('malformed-frame', `not MessagePack (${describe(error)})`);
    }
    return values.map((value) => this.validateEnvelope(value));
  }

  private validateEnvelope(decoded: unknown): Envelope<Kinds> {
    if (!Array.isArray(decoded)) throw notAnEnvelope(decoded);
    if (decoded.length !== 3)
      throw new WireError('malformed-frame', 'not a [v, kind, body] envelope');
    const version: unknown = decoded[0];
    if (typeof version !== 'number') throw new WireError('malformed-frame', 'no version');
    if (version !== WIRE_VERSION) {
      throw new WireError('unsupported-version', `version ${version}, expected ${WIRE_VERSION}`);
    }
    const kind: unknown = decoded[1];
    if (typeof kind !== 'string') throw new WireError('malformed-frame', 'no kind');
    const validator = this.validators.get(kind);
    if (validator === undefined) {
      throw new WireError('unknown-type', `envelope kind ${JSON.stringify(kind.slice(0, 64))}`);
    }
    let body: unknown;
    try {
      body = validator(decoded[2], this.limits);
    } catch (error) {
      if (error instanceof WireError) throw error;
      // A validator that throws something else is a bug in it, but the frame is still refused
      // as untrusted input rather than crashing the connection's owner.
      throw new WireError('invalid-body', `${kind}: ${describe(error)}`);
    }
    return { v: WIRE_VERSION, kind, body } as Envelope<Kinds>;
  }
}

/**
 * Why a value that is not an array is no envelope. A `{ v, kind, body }` map with a numeric `v` is
 * a node of version 1 (maps on the wire): it is told so, so that a cluster restarted half on each
 * version says why its links do not come up (docs/PROTOCOL-WIRE.md, "Versions").
 */
function notAnEnvelope(decoded: unknown): WireError {
  const version = isPlainObject(decoded) ? decoded.v : undefined;
  if (typeof version === 'number' && version !== WIRE_VERSION) {
    return new WireError(
      'unsupported-version',
      `version ${version} (a { v, kind, body } map), expected ${WIRE_VERSION} ([v, kind, body] array): every member must run the same version`,
    );
  }
  return new WireError('malformed-frame', 'not a [v, kind, body] envelope');
}

/** Thrown inside msgpackr's iteration to stop a frame with too many envelopes early. */
class TooManyEnvelopes extends Error {}

/**
 * One frame from several encoded envelopes (each from `encode`/`encodeOnce`): their bytes back to
 * back, which `decodeAll` reads as a sequence. The caller keeps the total within `maxFrameBytes`.
 */
export function concatFrames(encoded: readonly Uint8Array[]): Uint8Array {
  if (encoded.length === 1) return encoded[0] as Uint8Array;
  return Buffer.concat(encoded);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 200) : String(error).slice(0, 200);
}

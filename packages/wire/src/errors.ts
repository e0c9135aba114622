/**
 * Why a frame was refused. Stable strings: logs, metrics and tests match on them.
 * - `frame-too-large`: more bytes than `maxFrameBytes` (checked before decoding, and on encode).
 * - `malformed-frame`: not MessagePack, trailing bytes, or not a `{ v, kind, body }` envelope.
 * - `unsupported-version`: an envelope whose `v` is not ours.
 * - `unknown-type`: an envelope kind, or a Paxos message type, nobody registered.
 * - `invalid-body`: a known kind whose body breaks its schema or a limit.
 */
export type WireErrorCode =
  'frame-too-large' | 'malformed-frame' | 'unsupported-version' | 'unknown-type' | 'invalid-body';

export const wireErrorCodes: readonly WireErrorCode[] = [
  'frame-too-large',
  'malformed-frame',
  'unsupported-version',
  'unknown-type',
  'invalid-body',
];

/** The only error the decoder throws: an operating error, handled by closing the connection. */
export class WireError extends Error {
  override readonly name = 'WireError';

  constructor(
    readonly code: WireErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export function isWireError(error: unknown): error is WireError {
  return error instanceof WireError;
}

/**
 * Programming and configuration errors of the transport (operating errors — bad frames, dead
 * peers — are handled inside and never thrown).
 * - `invalid-options`: bad construction options; the message has one sentence per broken rule.
 * - `unknown-peer`: a send to an id that is not a member.
 * - `invalid-fault-rule`: a fault rule that cannot be applied.
 * - `not-started` / `already-started`: lifecycle misuse.
 */
export type TransportErrorCode =
  'invalid-options' | 'unknown-peer' | 'invalid-fault-rule' | 'not-started' | 'already-started';

export class TransportError extends Error {
  override readonly name = 'TransportError';

  constructor(
    readonly code: TransportErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

import type { EvLinkErrorCode } from './messages';

/**
 * Every operating error of the EV link (docs/STYLE.md rule 4): a stable `code` and one sentence. A
 * validator or codec throws nothing else on untrusted input.
 */
export class EvLinkError extends Error {
  override readonly name = 'EvLinkError';
  constructor(
    readonly code: EvLinkErrorCode,
    message: string,
    /** The request the error is about, when known. */
    readonly requestId: number | null = null,
    /** For `remote-error`: the code the peer sent. */
    readonly remoteCode?: EvLinkErrorCode,
  ) {
    super(message);
  }
}

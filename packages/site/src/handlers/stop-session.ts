/** StopSession: the transaction ended (TransactionEventRequest Ended, or a RequestStop). */
import type { StopSession } from '../commands';
import type { SiteState } from '../state';
import type { SiteTransition } from './kit';
import { accept, begin, unknownTransaction } from './kit';

/** Ends a transaction in progress, freeing its connector; an unknown one is rejected. */
export function handleStopSession(
  state: SiteState,
  command: StopSession,
  t: number,
): SiteTransition {
  if (state.sessions[command.transactionId] === undefined) {
    return unknownTransaction(state, command.transactionId);
  }
  const draft = begin(state, t);
  delete draft.sessions[command.transactionId];
  return accept(draft, { ok: true, type: command.type });
}

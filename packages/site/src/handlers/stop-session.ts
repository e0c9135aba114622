/** StopSession: the transaction ended (TransactionEventRequest Ended, or a RequestStop). */
import type { StopSession } from '../commands';
import type { SiteState } from '../state';
import type { SiteTransition } from './kit';
import { accept, begin, unknownTransaction } from './kit';

/**
 * Ends a transaction in progress, freeing its connector; an unknown one is rejected. The energy it
 * delivered (final register, else the last recorded one, less the start register) is added to the
 * site's deliveredWh and returned; absent when the station never reported its meter.
 */
export function handleStopSession(
  state: SiteState,
  command: StopSession,
  t: number,
): SiteTransition {
  const session = state.sessions[command.transactionId];
  if (session === undefined) return unknownTransaction(state, command.transactionId);
  const draft = begin(state, t);
  delete draft.sessions[command.transactionId];
  const startWh = session.meter?.startRegisterWh ?? 0;
  const finalWh = Math.max(command.registerWh ?? 0, session.meter?.registerWh ?? 0);
  const metered = command.registerWh !== undefined || session.meter !== undefined;
  const energyWh = metered ? Math.max(0, finalWh - startWh) : null;
  if (energyWh !== null) draft.deliveredWh = (draft.deliveredWh ?? 0) + energyWh;
  return accept(draft, {
    ok: true,
    type: command.type,
    ...(energyWh === null ? {} : { energyWh }),
  });
}

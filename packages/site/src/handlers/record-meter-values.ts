/** RecordMeterValues: a station's meter reading for a session (OCPP 2.0.1 J01/J02). */
import type { RecordMeterValues } from '../commands';
import type { SiteState } from '../state';
import type { SiteTransition } from './kit';
import { accept, begin, reject, unknownTransaction } from './kit';

/**
 * Records the register (and power) for a session in progress. A register is cumulative, so one
 * below the last recorded is a stale or reordered reading and is rejected; the start register is
 * fixed by the first reading (the Transaction.Begin sample when the station sent one, else 0).
 */
export function handleRecordMeterValues(
  state: SiteState,
  command: RecordMeterValues,
  t: number,
): SiteTransition {
  const session = state.sessions[command.transactionId];
  if (session === undefined) return unknownTransaction(state, command.transactionId);
  const startRegisterWh = session.meter?.startRegisterWh ?? command.startRegisterWh ?? 0;
  const lastWh = session.meter?.registerWh ?? startRegisterWh;
  if (command.registerWh < lastWh) {
    return reject(
      state,
      'meter-out-of-range',
      `register ${command.registerWh} Wh of ${command.transactionId} is below the last recorded ${lastWh} Wh`,
    );
  }
  const draft = begin(state, t);
  const target = draft.sessions[command.transactionId];
  if (target !== undefined) {
    target.meter = {
      startRegisterWh,
      registerWh: command.registerWh,
      powerW: command.powerW ?? null,
      atMs: t,
    };
  }
  return accept(draft, { ok: true, type: command.type });
}

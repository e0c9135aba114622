/** ChargePointFaulted: a connector, or the whole charge point, is out of order (StatusNotification). */
import type { ChargePointFaulted } from '../commands';
import type { SiteState } from '../state';
import { sortedKeys } from '../state';
import type { SiteTransition } from './kit';
import { accept, begin, range, reject, unknownChargePoint } from './kit';

/**
 * Faults the connector (or every connector). A faulted connector delivers no energy, so the
 * transactions on it end (TransactionEvent Ended), and H01.FR.16: an EVSE turning Faulted removes
 * its reservation. Faulting only what is already faulted is rejected.
 */
export function handleChargePointFaulted(
  state: SiteState,
  command: ChargePointFaulted,
  t: number,
): SiteTransition {
  const chargePoint = state.chargePoints[command.chargePointId];
  if (chargePoint === undefined) return unknownChargePoint(state, command.chargePointId);
  if (command.connectorId !== undefined && command.connectorId > chargePoint.connectorCount) {
    return reject(
      state,
      'unknown-connector',
      `charge point ${command.chargePointId} has no connector ${command.connectorId}`,
    );
  }
  const targets =
    command.connectorId === undefined
      ? range(1, chargePoint.connectorCount)
      : [command.connectorId];
  const newlyFaulted = targets.filter((id) => !chargePoint.faultedConnectorIds.includes(id));
  if (newlyFaulted.length === 0) {
    return reject(
      state,
      'already-faulted',
      `charge point ${command.chargePointId} connector(s) ${targets.join(', ')} already faulted`,
    );
  }
  const draft = begin(state, t);
  const target = draft.chargePoints[command.chargePointId];
  if (target !== undefined) {
    target.faultedConnectorIds = [...target.faultedConnectorIds, ...newlyFaulted].sort(
      (a, b) => a - b,
    );
  }
  const onFaulted = (item: { chargePointId: string; connectorId: number } | undefined) =>
    item?.chargePointId === command.chargePointId && newlyFaulted.includes(item.connectorId);
  const endedTransactionIds: string[] = [];
  for (const transactionId of sortedKeys(draft.sessions)) {
    if (!onFaulted(draft.sessions[transactionId])) continue;
    endedTransactionIds.push(transactionId);
    delete draft.sessions[transactionId];
  }
  const removedReservationIds: number[] = [];
  for (const key of sortedKeys(draft.reservations)) {
    const reservation = draft.reservations[key];
    if (reservation === undefined || !onFaulted(reservation)) continue;
    removedReservationIds.push(reservation.reservationId);
    delete draft.reservations[key];
  }
  return accept(draft, {
    ok: true,
    type: command.type,
    endedTransactionIds,
    removedReservationIds,
  });
}

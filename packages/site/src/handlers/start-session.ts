/** StartSession: a transaction starts on a connector (TransactionEventRequest Started, E01–E03). */
import type { StartSession } from '../commands';
import type { SiteState } from '../state';
import type { SiteTransition } from './kit';
import { accept, begin, connectorCheck, occupiedCheck, refuse, reject, reservationOn } from './kit';

/**
 * Starts the transaction on a free, working connector and hands out its ChargingProfile.id. H03:
 * a reserved connector takes only the reserved idToken, and the session consumes the reservation.
 * It starts at 0 W, status fail-safe, until the grants are recorded (reducer.ts, lease.ts R1).
 */
export function handleStartSession(
  state: SiteState,
  command: StartSession,
  t: number,
): SiteTransition {
  if (state.sessions[command.transactionId] !== undefined) {
    return reject(
      state,
      'transaction-exists',
      `transaction ${command.transactionId} is already in progress`,
    );
  }
  const checked = connectorCheck(state, command.chargePointId, command.connectorId);
  if ('code' in checked) return refuse(state, checked);
  const occupied = occupiedCheck(state, command.chargePointId, command.connectorId);
  if (occupied !== null) return refuse(state, occupied);
  const heldBy = reservationOn(state, command.chargePointId, command.connectorId, t);
  const reservation = heldBy === null ? undefined : state.reservations[String(heldBy)];
  if (reservation !== undefined && reservation.idToken !== command.idToken) {
    return reject(
      state,
      'connector-reserved',
      `connector ${command.chargePointId}/${command.connectorId} is reserved for another idToken (reservation ${reservation.reservationId})`,
    );
  }
  if (Object.keys(state.sessions).length >= state.config.sessionsMax) {
    return reject(
      state,
      'sessions-full',
      `the site runs at most ${state.config.sessionsMax} sessions`,
    );
  }
  const draft = begin(state, t);
  const chargingProfileId = draft.nextChargingProfileId;
  draft.nextChargingProfileId += 1;
  if (reservation !== undefined) delete draft.reservations[String(reservation.reservationId)];
  draft.sessions[command.transactionId] = {
    transactionId: command.transactionId,
    chargePointId: command.chargePointId,
    connectorId: command.connectorId,
    idToken: command.idToken,
    startedAtMs: t,
    reservationId: reservation?.reservationId ?? null,
    needs: null,
    chargingProfileId,
    allocatedW: 0,
    allocationStatus: 'fail-safe',
  };
  return accept(draft, {
    ok: true,
    type: command.type,
    chargingProfileId,
    ...(reservation === undefined ? {} : { reservationId: reservation.reservationId }),
  });
}

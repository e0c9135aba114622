/** Reserve: hold a connector for an idToken until a time (OCPP 2.0.1 ReserveNowRequest, H01). */
import type { Reserve } from '../commands';
import type { SiteState } from '../state';
import type { Refusal, SiteTransition } from './kit';
import { accept, begin, connectorCheck, occupiedCheck, refuse, reject, reservationOn } from './kit';

/**
 * A reservation must end after time t. Checked at the command's own time before it is proposed (if
 * it ends by atMs it ends by any later t) and at the replicated clock when applied.
 */
export function reservationInPast(command: Reserve, t: number): Refusal | null {
  return command.expiresAtMs <= t
    ? {
        code: 'reservation-in-past',
        reason: `reservation ${command.reservationId} expires at ${command.expiresAtMs}, not after ${t}`,
      }
    : null;
}

/** What needs no state: the reservation ends after the command's own time. */
export function checkReserve(command: Reserve): Refusal | null {
  return reservationInPast(command, command.atMs);
}

/**
 * Holds a free, working connector. H01.FR.02: a known reservation id replaces that reservation, so
 * it does not conflict with itself; any other live reservation or a session on the connector does.
 */
export function handleReserve(state: SiteState, command: Reserve, t: number): SiteTransition {
  const config = state.config;
  const checked = connectorCheck(state, command.chargePointId, command.connectorId);
  if ('code' in checked) return refuse(state, checked);
  const inPast = reservationInPast(command, t);
  if (inPast !== null) return refuse(state, inPast);
  if (command.expiresAtMs - t > config.reservationDurationMsMax) {
    return reject(
      state,
      'reservation-too-long',
      `reservation ${command.reservationId} lasts longer than ${config.reservationDurationMsMax} ms`,
    );
  }
  const occupied = occupiedCheck(state, command.chargePointId, command.connectorId);
  if (occupied !== null) return refuse(state, occupied);
  const heldBy = reservationOn(state, command.chargePointId, command.connectorId, t);
  if (heldBy !== null && heldBy !== command.reservationId) {
    return reject(
      state,
      'connector-reserved',
      `connector ${command.chargePointId}/${command.connectorId} is held by reservation ${heldBy}`,
    );
  }
  const key = String(command.reservationId);
  const draft = begin(state, t);
  if (
    draft.reservations[key] === undefined &&
    Object.keys(draft.reservations).length >= config.reservationsMax
  ) {
    return reject(
      state,
      'reservations-full',
      `the site holds at most ${config.reservationsMax} reservations`,
    );
  }
  draft.reservations[key] = {
    reservationId: command.reservationId,
    chargePointId: command.chargePointId,
    connectorId: command.connectorId,
    idToken: command.idToken,
    expiresAtMs: command.expiresAtMs,
  };
  return accept(draft, { ok: true, type: command.type });
}

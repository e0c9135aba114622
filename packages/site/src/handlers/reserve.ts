/**
 * Reserve: hold a connector for an idToken over a time window (OCPP 2.0.1 ReserveNowRequest, H01,
 * which holds from now; a later start books ahead).
 */
import { isoFromMs } from '../charging-profile';
import type { Reserve } from '../commands';
import type { SiteState } from '../state';
import type { Refusal, SiteTransition } from './kit';
import {
  accept,
  begin,
  connectorCheck,
  occupiedCheck,
  overlappingReservation,
  refuse,
  reject,
} from './kit';

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

/** What needs no state: a non-empty window that ends after the command's own time. */
export function checkReserve(command: Reserve): Refusal | null {
  if (command.startsAtMs !== undefined && command.startsAtMs >= command.expiresAtMs) {
    return {
      code: 'reservation-window-empty',
      reason: `reservation ${command.reservationId} starts at ${command.startsAtMs}, not before its end ${command.expiresAtMs}`,
    };
  }
  return reservationInPast(command, command.atMs);
}

/** The window the reservation holds at time t: a start already past is now. */
export function reservationWindow(
  command: Reserve,
  t: number,
): { startsAtMs: number; expiresAtMs: number } {
  return { startsAtMs: Math.max(command.startsAtMs ?? t, t), expiresAtMs: command.expiresAtMs };
}

/**
 * Holds a working connector over a window no other live reservation of it overlaps, so two
 * reservations of one connector are never both accepted for the same instant. H01.FR.02: a known
 * reservation id replaces that reservation, so it does not conflict with itself. A session on the
 * connector blocks only a window that opens now (a later window may find it gone).
 */
export function handleReserve(state: SiteState, command: Reserve, t: number): SiteTransition {
  const config = state.config;
  const checked = connectorCheck(state, command.chargePointId, command.connectorId);
  if ('code' in checked) return refuse(state, checked);
  const stateless = checkReserve(command);
  if (stateless !== null) return refuse(state, stateless);
  const inPast = reservationInPast(command, t);
  if (inPast !== null) return refuse(state, inPast);
  if (command.expiresAtMs - t > config.reservationDurationMsMax) {
    return reject(
      state,
      'reservation-too-long',
      `reservation ${command.reservationId} ends more than ${config.reservationDurationMsMax} ms ahead`,
    );
  }
  const window = reservationWindow(command, t);
  if (window.startsAtMs <= t) {
    const occupied = occupiedCheck(state, command.chargePointId, command.connectorId);
    if (occupied !== null) return refuse(state, occupied);
  }
  const other = overlappingReservation(
    state,
    command.chargePointId,
    command.connectorId,
    window,
    command.reservationId,
    t,
  );
  if (other !== null) {
    return reject(
      state,
      'connector-reserved',
      `connector ${command.chargePointId}/${command.connectorId} is held by reservation ${other.reservationId} from ${isoFromMs(other.startsAtMs)} to ${isoFromMs(other.expiresAtMs)}`,
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
    ...window,
  };
  return accept(draft, { ok: true, type: command.type, reservationWindow: window });
}

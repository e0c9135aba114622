/** CancelReservation: drop a reservation (OCPP 2.0.1 CancelReservationRequest, H02). */
import type { CancelReservation } from '../commands';
import type { SiteState } from '../state';
import type { SiteTransition } from './kit';
import { accept, begin, reject, reservationHolds } from './kit';

/** Removes a reservation still held at t; H02.FR.01: an unknown (or expired) id is rejected. */
export function handleCancelReservation(
  state: SiteState,
  command: CancelReservation,
  t: number,
): SiteTransition {
  const key = String(command.reservationId);
  const reservation = state.reservations[key];
  if (reservation === undefined || !reservationHolds(reservation.expiresAtMs, t)) {
    return reject(
      state,
      'unknown-reservation',
      `reservation ${command.reservationId} is not held (H02.FR.01)`,
    );
  }
  const draft = begin(state, t);
  delete draft.reservations[key];
  return accept(draft, { ok: true, type: command.type });
}

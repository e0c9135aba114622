/**
 * The connector's reservations as this node's replica holds them (H01): the charge point enforces
 * a reservation window from its own replica when it opens, whatever ReserveNow it was sent.
 */
import { reservationActive, type ReservationState, type SiteState } from '@evpaxos/site';
import { CONNECTOR_ID } from './constants';

/**
 * The reservations of this charge point in the agreed state whose window is open at `nowMs`: the
 * charge point enforces a window from its replica when it opens, whatever ReserveNow it was sent.
 */
function liveReservations(
  state: SiteState,
  chargePointId: string,
  nowMs: number,
): ReservationState[] {
  return Object.values(state.reservations).filter(
    (reservation) =>
      reservation.chargePointId === chargePointId && reservationActive(reservation, nowMs),
  );
}

/** A live reservation of this charge point's connector for another idToken (H01). */
export function reservationAgainst(
  state: SiteState,
  chargePointId: string,
  idToken: string,
  nowMs: number,
): ReservationState | undefined {
  return liveReservations(state, chargePointId, nowMs).find(
    (reservation) => reservation.connectorId === CONNECTOR_ID && reservation.idToken !== idToken,
  );
}

/** A live reservation on this charge point for `idToken`: the transaction consumes it (H01.FR.15). */
export function reservationHeldFor(
  state: SiteState,
  chargePointId: string,
  idToken: string,
  nowMs: number,
): ReservationState | undefined {
  return liveReservations(state, chargePointId, nowMs).find(
    (reservation) => reservation.idToken === idToken,
  );
}

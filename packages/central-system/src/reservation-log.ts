/**
 * One "reservation" log line per change the agreed state makes to a reservation, on every central
 * (docs/SITE.md, log lines): `evpaxos verify` reads them to check that no two accepted
 * reservations of one connector ever overlap, and the dashboard draws them. They come from the
 * applied log, so a Reserve sent to POST /submit is recorded like one sent to /reservations.
 */
import type { AppliedEntry } from '@evpaxos/paxos';
import type { Logger } from '@evpaxos/runtime';
import type { SiteResult } from '@evpaxos/site';

/** What happened to a reservation in one slot. */
export type ReservationEvent = 'agreed' | 'cancelled' | 'consumed' | 'removed';

interface PayloadFields {
  readonly type?: unknown;
  readonly reservationId?: unknown;
  readonly chargePointId?: unknown;
  readonly connectorId?: unknown;
  readonly idToken?: unknown;
}

/** Logs the reservation changes of the applied entries (accepted, not duplicate, commands only). */
export function logReservationEvents(entries: readonly AppliedEntry[], logger: Logger): void {
  for (const entry of entries) {
    for (const { command, result, duplicate } of entry.commands) {
      const site = result as SiteResult | undefined;
      if (duplicate || site?.ok !== true) continue;
      const payload = (command.payload ?? {}) as PayloadFields;
      const slot = entry.slot;
      if (site.type === 'Reserve' && site.reservationWindow !== undefined) {
        logger.info('reservation', {
          event: 'agreed' satisfies ReservationEvent,
          slot,
          reservationId: payload.reservationId,
          chargePointId: payload.chargePointId,
          connectorId: payload.connectorId,
          idToken: payload.idToken,
          startsAtMs: site.reservationWindow.startsAtMs,
          expiresAtMs: site.reservationWindow.expiresAtMs,
        });
      } else if (site.type === 'CancelReservation') {
        logger.info('reservation', {
          event: 'cancelled' satisfies ReservationEvent,
          slot,
          reservationId: payload.reservationId,
        });
      } else if (site.type === 'StartSession' && site.reservationId !== undefined) {
        logger.info('reservation', {
          event: 'consumed' satisfies ReservationEvent,
          slot,
          reservationId: site.reservationId,
        });
      } else if (site.removedReservationIds !== undefined) {
        for (const reservationId of site.removedReservationIds) {
          logger.info('reservation', {
            event: 'removed' satisfies ReservationEvent,
            slot,
            reservationId,
          });
        }
      }
    }
  }
}

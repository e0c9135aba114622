/**
 * ReserveNow (OCPP 2.0.1 H01) when a reservation's window opens. The site agrees on a window ahead
 * of time (handlers/reserve.ts); the charge point enforces it from its own replica once it opens,
 * and the leading central tells the station over OCPP then, so its display and status follow.
 * A new leader sends the notices of windows open when it takes over: a repeated ReserveNow with a
 * known id replaces that reservation (H01.FR.02), so a second notice is harmless.
 */
import type { IdToken } from '@evpaxos/ocpp';
import type { ClusterNode, Logger } from '@evpaxos/runtime';
import { isoFromMs, reservationActive, type ReservationState, type SiteState } from '@evpaxos/site';
import type { CentralService } from './central-service';
import { RESERVE_NOW_CHECK_MS } from './constants';
import { forward } from './reservations';

export class ReserveNowNotifier {
  /** `id@startsAtMs` of the windows notified: at most the site's reservationsMax (pruned). */
  private readonly sent = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly service: CentralService,
    private readonly node: ClusterNode,
    private readonly readState: () => SiteState,
    private readonly logger: Logger,
    private readonly nowMs: () => number = Date.now,
  ) {}

  start(checkMs: number = RESERVE_NOW_CHECK_MS): void {
    this.timer = setInterval(() => this.check(), checkMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  /** Sends ReserveNow for one reservation; returns the station's status or why it was not asked. */
  async send(reservation: ReservationState): Promise<string> {
    this.sent.add(keyOf(reservation));
    const idToken: IdToken = { idToken: reservation.idToken, type: 'Central' };
    const status = await forward(() =>
      this.service.callStation(reservation.chargePointId, 'ReserveNow', {
        id: reservation.reservationId,
        expiryDateTime: isoFromMs(reservation.expiresAtMs),
        idToken,
        evseId: reservation.connectorId,
      }),
    );
    this.logger.info('reserve-now-sent', {
      reservationId: reservation.reservationId,
      chargePointId: reservation.chargePointId,
      connectorId: reservation.connectorId,
      status,
    });
    return status;
  }

  /** On the leader: ReserveNow for every open window not yet notified. */
  check(): void {
    const reservations = Object.values(this.readState().reservations);
    const live = new Set(reservations.map(keyOf));
    for (const key of this.sent) if (!live.has(key)) this.sent.delete(key);
    if (!this.node.isLeader) return;
    const now = this.nowMs();
    for (const reservation of reservations) {
      if (reservationActive(reservation, now) && !this.sent.has(keyOf(reservation))) {
        void this.send(reservation);
      }
    }
  }
}

function keyOf(reservation: Pick<ReservationState, 'reservationId' | 'startsAtMs'>): string {
  return `${reservation.reservationId}@${reservation.startsAtMs}`;
}

/**
 * ReserveNow (OCPP 2.0.1 H01) when a reservation's window opens. The site agrees on a window ahead
 * of time (handlers/reserve.ts); the charge point enforces it from its own replica once it opens,
 * and the leading central tells the station over OCPP then, so its display and status follow.
 * A new leader sends the notices of windows open when it takes over: a repeated ReserveNow with a
 * known id replaces that reservation (H01.FR.02), so a second notice is harmless.
 */
import type { IdToken } from '@evpaxos/ocpp';
import { payloadType, type ClusterNode, type Logger } from '@evpaxos/runtime';
import { isoFromMs, reservationActive, type ReservationState, type SiteState } from '@evpaxos/site';
import type { CentralService } from './central-service';
import { RESERVE_NOW_WAIT_MS_MAX } from './constants';
import { forward } from './reservations';

export class ReserveNowNotifier {
  /** `id@startsAtMs` of the windows notified: at most the site's reservationsMax (pruned). */
  private readonly sent = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void)[] = [];

  constructor(
    private readonly service: CentralService,
    private readonly node: ClusterNode,
    private readonly readState: () => SiteState,
    private readonly logger: Logger,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /**
   * Checks now, then whenever a window may have opened: at the next agreed window's start (the
   * timer check() arms) and when this central becomes leader (the notices of windows already
   * open). A Reserve applied only re-arms the timer for its window: one open already is told by
   * the reservations API that agreed it, which needs the station's answer (reservations.ts).
   */
  start(): void {
    this.unsubscribe = [
      this.node.onApplied((entries) => {
        const reserved = entries.some((entry) =>
          entry.commands.some(({ command }) => payloadType(command.payload) === 'Reserve'),
        );
        if (reserved) this.armNext();
      }),
      this.node.onEvent((event) => {
        if (event.type === 'became-leader') this.check();
      }),
    ];
    this.check();
  }

  stop(): void {
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
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

  /**
   * On the leader: ReserveNow for every open window not yet notified. On every central: arms the
   * timer for the next window to open (at most RESERVE_NOW_WAIT_MS_MAX ahead), so that a standby
   * that becomes leader meanwhile is on time too.
   */
  check(): void {
    const reservations = Object.values(this.readState().reservations);
    const live = new Set(reservations.map(keyOf));
    for (const key of this.sent) if (!live.has(key)) this.sent.delete(key);
    if (this.node.isLeader) {
      const now = this.nowMs();
      for (const reservation of reservations) {
        if (reservationActive(reservation, now) && !this.sent.has(keyOf(reservation))) {
          void this.send(reservation);
        }
      }
    }
    this.armNext();
  }

  /** Arms the timer for the next window to open, sending nothing. */
  private armNext(): void {
    const now = this.nowMs();
    let nextOpensAtMs = Number.POSITIVE_INFINITY;
    for (const reservation of Object.values(this.readState().reservations)) {
      if (reservation.startsAtMs > now)
        nextOpensAtMs = Math.min(nextOpensAtMs, reservation.startsAtMs);
    }
    this.armFor(nextOpensAtMs, now);
  }

  private armFor(opensAtMs: number, now: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (opensAtMs === Number.POSITIVE_INFINITY || this.unsubscribe.length === 0) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.check();
      },
      Math.min(opensAtMs - now, RESERVE_NOW_WAIT_MS_MAX),
    );
    this.timer.unref();
  }
}

function keyOf(reservation: Pick<ReservationState, 'reservationId' | 'startsAtMs'>): string {
  return `${reservation.reservationId}@${reservation.startsAtMs}`;
}

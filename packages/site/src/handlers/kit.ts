/**
 * What every site command handler shares: the result types, and the checks and state helpers more
 * than one handler needs. A handler is a pure function (state, command, t) → transition, where t is
 * the command's time clamped to the replicated clock (reducer.ts); a rejection returns the very state
 * it was given, so every replica rejects it identically and nothing changes.
 */
import type { SiteCommandType } from '../commands';
import type { ChargePointState, ReservationState, SiteState } from '../state';
import { cloneSiteState, sortedKeys } from '../state';

/** Stable codes for a rejected command. */
export type SiteErrorCode =
  | 'invalid-command'
  | 'unknown-charge-point'
  | 'charge-point-exists'
  | 'charge-points-full'
  | 'connector-count-out-of-range'
  | 'power-out-of-range'
  | 'unknown-connector'
  | 'connector-faulted'
  | 'connector-occupied'
  | 'connector-reserved'
  | 'reservation-in-past'
  | 'reservation-window-empty'
  | 'reservation-too-long'
  | 'reservations-full'
  | 'unknown-reservation'
  | 'transaction-exists'
  | 'unknown-transaction'
  | 'sessions-full'
  | 'needs-out-of-range'
  | 'departure-out-of-range'
  | 'site-limit-out-of-range'
  | 'already-faulted'
  | 'not-faulted'
  | 'lease-not-held'
  | 'meter-out-of-range'
  | 'no-headroom';

/** Why a command is refused: a stable code and one sentence naming the rejected input. */
export interface Refusal {
  readonly code: SiteErrorCode;
  readonly reason: string;
}

export interface SiteRejection extends Refusal {
  readonly ok: false;
}

export interface SiteAcceptance {
  readonly ok: true;
  readonly type: SiteCommandType;
  /** RenewLeases: each renewal's answer, in the command's order. */
  readonly renewals?: readonly LeaseRenewalResult[];
  /** Reserve: the window it holds (a start already past is the command's time). */
  readonly reservationWindow?: { readonly startsAtMs: number; readonly expiresAtMs: number };
  /** StartSession: the reservation it consumed (H03). */
  readonly reservationId?: number;
  /** StartSession: the session's ChargingProfile.id. */
  readonly chargingProfileId?: number;
  /** ChargePointFaulted: sessions it ended and reservations it removed (H01.FR.16). */
  readonly endedTransactionIds?: string[];
  readonly removedReservationIds?: number[];
  /** StopSession: the energy the session delivered by its meter, Wh (absent: no reading). */
  readonly energyWh?: number;
}

/** One renewal of a RenewLeases command: the lease it granted, or why it was refused. */
export type LeaseRenewalResult =
  | {
      readonly chargePointId: string;
      readonly ok: true;
      /** The new lease's expiry (proposer time, ms): what the charge point names next. */
      readonly leaseExpiresAtMs: number;
      /** Whether it extends a lease the charge point proved it holds (lease.ts, R2). */
      readonly leaseConfirmed: boolean;
    }
  | ({ readonly chargePointId: string; readonly ok: false } & Refusal);

export type SiteResult = SiteAcceptance | SiteRejection;

export interface SiteTransition {
  readonly state: SiteState;
  readonly result: SiteResult;
}

export function reject(state: SiteState, code: SiteErrorCode, reason: string): SiteTransition {
  return { state, result: { ok: false, code, reason } };
}

/** The rejection for a refusal a check returned. */
export function refuse(state: SiteState, refusal: Refusal): SiteTransition {
  return reject(state, refusal.code, refusal.reason);
}

export function accept(draft: SiteState, result: SiteAcceptance): SiteTransition {
  return { state: draft, result };
}

export function unknownChargePoint(state: SiteState, chargePointId: string): SiteTransition {
  return reject(state, 'unknown-charge-point', `charge point ${chargePointId} is not registered`);
}

export function unknownTransaction(state: SiteState, transactionId: string): SiteTransition {
  return reject(state, 'unknown-transaction', `transaction ${transactionId} is not in progress`);
}

/** Is a reservation still in the state at time t (its window not yet over)? */
export function reservationHolds(expiresAtMs: number, t: number): boolean {
  return t < expiresAtMs;
}

/** Is a reservation's window open at time t: does it hold its connector now? */
export function reservationActive(
  reservation: Pick<ReservationState, 'startsAtMs' | 'expiresAtMs'>,
  t: number,
): boolean {
  return reservation.startsAtMs <= t && t < reservation.expiresAtMs;
}

/** Do two half-open windows [start, end) share an instant? */
export function windowsOverlap(
  a: Pick<ReservationState, 'startsAtMs' | 'expiresAtMs'>,
  b: Pick<ReservationState, 'startsAtMs' | 'expiresAtMs'>,
): boolean {
  return a.startsAtMs < b.expiresAtMs && b.startsAtMs < a.expiresAtMs;
}

/** The charge point if the connector exists and is not faulted; else why not. */
export function connectorCheck(
  state: SiteState,
  chargePointId: string,
  connectorId: number,
): Refusal | ChargePointState {
  const chargePoint = state.chargePoints[chargePointId];
  if (chargePoint === undefined) {
    return {
      code: 'unknown-charge-point',
      reason: `charge point ${chargePointId} is not registered`,
    };
  }
  if (connectorId > chargePoint.connectorCount) {
    return {
      code: 'unknown-connector',
      reason: `charge point ${chargePointId} has no connector ${connectorId} (it has ${chargePoint.connectorCount})`,
    };
  }
  if (chargePoint.faultedConnectorIds.includes(connectorId)) {
    return {
      code: 'connector-faulted',
      reason: `connector ${chargePointId}/${connectorId} is faulted`,
    };
  }
  return chargePoint;
}

/** The transaction in progress on a connector, or null. */
export function sessionOn(
  state: SiteState,
  chargePointId: string,
  connectorId: number,
): string | null {
  for (const transactionId of sortedKeys(state.sessions)) {
    const session = state.sessions[transactionId];
    if (session?.chargePointId === chargePointId && session.connectorId === connectorId) {
      return transactionId;
    }
  }
  return null;
}

/** The refusal for a connector in session, or null when it is free. */
export function occupiedCheck(
  state: SiteState,
  chargePointId: string,
  connectorId: number,
): Refusal | null {
  const occupiedBy = sessionOn(state, chargePointId, connectorId);
  return occupiedBy === null
    ? null
    : {
        code: 'connector-occupied',
        reason: `connector ${chargePointId}/${connectorId} is in session ${occupiedBy}`,
      };
}

/** The reservation whose window is open on a connector at time t, or null. */
export function reservationOn(
  state: SiteState,
  chargePointId: string,
  connectorId: number,
  t: number,
): number | null {
  for (const key of sortedKeys(state.reservations)) {
    const reservation = state.reservations[key];
    if (
      reservation?.chargePointId === chargePointId &&
      reservation.connectorId === connectorId &&
      reservationActive(reservation, t)
    ) {
      return reservation.reservationId;
    }
  }
  return null;
}

/**
 * A live reservation (other than `exceptId`) on a connector whose window overlaps the given one,
 * or null: the rule that makes double booking impossible in the agreed state.
 */
export function overlappingReservation(
  state: SiteState,
  chargePointId: string,
  connectorId: number,
  window: Pick<ReservationState, 'startsAtMs' | 'expiresAtMs'>,
  exceptId: number,
  t: number,
): ReservationState | null {
  for (const key of sortedKeys(state.reservations)) {
    const reservation = state.reservations[key];
    if (
      reservation !== undefined &&
      reservation.reservationId !== exceptId &&
      reservation.chargePointId === chargePointId &&
      reservation.connectorId === connectorId &&
      reservationHolds(reservation.expiresAtMs, t) &&
      windowsOverlap(reservation, window)
    ) {
      return reservation;
    }
  }
  return null;
}

/** Drops reservations whose expiry has passed (OCPP H04: they end by themselves). */
function pruneExpiredReservations(draft: SiteState, t: number): void {
  for (const key of sortedKeys(draft.reservations)) {
    const reservation = draft.reservations[key];
    if (reservation !== undefined && !reservationHolds(reservation.expiresAtMs, t)) {
      delete draft.reservations[key];
    }
  }
}

/**
 * A copy of the state with the clock advanced to t and expired reservations gone: what every
 * accepted command starts from.
 */
export function begin(state: SiteState, t: number): SiteState {
  const draft = cloneSiteState(state);
  draft.clockMs = t;
  pruneExpiredReservations(draft, t);
  return draft;
}

/** from, from + 1, …, to. */
export function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i += 1) out.push(i);
  return out;
}

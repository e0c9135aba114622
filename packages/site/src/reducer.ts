/**
 * The deterministic reducer: (state, command) → (state, result). It reads no clock and draws no
 * randomness; a rejected command returns the very same state object, so every replica rejects it
 * identically and nothing changes.
 */
import type { SiteCommand, SiteCommandType } from './commands';
import {
  CONNECTORS_PER_CHARGE_POINT_MAX,
  DEPARTURE_HORIZON_MS_MAX,
  ENERGY_REQUESTED_WH_MAX,
  POWER_W_MAX,
  SITE_LIMIT_W_MAX,
} from './constants';
import { holdDownDrawW, leasedDrawW, pendingUntilMs, planAllocations } from './scheduler';
import type { ChargePointState, LeaseState, SiteState } from './state';
import { cloneSiteState, sortedKeys } from './state';

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
  | 'lease-not-held';

export interface SiteRejection {
  readonly ok: false;
  readonly code: SiteErrorCode;
  /** One sentence naming the rejected input. */
  readonly reason: string;
}

export interface SiteAcceptance {
  readonly ok: true;
  readonly type: SiteCommandType;
  /** RenewLease: the new lease's expiry (proposer time, ms) and whether it is confirmed. */
  readonly leaseExpiresAtMs?: number;
  readonly leaseConfirmed?: boolean;
  /** StartSession: the reservation it consumed (H03). */
  readonly reservationId?: number;
  /** StartSession: the session's ChargingProfile.id. */
  readonly chargingProfileId?: number;
  /** ChargePointFaulted: sessions it ended and reservations it removed (H01.FR.16). */
  readonly endedTransactionIds?: string[];
  readonly removedReservationIds?: number[];
}

export type SiteResult = SiteAcceptance | SiteRejection;

export interface SiteTransition {
  readonly state: SiteState;
  readonly result: SiteResult;
}

function reject(state: SiteState, code: SiteErrorCode, reason: string): SiteTransition {
  return { state, result: { ok: false, code, reason } };
}

function unknownChargePoint(state: SiteState, chargePointId: string): SiteTransition {
  return reject(state, 'unknown-charge-point', `charge point ${chargePointId} is not registered`);
}

/** Is a reservation still holding its connector at time t? */
function reservationHolds(expiresAtMs: number, t: number): boolean {
  return t < expiresAtMs;
}

function connectorCheck(
  state: SiteState,
  chargePointId: string,
  connectorId: number,
): { code: SiteErrorCode; reason: string } | ChargePointState {
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

function sessionOn(state: SiteState, chargePointId: string, connectorId: number): string | null {
  for (const transactionId of sortedKeys(state.sessions)) {
    const session = state.sessions[transactionId];
    if (session?.chargePointId === chargePointId && session.connectorId === connectorId) {
      return transactionId;
    }
  }
  return null;
}

function reservationOn(
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
      reservationHolds(reservation.expiresAtMs, t)
    ) {
      return reservation.reservationId;
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

/** A copy of the state with the clock advanced to t and expired reservations gone. */
function begin(state: SiteState, t: number): SiteState {
  const draft = cloneSiteState(state);
  draft.clockMs = t;
  pruneExpiredReservations(draft, t);
  return draft;
}

function accept(draft: SiteState, result: SiteAcceptance): SiteTransition {
  return { state: draft, result };
}

/**
 * Applies one command. `state` is never mutated. Rejections return `state` itself.
 * The command's time is clamped to the replicated clock: a proposer whose clock is behind its
 * predecessor's cannot make time run backwards (leases and reservations depend on it).
 * Every accepted command then records the grants (lease.ts, R5): the renewing charge point starts a
 * new lease epoch, the plan is computed at the command's time, and each charge point's epoch bounds
 * take in what it may now draw.
 */
export function applySiteCommand(state: SiteState, command: SiteCommand): SiteTransition {
  const before =
    command.type === 'RenewLease' ? state.chargePoints[command.chargePointId] : undefined;
  const transition = applyCommand(state, command);
  if (!transition.result.ok) return transition;
  const draft = transition.state;
  const t = draft.clockMs;
  const config = draft.config;
  if (command.type === 'RenewLease') {
    const renewed = draft.chargePoints[command.chargePointId];
    const lease = renewed?.lease ?? null;
    if (renewed !== undefined && lease !== null) {
      const bounds = renewed.bounds;
      // R2: a confirmed renewal proves the replica holds the named lease, so the epochs before it
      // no longer matter. An unconfirmed one proves nothing: fold them together.
      // Two leases granted at the same ms end together: naming that expiry does not say which one
      // the replica holds, so such a renewal proves no more than the one before it did.
      const replaced = before?.lease ?? null;
      const ambiguous = replaced !== null && replaced.previousExpiresAtMs === replaced.expiresAtMs;
      renewed.bounds =
        lease.confirmed && ambiguous
          ? {
              drawW: 0,
              holdW: 0,
              previousDrawW: Math.max(bounds.drawW, bounds.previousDrawW),
              previousHoldW: Math.max(bounds.holdW, bounds.previousHoldW),
              failSafeFromMs: bounds.failSafeFromMs,
            }
          : lease.confirmed && lease.previousExpiresAtMs !== null
            ? {
                drawW: 0,
                holdW: 0,
                previousDrawW: bounds.drawW,
                previousHoldW: bounds.holdW,
                // A replica holding the named lease X reaches fs one lease after X ends, or, if X
                // was unconfirmed, when X's probation may (pendingUntilMs).
                failSafeFromMs: Math.max(
                  bounds.failSafeFromMs,
                  before === undefined || before.lease?.confirmed === true
                    ? lease.previousExpiresAtMs + config.leaseMs
                    : pendingUntilMs(state, before),
                ),
              }
            : {
                drawW: 0,
                holdW: 0,
                // The replaced lease X had expired: no leased phase is left, only hold-downs, which
                // only a confirmed X had below fs (an unconfirmed one's are covered from
                // failSafeFromMs): X's, and its predecessor's while it lasts.
                previousDrawW: 0,
                previousHoldW: replacedHoldW(before, t, config.leaseMs),
                failSafeFromMs: bounds.failSafeFromMs,
              };
    }
  }
  for (const [transactionId, planned] of planAllocations(draft, t)) {
    const session = draft.sessions[transactionId];
    if (session === undefined) continue;
    session.allocatedW = planned.powerW;
    session.allocationStatus = planned.status;
  }
  for (const chargePointId of sortedKeys(draft.chargePoints)) {
    const chargePoint = draft.chargePoints[chargePointId];
    if (chargePoint === undefined) continue;
    const bounds = chargePoint.bounds;
    bounds.drawW = Math.max(bounds.drawW, leasedDrawW(draft, chargePointId));
    bounds.holdW = Math.max(bounds.holdW, holdDownDrawW(draft, chargePointId));
  }
  return transition;
}

/** On an unconfirmed renewal at t: the hold-down bound still live from the lease it replaces. */
function replacedHoldW(replaced: ChargePointState | undefined, t: number, leaseMs: number): number {
  const lease = replaced?.lease ?? null;
  if (replaced === undefined || lease === null || !lease.confirmed) return 0;
  const earlier = lease.previousExpiresAtMs;
  const earlierHoldW =
    earlier !== null && t < earlier + leaseMs ? replaced.bounds.previousHoldW : 0;
  return Math.max(replaced.bounds.holdW, earlierHoldW);
}

function applyCommand(state: SiteState, command: SiteCommand): SiteTransition {
  const t = Math.max(state.clockMs, command.atMs);
  const config = state.config;
  switch (command.type) {
    case 'RegisterChargePoint': {
      if (state.chargePoints[command.chargePointId] !== undefined) {
        return reject(
          state,
          'charge-point-exists',
          `charge point ${command.chargePointId} is already registered`,
        );
      }
      if (Object.keys(state.chargePoints).length >= config.chargePointsMax) {
        return reject(
          state,
          'charge-points-full',
          `the site is built for ${config.chargePointsMax} charge points`,
        );
      }
      if (command.connectorCount > CONNECTORS_PER_CHARGE_POINT_MAX) {
        return reject(
          state,
          'connector-count-out-of-range',
          `connectorCount ${command.connectorCount} is above ${CONNECTORS_PER_CHARGE_POINT_MAX}`,
        );
      }
      if (command.maxPowerW > POWER_W_MAX) {
        return reject(
          state,
          'power-out-of-range',
          `maxPowerW ${command.maxPowerW} is above ${POWER_W_MAX}`,
        );
      }
      const draft = begin(state, t);
      draft.chargePoints[command.chargePointId] = {
        chargePointId: command.chargePointId,
        connectorCount: command.connectorCount,
        maxPowerW: command.maxPowerW,
        faultedConnectorIds: [],
        lease: null,
        registeredAtMs: t,
        bounds: {
          drawW: 0,
          holdW: 0,
          previousDrawW: 0,
          previousHoldW: 0,
          failSafeFromMs: t + config.leaseMs,
        },
      };
      return accept(draft, { ok: true, type: command.type });
    }

    case 'Reserve': {
      const checked = connectorCheck(state, command.chargePointId, command.connectorId);
      if ('code' in checked) return reject(state, checked.code, checked.reason);
      if (command.expiresAtMs <= t) {
        return reject(
          state,
          'reservation-in-past',
          `reservation ${command.reservationId} expires at ${command.expiresAtMs}, not after ${t}`,
        );
      }
      if (command.expiresAtMs - t > config.reservationDurationMsMax) {
        return reject(
          state,
          'reservation-too-long',
          `reservation ${command.reservationId} lasts longer than ${config.reservationDurationMsMax} ms`,
        );
      }
      const occupiedBy = sessionOn(state, command.chargePointId, command.connectorId);
      if (occupiedBy !== null) {
        return reject(
          state,
          'connector-occupied',
          `connector ${command.chargePointId}/${command.connectorId} is in session ${occupiedBy}`,
        );
      }
      const heldBy = reservationOn(state, command.chargePointId, command.connectorId, t);
      // H01.FR.02: the same id replaces its own reservation, so it does not conflict with itself.
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

    case 'CancelReservation': {
      const reservation = state.reservations[String(command.reservationId)];
      if (reservation === undefined || !reservationHolds(reservation.expiresAtMs, t)) {
        return reject(
          state,
          'unknown-reservation',
          `reservation ${command.reservationId} is not held (H02.FR.01)`,
        );
      }
      const draft = begin(state, t);
      delete draft.reservations[String(command.reservationId)];
      return accept(draft, { ok: true, type: command.type });
    }

    case 'StartSession': {
      if (state.sessions[command.transactionId] !== undefined) {
        return reject(
          state,
          'transaction-exists',
          `transaction ${command.transactionId} is already in progress`,
        );
      }
      const checked = connectorCheck(state, command.chargePointId, command.connectorId);
      if ('code' in checked) return reject(state, checked.code, checked.reason);
      const occupiedBy = sessionOn(state, command.chargePointId, command.connectorId);
      if (occupiedBy !== null) {
        return reject(
          state,
          'connector-occupied',
          `connector ${command.chargePointId}/${command.connectorId} is in session ${occupiedBy}`,
        );
      }
      const heldBy = reservationOn(state, command.chargePointId, command.connectorId, t);
      const reservation = heldBy === null ? undefined : state.reservations[String(heldBy)];
      // H03: only the reserved idToken may use a reserved connector.
      if (reservation !== undefined && reservation.idToken !== command.idToken) {
        return reject(
          state,
          'connector-reserved',
          `connector ${command.chargePointId}/${command.connectorId} is reserved for another idToken (reservation ${reservation.reservationId})`,
        );
      }
      if (Object.keys(state.sessions).length >= config.sessionsMax) {
        return reject(
          state,
          'sessions-full',
          `the site runs at most ${config.sessionsMax} sessions`,
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

    case 'UpdateNeeds': {
      const session = state.sessions[command.transactionId];
      if (session === undefined) {
        return reject(
          state,
          'unknown-transaction',
          `transaction ${command.transactionId} is not in progress`,
        );
      }
      if (command.energyRequestedWh > ENERGY_REQUESTED_WH_MAX) {
        return reject(
          state,
          'needs-out-of-range',
          `energyRequestedWh ${command.energyRequestedWh} is above ${ENERGY_REQUESTED_WH_MAX}`,
        );
      }
      if (command.maxPowerW > POWER_W_MAX || command.minPowerW > command.maxPowerW) {
        return reject(
          state,
          'needs-out-of-range',
          `power range ${command.minPowerW} … ${command.maxPowerW} W is not within 0 … ${POWER_W_MAX} W with min <= max`,
        );
      }
      if (command.departureAtMs <= t || command.departureAtMs - t > DEPARTURE_HORIZON_MS_MAX) {
        return reject(
          state,
          'departure-out-of-range',
          `departure ${command.departureAtMs} is not within (${t}, ${t + DEPARTURE_HORIZON_MS_MAX}]`,
        );
      }
      const draft = begin(state, t);
      const target = draft.sessions[command.transactionId];
      if (target !== undefined) {
        target.needs = {
          energyRequestedWh: command.energyRequestedWh,
          minPowerW: command.minPowerW,
          maxPowerW: command.maxPowerW,
          departureAtMs: command.departureAtMs,
          statedAtMs: t,
        };
      }
      return accept(draft, { ok: true, type: command.type });
    }

    case 'StopSession': {
      if (state.sessions[command.transactionId] === undefined) {
        return reject(
          state,
          'unknown-transaction',
          `transaction ${command.transactionId} is not in progress`,
        );
      }
      const draft = begin(state, t);
      delete draft.sessions[command.transactionId];
      return accept(draft, { ok: true, type: command.type });
    }

    case 'ChargePointFaulted': {
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
      // A faulted connector delivers no energy: its transaction ends (TransactionEvent Ended).
      const endedTransactionIds: string[] = [];
      for (const transactionId of sortedKeys(draft.sessions)) {
        const session = draft.sessions[transactionId];
        if (
          session?.chargePointId === command.chargePointId &&
          newlyFaulted.includes(session.connectorId)
        ) {
          endedTransactionIds.push(transactionId);
          delete draft.sessions[transactionId];
        }
      }
      // H01.FR.16: an EVSE turning Faulted removes its reservation.
      const removedReservationIds: number[] = [];
      for (const key of sortedKeys(draft.reservations)) {
        const reservation = draft.reservations[key];
        if (
          reservation?.chargePointId === command.chargePointId &&
          newlyFaulted.includes(reservation.connectorId)
        ) {
          removedReservationIds.push(reservation.reservationId);
          delete draft.reservations[key];
        }
      }
      return accept(draft, {
        ok: true,
        type: command.type,
        endedTransactionIds,
        removedReservationIds,
      });
    }

    case 'ChargePointRecovered': {
      const chargePoint = state.chargePoints[command.chargePointId];
      if (chargePoint === undefined) return unknownChargePoint(state, command.chargePointId);
      const recovering =
        command.connectorId === undefined
          ? chargePoint.faultedConnectorIds
          : chargePoint.faultedConnectorIds.filter((id) => id === command.connectorId);
      if (recovering.length === 0) {
        return reject(
          state,
          'not-faulted',
          command.connectorId === undefined
            ? `charge point ${command.chargePointId} has no faulted connector`
            : `connector ${command.chargePointId}/${command.connectorId} is not faulted`,
        );
      }
      const draft = begin(state, t);
      const target = draft.chargePoints[command.chargePointId];
      if (target !== undefined) {
        target.faultedConnectorIds = target.faultedConnectorIds.filter(
          (id) => !recovering.includes(id),
        );
      }
      return accept(draft, { ok: true, type: command.type });
    }

    case 'SetSiteLimit': {
      if (command.siteLimitW > SITE_LIMIT_W_MAX) {
        return reject(
          state,
          'site-limit-out-of-range',
          `siteLimitW ${command.siteLimitW} is above ${SITE_LIMIT_W_MAX}`,
        );
      }
      const draft = begin(state, t);
      draft.siteLimitW = command.siteLimitW;
      return accept(draft, { ok: true, type: command.type });
    }

    case 'RenewLease': {
      const chargePoint = state.chargePoints[command.chargePointId];
      if (chargePoint === undefined) return unknownChargePoint(state, command.chargePointId);
      const current = chargePoint.lease;
      const live = current !== null && t < current.expiresAtMs;
      // lease.ts, rule R2: a live lease is extended only by a charge point that holds it, so a
      // charge point is never more than one renewal behind its own lease.
      if (live && command.heldLeaseExpiresAtMs !== current.expiresAtMs) {
        return reject(
          state,
          'lease-not-held',
          `charge point ${command.chargePointId} renews a lease ending at ${String(command.heldLeaseExpiresAtMs)}, but its lease ends at ${current.expiresAtMs}`,
        );
      }
      // lease.ts, rule R3: a fresh lease (none, or expired) starts unconfirmed.
      const lease: LeaseState = {
        expiresAtMs: t + config.leaseMs,
        confirmed: live,
        previousExpiresAtMs: current?.expiresAtMs ?? null,
      };
      const draft = begin(state, t);
      const target = draft.chargePoints[command.chargePointId];
      if (target !== undefined) target.lease = lease;
      return accept(draft, {
        ok: true,
        type: command.type,
        leaseExpiresAtMs: lease.expiresAtMs,
        leaseConfirmed: lease.confirmed,
      });
    }

    case 'Noop':
      return accept(begin(state, t), { ok: true, type: command.type });
  }
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i += 1) out.push(i);
  return out;
}

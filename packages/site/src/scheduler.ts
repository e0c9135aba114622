/**
 * The scheduler: a pure function of the replicated state and a time. Every replica that evaluates
 * it on the same state at the same time gets the same allocation, to the watt.
 *
 * Rule (in this order):
 * 1. Power is counted against the site limit per charge point. A charge point whose lease is live
 *    and confirmed is counted at what its sessions are allocated; every other registered charge
 *    point (no lease, lease expired, or lease still unconfirmed) is counted at its fail-safe power,
 *    because that is what it may be drawing (lease.ts). The rest is the budget shared below.
 * 2. Minimums first: sessions in order of urgency (most urgent first, ties by transactionId) get
 *    their EV's minimum power while the budget and their charge point's maximum allow. A session
 *    that cannot get its minimum gets nothing (an EV cannot charge below it) and is reported.
 * 3. The rest is shared in proportion to urgency — the average power the EV needs to get its
 *    requested energy by its departure (energy / time to departure, as stated) — capped at the EV's maximum and the
 *    charge point's maximum (water-filling: what a capped session cannot take goes to the others).
 *    Sessions that stated no needs, or need no more energy, share what is left after that equally.
 * 4. Watts are integers, rounded down, so rounding never pushes the total over the limit.
 */
import { URGENCY_HORIZON_MS_MIN } from './constants';
import type { ChargePointState, SiteState } from './state';
import { sortedKeys } from './state';

/** How a charge point is counted against the site limit at a given time. */
export type ChargePointMode =
  /** Live, confirmed lease: counted at its sessions' allocation. */
  | 'leased'
  /** Live lease granted after none or an expired one: counted at fail-safe power until confirmed. */
  | 'probation'
  /** Its lease has ended: counted at fail-safe power. */
  | 'lease-expired'
  /** Never held a lease: counted at fail-safe power. */
  | 'no-lease';

export type SessionStatus =
  /** Allocated within the budget (its minimum at least). */
  | 'scheduled'
  /** Its minimum did not fit: allocated 0 W. */
  | 'below-minimum'
  /** On a charge point not in mode `leased`: allocated 0 W here; it runs on fail-safe power. */
  | 'fail-safe';

export interface SessionAllocation {
  readonly transactionId: string;
  readonly chargePointId: string;
  readonly connectorId: number;
  /** Allocated power, W (integer). */
  readonly powerW: number;
  /** The EV's minimum power, W (0 when it stated no needs). */
  readonly minPowerW: number;
  /** The cap: the lower of the EV's and the charge point's maximum, W. */
  readonly maxPowerW: number;
  /** Energy still requested / time to departure, W (0 without needs). */
  readonly urgencyW: number;
  readonly status: SessionStatus;
}

export interface ChargePointAllocation {
  readonly chargePointId: string;
  readonly mode: ChargePointMode;
  /** Sum of its sessions' allocations, W (0 unless mode is `leased`). */
  readonly allocatedW: number;
  /** What it is counted at against the site limit, W. */
  readonly reservedW: number;
}

export interface SiteSchedule {
  /** The time the schedule was computed for, ms. */
  readonly atMs: number;
  readonly siteLimitW: number;
  /** siteLimitW / chargePointsMax, rounded down, W. */
  readonly failSafePowerW: number;
  /** The budget shared among sessions of leased charge points, W. */
  readonly budgetW: number;
  /** Sum of reservedW over all charge points, W. Invariant: <= siteLimitW. */
  readonly reservedW: number;
  /** One per session, ordered by transactionId. */
  readonly allocations: readonly SessionAllocation[];
  /** One per registered charge point, ordered by chargePointId. */
  readonly chargePoints: readonly ChargePointAllocation[];
  /** Sessions that could not get their minimum power, ordered by transactionId. */
  readonly belowMinimum: readonly string[];
}

export interface ScheduleOptions {
  /**
   * Count this charge point as if its lease were live and confirmed. A charge point uses it to
   * compute the share the others count it at (lease.ts); the central system never needs it.
   */
  readonly assumeLeased?: string;
}

/** DESIGN.md: fail-safe power = site limit / number of charge points (the configured number). */
export function failSafePowerW(state: SiteState): number {
  return Math.floor(state.siteLimitW / state.config.chargePointsMax);
}

/** How the charge point is counted at time t (proposer time). */
export function chargePointMode(chargePoint: ChargePointState, atMs: number): ChargePointMode {
  const lease = chargePoint.lease;
  if (lease === null) return 'no-lease';
  if (atMs >= lease.expiresAtMs) return 'lease-expired';
  return lease.confirmed ? 'leased' : 'probation';
}

interface Request {
  readonly transactionId: string;
  readonly chargePointId: string;
  readonly minPowerW: number;
  readonly maxPowerW: number;
  readonly urgencyW: number;
}

/**
 * Power needed on average to deliver the requested energy by departure, W, as of when the EV stated
 * its needs. It is measured from statedAtMs, not from the evaluation time, on purpose: then the
 * schedule changes with time only when a lease starts or ends, so replicas that evaluate it at
 * slightly different clocks agree (lease.ts). The EV restates its needs to update it (K17).
 */
function urgencyW(energyRequestedWh: number, departureAtMs: number, statedAtMs: number): number {
  const hours = Math.max(departureAtMs - statedAtMs, URGENCY_HORIZON_MS_MIN) / 3_600_000;
  return energyRequestedWh / hours;
}

function byUrgency(a: Request, b: Request): number {
  if (a.urgencyW !== b.urgencyW) return b.urgencyW - a.urgencyW;
  return a.transactionId < b.transactionId ? -1 : a.transactionId > b.transactionId ? 1 : 0;
}

/** Below this many watts of room a session or charge point counts as full. */
const EPSILON_W = 1e-6;

/**
 * Splits budgetW among requests (rules 2–4 above). chargePointRoomW is each charge point's maximum.
 * Returns integer watts per transactionId; requests missing from `granted` got 0 (below minimum).
 */
function splitPower(
  requests: readonly Request[],
  budgetW: number,
  chargePointRoomW: Map<string, number>,
): { powerW: Map<string, number>; belowMinimum: Set<string> } {
  const power = new Map<string, number>();
  const belowMinimum = new Set<string>();
  const room = new Map(chargePointRoomW);
  let left = budgetW;

  // Rule 2: minimums, most urgent first.
  const granted: Request[] = [];
  for (const request of [...requests].sort(byUrgency)) {
    const chargePointLeft = room.get(request.chargePointId) ?? 0;
    if (
      request.minPowerW <= request.maxPowerW &&
      request.minPowerW <= left &&
      request.minPowerW <= chargePointLeft
    ) {
      power.set(request.transactionId, request.minPowerW);
      room.set(request.chargePointId, chargePointLeft - request.minPowerW);
      left -= request.minPowerW;
      granted.push(request);
    } else {
      power.set(request.transactionId, 0);
      belowMinimum.add(request.transactionId);
    }
  }

  // Rule 3: water-filling in proportion to urgency. Each round either hands out everything that is
  // left or fills at least one session or charge point, so rounds are bounded (TigerBeetle: a limit
  // on every loop).
  const roundsMax = granted.length + chargePointRoomW.size + 2;
  for (let round = 0; round < roundsMax && left > EPSILON_W; round += 1) {
    const open = granted.filter(
      (r) =>
        r.maxPowerW - (power.get(r.transactionId) ?? 0) > EPSILON_W &&
        (room.get(r.chargePointId) ?? 0) > EPSILON_W,
    );
    if (open.length === 0) break;
    const urgent = open.filter((r) => r.urgencyW > 0);
    const sharing = urgent.length > 0 ? urgent : open;
    const weight = (r: Request): number => (urgent.length > 0 ? r.urgencyW : 1);
    const weightTotal = sharing.reduce((sum, r) => sum + weight(r), 0);

    const offer = new Map<string, number>();
    const perChargePoint = new Map<string, number>();
    for (const r of sharing) {
      const sessionRoom = r.maxPowerW - (power.get(r.transactionId) ?? 0);
      const amount = Math.min((left * weight(r)) / weightTotal, sessionRoom);
      offer.set(r.transactionId, amount);
      perChargePoint.set(r.chargePointId, (perChargePoint.get(r.chargePointId) ?? 0) + amount);
    }
    let given = 0;
    for (const r of sharing) {
      const wanted = perChargePoint.get(r.chargePointId) ?? 0;
      const chargePointLeft = room.get(r.chargePointId) ?? 0;
      const scale = wanted > chargePointLeft ? chargePointLeft / wanted : 1;
      const amount = (offer.get(r.transactionId) ?? 0) * scale;
      power.set(r.transactionId, (power.get(r.transactionId) ?? 0) + amount);
      given += amount;
    }
    for (const [chargePointId, wanted] of perChargePoint) {
      const chargePointLeft = room.get(chargePointId) ?? 0;
      room.set(chargePointId, Math.max(0, chargePointLeft - Math.min(wanted, chargePointLeft)));
    }
    left -= given;
    if (given <= EPSILON_W) break;
  }

  // Rule 4: integer watts, rounded down; a granted minimum is an integer, so it survives.
  for (const [transactionId, watts] of power) power.set(transactionId, Math.floor(watts));
  return { powerW: power, belowMinimum };
}

/** The site's schedule at time atMs (proposer time, ms). Pure. */
export function computeSchedule(
  state: SiteState,
  atMs: number,
  options: ScheduleOptions = {},
): SiteSchedule {
  const failSafeW = failSafePowerW(state);
  const modes = new Map<string, ChargePointMode>();
  let failSafeReservedW = 0;
  for (const chargePointId of sortedKeys(state.chargePoints)) {
    const chargePoint = state.chargePoints[chargePointId];
    if (chargePoint === undefined) continue;
    const mode =
      options.assumeLeased === chargePointId ? 'leased' : chargePointMode(chargePoint, atMs);
    modes.set(chargePointId, mode);
    if (mode !== 'leased') failSafeReservedW += failSafeW;
  }
  // Invariant: registered <= chargePointsMax, so the fail-safe reserve never exceeds the limit.
  const budgetW = Math.max(0, state.siteLimitW - failSafeReservedW);

  const requests: Request[] = [];
  const chargePointRoomW = new Map<string, number>();
  for (const chargePointId of sortedKeys(state.chargePoints)) {
    const chargePoint = state.chargePoints[chargePointId];
    if (chargePoint !== undefined && modes.get(chargePointId) === 'leased') {
      chargePointRoomW.set(chargePointId, chargePoint.maxPowerW);
    }
  }
  for (const transactionId of sortedKeys(state.sessions)) {
    const session = state.sessions[transactionId];
    if (session === undefined || modes.get(session.chargePointId) !== 'leased') continue;
    const chargePoint = state.chargePoints[session.chargePointId];
    if (chargePoint === undefined) continue;
    const needs = session.needs;
    requests.push({
      transactionId,
      chargePointId: session.chargePointId,
      minPowerW: needs?.minPowerW ?? 0,
      maxPowerW: Math.min(needs?.maxPowerW ?? chargePoint.maxPowerW, chargePoint.maxPowerW),
      urgencyW:
        needs === null
          ? 0
          : urgencyW(needs.energyRequestedWh, needs.departureAtMs, needs.statedAtMs),
    });
  }
  const split = splitPower(requests, budgetW, chargePointRoomW);

  const allocations: SessionAllocation[] = [];
  const allocatedByChargePoint = new Map<string, number>();
  for (const transactionId of sortedKeys(state.sessions)) {
    const session = state.sessions[transactionId];
    if (session === undefined) continue;
    const request = requests.find((r) => r.transactionId === transactionId);
    const chargePoint = state.chargePoints[session.chargePointId];
    const powerW = split.powerW.get(transactionId) ?? 0;
    allocatedByChargePoint.set(
      session.chargePointId,
      (allocatedByChargePoint.get(session.chargePointId) ?? 0) + powerW,
    );
    allocations.push({
      transactionId,
      chargePointId: session.chargePointId,
      connectorId: session.connectorId,
      powerW,
      minPowerW: request?.minPowerW ?? session.needs?.minPowerW ?? 0,
      maxPowerW:
        request?.maxPowerW ??
        Math.min(
          session.needs?.maxPowerW ?? chargePoint?.maxPowerW ?? 0,
          chargePoint?.maxPowerW ?? 0,
        ),
      urgencyW: request?.urgencyW ?? 0,
      status:
        request === undefined
          ? 'fail-safe'
          : split.belowMinimum.has(transactionId)
            ? 'below-minimum'
            : 'scheduled',
    });
  }

  const chargePoints: ChargePointAllocation[] = [];
  let reservedW = 0;
  for (const [chargePointId, mode] of modes) {
    const allocatedW = mode === 'leased' ? (allocatedByChargePoint.get(chargePointId) ?? 0) : 0;
    const chargePointReservedW = mode === 'leased' ? allocatedW : failSafeW;
    reservedW += chargePointReservedW;
    chargePoints.push({ chargePointId, mode, allocatedW, reservedW: chargePointReservedW });
  }

  return {
    atMs,
    siteLimitW: state.siteLimitW,
    failSafePowerW: failSafeW,
    budgetW,
    reservedW,
    allocations,
    chargePoints,
    belowMinimum: allocations
      .filter((a) => a.status === 'below-minimum')
      .map((a) => a.transactionId),
  };
}

/**
 * The scheduler: a pure function of the replicated state and a time. Every replica that evaluates
 * it on the same state at the same time gets the same allocation, to the watt.
 *
 * Two layers (lease.ts has the argument):
 * - The *target* (fair share), rules 1–4 below, computed afresh at the time of every decided command.
 * - The *grant*, make-before-break (lease.ts, R5): what a charge point may draw can rise towards its
 *   target only out of budget that is free even counting every value any replica of every other
 *   charge point may still be drawing. A lowered grant frees budget only when the lease epoch that
 *   granted the higher value can no longer be drawn. The reducer records the grant in the state
 *   (`SessionState.allocatedW`), so a replica never recomputes someone's power at its own clock.
 *
 * Target rule (in this order):
 * 1. Power is counted against the site limit per charge point. A charge point in mode `leased` is
 *    counted at what its sessions are allocated; every other registered charge point is counted at
 *    its fail-safe power, because that is what it may be drawing (lease.ts). The rest is the budget.
 * 2. Minimums first: sessions in order of urgency (most urgent first, ties by transactionId) get
 *    their EV's minimum power while the budget and their charge point's maximum allow. A session
 *    that cannot get its minimum gets nothing (an EV cannot charge below it) and is reported.
 * 3. The rest is shared in proportion to urgency — the average power the EV needs to get its
 *    requested energy by its departure (energy / time to departure, as stated) — capped at the EV's maximum and the
 *    charge point's maximum (water-filling: what a capped session cannot take goes to the others).
 *    Sessions that stated no needs, or need no more energy, share what is left after that equally.
 * 4. Watts are integers, rounded down, so rounding never pushes the total over the limit.
 * Grant rule (lease.ts, R5): a charge point with a live lease gets min(target, the least it may
 * draw throughout the grant's life) plus a common fraction of the rest of its target, as large as
 * the limit allows at every moment of that life; its sessions get their targets scaled to the grant
 * (a session scaled below its minimum gets 0 and is reported below minimum until the next command).
 * A charge point on probation is counted at fail-safe power and its target is what its sessions
 * would take of that.
 */
import { URGENCY_HORIZON_MS_MIN } from './constants';
import type { ChargePointMode } from './lease';
import { chargePointMode, failSafePowerW, mayDrawW } from './lease';
import type { ChargePointState, SessionState, SiteState } from './state';
import { sortedKeys } from './state';

export type SessionStatus =
  /** Allocated within the budget (its minimum at least). */
  | 'scheduled'
  /** Its minimum did not fit: allocated 0 W. */
  | 'below-minimum'
  /** On a charge point without a live lease: allocated 0 W here; it runs on fail-safe power. */
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
  /** Sum of its sessions' recorded grants, W (0 without a live lease). */
  readonly allocatedW: number;
  /** The most it may be drawing now on any replica it may hold (mayDrawW), W. */
  readonly reservedW: number;
}

export interface SiteSchedule {
  /** The time the schedule was computed for, ms. */
  readonly atMs: number;
  readonly siteLimitW: number;
  /** siteLimitW / chargePointsMax, rounded down, W. */
  readonly failSafePowerW: number;
  /**
   * The budget for sessions of leased charge points: the limit less what every other charge point
   * is counted at (at least fail-safe power each), W.
   */
  readonly budgetW: number;
  /**
   * Sum of reservedW over all charge points, W. At most siteLimitW, except for a while after the
   * limit was lowered (lease.ts, A3).
   */
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
   * Deprecated, ignored: allocations are recorded by the reducer (lease.ts, R1), so no charge point
   * computes its share as if leased any more. Kept so existing callers still compile.
   */
  readonly assumeLeased?: string;
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

function requestFor(session: SessionState, chargePoint: ChargePointState): Request {
  const needs = session.needs;
  if (chargePoint.profilesRefused === true) {
    // It follows no profile, so it may draw its maximum whatever we grant: budget exactly that,
    // first (docs/OCPP.md, "Stations that do not do everything").
    return {
      transactionId: session.transactionId,
      chargePointId: session.chargePointId,
      minPowerW: chargePoint.maxPowerW,
      maxPowerW: chargePoint.maxPowerW,
      urgencyW: Number.MAX_SAFE_INTEGER,
    };
  }
  return {
    transactionId: session.transactionId,
    chargePointId: session.chargePointId,
    minPowerW: needs?.minPowerW ?? 0,
    maxPowerW: Math.min(needs?.maxPowerW ?? chargePoint.maxPowerW, chargePoint.maxPowerW),
    urgencyW:
      needs === null ? 0 : urgencyW(needs.energyRequestedWh, needs.departureAtMs, needs.statedAtMs),
  };
}

interface Target {
  readonly request: Request | undefined;
  readonly powerW: number;
  readonly status: SessionStatus;
}

/** The fair share at time t (target rules 1–4): per session, ignoring what is still drawn. */
function targets(state: SiteState, atMs: number): Map<string, Target> {
  const failSafeW = failSafePowerW(state);
  const leased = new Set<string>();
  let failSafeReservedW = 0;
  for (const chargePointId of sortedKeys(state.chargePoints)) {
    const chargePoint = state.chargePoints[chargePointId];
    if (chargePoint === undefined) continue;
    if (chargePointMode(chargePoint, atMs) === 'leased') leased.add(chargePointId);
    else failSafeReservedW += failSafeW;
  }
  // Invariant: registered <= chargePointsMax, so the fail-safe reserve never exceeds the limit.
  const budgetW = Math.max(0, state.siteLimitW - failSafeReservedW);

  const requests: Request[] = [];
  const chargePointRoomW = new Map<string, number>();
  for (const chargePointId of leased) {
    chargePointRoomW.set(chargePointId, state.chargePoints[chargePointId]?.maxPowerW ?? 0);
  }
  for (const transactionId of sortedKeys(state.sessions)) {
    const session = state.sessions[transactionId];
    if (session === undefined || !leased.has(session.chargePointId)) continue;
    const chargePoint = state.chargePoints[session.chargePointId];
    if (chargePoint === undefined) continue;
    requests.push(requestFor(session, chargePoint));
  }
  const split = splitPower(requests, budgetW, chargePointRoomW);
  // A charge point on probation (live lease, not leased) is counted at fs; its sessions may share
  // that, within its maximum: a grant it draws before it may draw fs itself (lease.ts, R4).
  for (const chargePointId of sortedKeys(state.chargePoints)) {
    const chargePoint = state.chargePoints[chargePointId];
    if (chargePoint === undefined || chargePointMode(chargePoint, atMs) !== 'probation') continue;
    const own = sortedKeys(state.sessions)
      .map((transactionId) => state.sessions[transactionId])
      .filter((session) => session?.chargePointId === chargePointId)
      .map((session) => requestFor(session as SessionState, chargePoint));
    const ownSplit = splitPower(own, failSafeW, new Map([[chargePointId, chargePoint.maxPowerW]]));
    for (const request of own) {
      requests.push(request);
      split.powerW.set(request.transactionId, ownSplit.powerW.get(request.transactionId) ?? 0);
      if (ownSplit.belowMinimum.has(request.transactionId)) {
        split.belowMinimum.add(request.transactionId);
      }
    }
  }
  const out = new Map<string, Target>();
  for (const transactionId of sortedKeys(state.sessions)) {
    const request = requests.find((r) => r.transactionId === transactionId);
    out.set(transactionId, {
      request,
      powerW: split.powerW.get(transactionId) ?? 0,
      status:
        request === undefined
          ? 'fail-safe'
          : split.belowMinimum.has(transactionId)
            ? 'below-minimum'
            : 'scheduled',
    });
  }
  return out;
}

/** A session's grant as the reducer records it. */
export interface PlannedAllocation {
  readonly powerW: number;
  readonly status: SessionStatus;
}

/**
 * The grants a command decided at time t records (lease.ts, R5), per transactionId. Pure; the
 * reducer calls it on the state the command produced, after the renewing charge point's epoch moved.
 *
 * The grants live until t + leaseMs at most (a replica drawing one holds a lease granted by t).
 * At every moment of that life where anyone's mayDrawW changes, the sum over charge points of
 * max(new grant, what it may draw anyway) must stay within the limit; grants rise above what their
 * charge point may draw throughout only by a common fraction of their deficits that keeps it so.
 */
export function planAllocations(state: SiteState, atMs: number): Map<string, PlannedAllocation> {
  const target = targets(state, atMs);
  const targetByChargePoint = new Map<string, number>();
  for (const [transactionId, t] of target) {
    const chargePointId = state.sessions[transactionId]?.chargePointId ?? '';
    targetByChargePoint.set(
      chargePointId,
      (targetByChargePoint.get(chargePointId) ?? 0) + t.powerW,
    );
  }

  // What each charge point may draw during these grants' life [t, t + leaseMs), without them:
  // mayDrawW is piecewise constant, changing only at its epochs' ends and at failSafeFromMs.
  const endMs = atMs + state.config.leaseMs;
  const times = new Set<number>([atMs]);
  const leased: string[] = [];
  const others: string[] = [];
  for (const chargePointId of sortedKeys(state.chargePoints)) {
    const chargePoint = state.chargePoints[chargePointId];
    if (chargePoint === undefined) continue;
    // Grants go to charge points with a live lease: leased, or on probation (capped at fs).
    const mode = chargePointMode(chargePoint, atMs);
    if (mode === 'leased' || mode === 'probation') leased.push(chargePointId);
    else others.push(chargePointId);
    const lease = chargePoint.lease;
    const ends = [chargePoint.bounds.failSafeFromMs];
    for (const e of [lease?.expiresAtMs ?? null, lease?.previousExpiresAtMs ?? null]) {
      if (e !== null) ends.push(e, e + state.config.leaseMs);
    }
    for (const e of ends) if (e > atMs && e < endMs) times.add(e);
  }
  const at = [...times].sort((x, y) => x - y);
  const drawAt = (chargePointId: string, t: number): number => {
    const chargePoint = state.chargePoints[chargePointId];
    return chargePoint === undefined ? 0 : mayDrawW(state, chargePoint, t);
  };
  // Per time: what is free once everyone is counted at what they may draw.
  const freeAt = at.map((t) => {
    let free = state.siteLimitW;
    for (const id of leased) free -= drawAt(id, t);
    for (const id of others) free -= drawAt(id, t);
    return free;
  });
  // A leased charge point keeps, for free, min(target, the least it may draw throughout); above
  // that, a fraction theta of its deficit, the same for all, as large as every time allows.
  const base = new Map<string, number>();
  const deficit = new Map<string, number>();
  for (const id of leased) {
    const targetW = targetByChargePoint.get(id) ?? 0;
    const throughoutW = Math.min(...at.map((t) => drawAt(id, t)));
    base.set(id, Math.min(targetW, throughoutW));
    deficit.set(id, Math.max(0, targetW - throughoutW));
  }
  const fits = (theta: number): boolean =>
    at.every((t, k) => {
      let cost = 0;
      for (const id of leased) {
        const grantW = (base.get(id) ?? 0) + theta * (deficit.get(id) ?? 0);
        cost += Math.max(0, grantW - drawAt(id, t));
      }
      return cost <= (freeAt[k] ?? 0);
    });
  let theta = 0;
  if (fits(1)) {
    theta = 1;
  } else {
    // Bisection, a bounded loop; theta only ever moves to a value that fits.
    let high = 1;
    for (let round = 0; round < 40; round += 1) {
      const mid = (theta + high) / 2;
      if (fits(mid)) theta = mid;
      else high = mid;
    }
  }
  const grants = new Map<string, number>();
  const granted = new Set(leased);
  for (const id of leased) {
    grants.set(id, Math.floor((base.get(id) ?? 0) + theta * (deficit.get(id) ?? 0)));
  }

  const out = new Map<string, PlannedAllocation>();
  for (const [transactionId, t] of target) {
    const chargePointId = state.sessions[transactionId]?.chargePointId ?? '';
    const targetW = targetByChargePoint.get(chargePointId) ?? 0;
    const grantW = grants.get(chargePointId) ?? 0;
    if (t.status !== 'scheduled' || !granted.has(chargePointId)) {
      out.set(transactionId, { powerW: 0, status: t.status });
      continue;
    }
    const powerW = grantW >= targetW ? t.powerW : Math.floor((t.powerW * grantW) / targetW);
    const minPowerW = t.request?.minPowerW ?? 0;
    out.set(
      transactionId,
      powerW >= minPowerW && (powerW > 0 || minPowerW === 0)
        ? { powerW, status: 'scheduled' }
        : { powerW: 0, status: 'below-minimum' },
    );
  }
  return out;
}

/**
 * The site's schedule at time atMs (proposer time, ms). Pure. Allocations are the grants the log
 * recorded (what a charge point draws in its leased phase); a charge point whose lease is not live
 * at atMs shows 0 W, status `fail-safe`. reservedW is what each may be drawing at atMs (mayDrawW).
 */
export function computeSchedule(
  state: SiteState,
  atMs: number,
  // Accepted for compatibility; allocations are recorded, so no charge point needs to be assumed.
  _options: ScheduleOptions = {},
): SiteSchedule {
  const failSafeW = failSafePowerW(state);
  const modes = new Map<string, ChargePointMode>();
  for (const chargePointId of sortedKeys(state.chargePoints)) {
    const chargePoint = state.chargePoints[chargePointId];
    if (chargePoint !== undefined) modes.set(chargePointId, chargePointMode(chargePoint, atMs));
  }
  const live = (mode: ChargePointMode | undefined): boolean =>
    mode === 'leased' || mode === 'probation';

  const allocations: SessionAllocation[] = [];
  const allocatedByChargePoint = new Map<string, number>();
  for (const transactionId of sortedKeys(state.sessions)) {
    const session = state.sessions[transactionId];
    if (session === undefined) continue;
    const chargePoint = state.chargePoints[session.chargePointId];
    const counted = live(modes.get(session.chargePointId));
    const powerW = counted ? session.allocatedW : 0;
    allocatedByChargePoint.set(
      session.chargePointId,
      (allocatedByChargePoint.get(session.chargePointId) ?? 0) + powerW,
    );
    const needs = session.needs;
    allocations.push({
      transactionId,
      chargePointId: session.chargePointId,
      connectorId: session.connectorId,
      powerW,
      minPowerW: needs?.minPowerW ?? 0,
      maxPowerW: Math.min(
        needs?.maxPowerW ?? chargePoint?.maxPowerW ?? 0,
        chargePoint?.maxPowerW ?? 0,
      ),
      urgencyW:
        needs === null
          ? 0
          : urgencyW(needs.energyRequestedWh, needs.departureAtMs, needs.statedAtMs),
      status: counted ? session.allocationStatus : 'fail-safe',
    });
  }

  const chargePoints: ChargePointAllocation[] = [];
  let reservedW = 0;
  let failSafeReservedW = 0;
  for (const [chargePointId, mode] of modes) {
    const chargePoint = state.chargePoints[chargePointId];
    if (chargePoint === undefined) continue;
    const allocatedW = allocatedByChargePoint.get(chargePointId) ?? 0;
    const chargePointReservedW = mayDrawW(state, chargePoint, atMs);
    reservedW += chargePointReservedW;
    if (mode !== 'leased') failSafeReservedW += Math.max(chargePointReservedW, failSafeW);
    chargePoints.push({ chargePointId, mode, allocatedW, reservedW: chargePointReservedW });
  }

  return {
    atMs,
    siteLimitW: state.siteLimitW,
    failSafePowerW: failSafeW,
    budgetW: Math.max(0, state.siteLimitW - failSafeReservedW),
    reservedW,
    allocations,
    chargePoints,
    belowMinimum: allocations
      .filter((a) => a.status === 'below-minimum')
      .map((a) => a.transactionId),
  };
}

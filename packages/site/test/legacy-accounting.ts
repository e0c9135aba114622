// A frozen copy of the accounting before make-before-break (HEAD of packages/site/src/scheduler.ts
// and lease.ts at df6ba86), kept as a planted bug: a charge point draws the share its replica
// computes *now*, and the majority re-uses a lowered share at once. prefix-replicas.test.ts shows the
// property test catches it. Do not use outside tests.
import { URGENCY_HORIZON_MS_MIN } from '../src';
import type { ChargePointState, SiteState } from '../src';

function sortedKeys(record: Record<string, unknown>): string[] {
  return Object.keys(record).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** How a charge point is counted against the site limit at a given time. */
type ChargePointMode =
  /** Live, confirmed lease: counted at its sessions' allocation. */
  | 'leased'
  /** Live lease granted after none or an expired one: counted at fail-safe power until confirmed. */
  | 'probation'
  /** Its lease has ended: counted at fail-safe power. */
  | 'lease-expired'
  /** Never held a lease: counted at fail-safe power. */
  | 'no-lease';

type SessionStatus =
  /** Allocated within the budget (its minimum at least). */
  | 'scheduled'
  /** Its minimum did not fit: allocated 0 W. */
  | 'below-minimum'
  /** On a charge point not in mode `leased`: allocated 0 W here; it runs on fail-safe power. */
  | 'fail-safe';

interface SessionAllocation {
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

interface ChargePointAllocation {
  readonly chargePointId: string;
  readonly mode: ChargePointMode;
  /** Sum of its sessions' allocations, W (0 unless mode is `leased`). */
  readonly allocatedW: number;
  /** What it is counted at against the site limit, W. */
  readonly reservedW: number;
}

interface SiteSchedule {
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

interface ScheduleOptions {
  /**
   * Count this charge point as if its lease were live and confirmed. A charge point uses it to
   * compute the share the others count it at (lease.ts); the central system never needs it.
   */
  readonly assumeLeased?: string;
}

/** docs/DESIGN.md: fail-safe power = site limit / number of charge points (the configured number). */
function failSafePowerW(state: SiteState): number {
  return Math.floor(state.siteLimitW / state.config.chargePointsMax);
}

/** How the charge point is counted at time t (proposer time). */
function chargePointMode(chargePoint: ChargePointState, atMs: number): ChargePointMode {
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
function computeSchedule(
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

type PowerLimitMode =
  /** Live, confirmed lease: the scheduled share. */
  | 'leased'
  /** Live, unconfirmed lease: the scheduled share, at most fs. */
  | 'probation'
  /** The lease ran out: at most fs, and no more than the share, until the others re-use it. */
  | 'hold-down'
  /** No lease, or the hold-down is over: fs (OCPP K15.FR.15: the station charges on its own limits). */
  | 'fail-safe'
  /** Not a registered charge point: it may draw nothing. */
  | 'unregistered';

interface SessionPowerLimit {
  readonly transactionId: string;
  readonly connectorId: number;
  readonly powerW: number;
}

interface PowerLimit {
  readonly chargePointId: string;
  readonly mode: PowerLimitMode;
  /** The most the charge point may draw over all its connectors now, W. */
  readonly powerW: number;
  /** Its split over the sessions the replica knows, ordered by transactionId. */
  readonly sessions: readonly SessionPowerLimit[];
  /** When the mode changes next by the charge point's clock, ms; null if it never does by itself. */
  readonly nextChangeAtMs: number | null;
}

/** Splits a cap over sessions: in proportion to their shares, else equally. Integer watts. */
function splitCap(
  shares: readonly SessionPowerLimit[],
  shareTotalW: number,
  capW: number,
): SessionPowerLimit[] {
  if (shareTotalW <= capW) return [...shares];
  if (shareTotalW > 0) {
    return shares.map((s) => ({ ...s, powerW: Math.floor((s.powerW * capW) / shareTotalW) }));
  }
  const each = shares.length === 0 ? 0 : Math.floor(capW / shares.length);
  return shares.map((s) => ({ ...s, powerW: each }));
}

/**
 * What charge point `chargePointId` may draw at `nowMs` on its own clock, computed on its own
 * replica `state` (rule R4 above). Pure; the charge point calls it on every tick and renegotiates
 * with the EV (OCPP K16) when the result changes.
 */
export function legacyPowerLimitAt(
  state: SiteState,
  chargePointId: string,
  nowMs: number,
): PowerLimit {
  const chargePoint = state.chargePoints[chargePointId];
  if (chargePoint === undefined) {
    return { chargePointId, mode: 'unregistered', powerW: 0, sessions: [], nextChangeAtMs: null };
  }
  const failSafeW = failSafePowerW(state);
  const schedule = computeSchedule(state, nowMs, { assumeLeased: chargePointId });
  const shares: SessionPowerLimit[] = schedule.allocations
    .filter((a) => a.chargePointId === chargePointId)
    .map((a) => ({ transactionId: a.transactionId, connectorId: a.connectorId, powerW: a.powerW }));
  const shareW = shares.reduce((sum, s) => sum + s.powerW, 0);

  const lease = chargePoint.lease;
  const skewMs = state.config.clockSkewMsMax;
  if (lease !== null && nowMs < lease.expiresAtMs - skewMs) {
    const capW = lease.confirmed ? shareW : Math.min(shareW, failSafeW);
    return {
      chargePointId,
      mode: lease.confirmed ? 'leased' : 'probation',
      powerW: capW,
      sessions: splitCap(shares, shareW, capW),
      nextChangeAtMs: lease.expiresAtMs - skewMs,
    };
  }
  if (lease !== null && nowMs < lease.expiresAtMs + state.config.leaseMs + skewMs) {
    const capW = Math.min(shareW, failSafeW);
    return {
      chargePointId,
      mode: 'hold-down',
      powerW: capW,
      sessions: splitCap(shares, shareW, capW),
      nextChangeAtMs: lease.expiresAtMs + state.config.leaseMs + skewMs,
    };
  }
  return {
    chargePointId,
    mode: 'fail-safe',
    powerW: failSafeW,
    // The replica's share no longer binds it: fs is split equally over the sessions it knows.
    sessions: shares.map((s) => ({
      ...s,
      powerW: Math.floor(failSafeW / shares.length),
    })),
    nextChangeAtMs: null,
  };
}

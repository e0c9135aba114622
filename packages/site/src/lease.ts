/**
 * Leases, grants and fail-safe power: what a charge point may draw, and why the site limit holds
 * whatever prefix of the decided log each charge point's replica holds.
 *
 * docs/DESIGN.md, "The replicated site state": a session's allocation is valid for a lease; a charge
 * point that cannot renew it drops to its fail-safe power (site limit / number of charge points);
 * "the leader gives a lost charge point's share to others only after that lease has expired".
 * docs/DESIGN.md property 6: "the power drawn by all charge points together never exceeds the limit."
 *
 * Model. The log decides states S_0, S_1, … (S_n at time t_n). Charge point k's replica is a prefix
 * S_p, p only growing: k may stop learning anywhere and catch up later. k draws
 * powerLimitAt(S_p, k, its clock); clocks are within s of real time. L = leaseMs, s = clockSkewMsMax,
 * fs = floor(limit / chargePointsMax). An epoch of k is the log from one renewal of k (an entry of
 * RenewLeases) to the next.
 *
 * Rules (this module holds them all; the reducer and the scheduler call in here).
 * - R1 (reducer.ts, after every accepted command) Recorded grants: every accepted command records
 *   every session's grant (SessionState.allocatedW). What k draws on S_p is a number written in
 *   S_p, never a share recomputed at k's clock, so the log knows every value any replica may draw.
 * - R2 (grantLease, renewedBounds) Proof: k names the expiry of the lease on its own replica; a
 *   live lease is extended only if the name matches, and the new lease is confirmed and keeps the
 *   named expiry H (previousExpiresAtMs). So k's replica holds that lease or a later one. (Two
 *   leases granted in the same ms end together; a renewal naming that expiry proves no more than
 *   the one before it.)
 * - R3 (grantLease) A renewal of no lease or of an expired one grants an unconfirmed lease: no proof.
 * - R4 (powerLimitAt, on k's replica and clock), lease expiry E: before E − s its grant (`leased`;
 *   on an unconfirmed lease at most fs, `probation`); until E + L + s, min(fs, that) (`hold-down`);
 *   then fs. But nothing beyond its grant before G + s (`pending`), where G is one lease after it
 *   registered and, on an unconfirmed lease, one lease after the lease that one replaced ended.
 * - R5 (state DrawBounds; mayDrawW, renewedBounds, recordDrawBounds; scheduler planAllocations)
 *   Make-before-break: per charge point the state keeps, for its current and its previous epoch,
 *   the highest leased-phase and hold-down draw of any state in it, and F = failSafeFromMs, the
 *   earliest time any replica it may hold can be at fs (registration + L; on a confirmed renewal
 *   naming lease X, E_X + L, or X's G if X was unconfirmed). mayDrawW(S_n, k, τ) is the maximum
 *   of: an epoch's leased bound before its expiry, its hold bound for L after, and fs from F. A
 *   command at t records grants only for charge points with a live lease, each at most its target
 *   (scheduler.ts; fs on probation), and above the least it may draw throughout [t, t + L) only
 *   while at every τ in that window Σ_k max(grant_k, mayDrawW(k, τ)) ≤ limit. So a lowered grant
 *   frees budget only once the epoch holding the higher value has run out, and an increase comes
 *   only out of what is free then.
 *
 * The argument.
 * (a) k draws at most mayDrawW(S_n, k, τ) at real time τ ≥ t_n. By R2 its replica is in the current
 *     or the previous epoch (after an unconfirmed renewal, R3, older epochs have no leased phase left,
 *     and the hold bounds still running are folded into "previous"). In an epoch ending E its leased
 *     phase ends before E − s on its clock, so before E, drawing that epoch's recorded grants (R1),
 *     which the bounds hold; its hold-down draws at most the hold bound, and from E + L ≥ F it is
 *     counted at fs anyway; it reaches fs itself only from G ≥ F (R4).
 * (b) Σ_k mayDrawW(S_n, k, τ) ≤ limit. A grant recorded at t is drawn only on replicas whose lease
 *     ends by t + L, and the plan at t checked every τ in [t, t + L) against everyone's mayDrawW,
 *     which only falls with time except at F, one of the times checked; F never moves earlier, and a
 *     charge point registered later has F beyond every earlier window. After t + L no grant of S_n is
 *     in a leased phase: what remains is hold-downs and fs, at most fs each for at most
 *     chargePointsMax charge points.
 * So the sum drawn stays within the limit, whatever each replica has learned
 * (test/prefix-replicas.test.ts checks exactly this on random histories).
 *
 * The price, by design: an increase waits for the decreases that pay for it. A new EV starts below
 * its fair share and reaches it about one lease later (two renewal rounds); a charge point that just
 * confirmed a lease after probation, or just registered, may hold fs in reserve for its first lease.
 *
 * Assumptions: (A1) clocks differ by at most s; (A2) charge points renew well within L (else they
 * are counted at fs and get at most fs); (A3) lowering the limit: drawn power is within the new limit
 * 2L + 2s after it is decided, except that a charge point on fail-safe power keeps the fs of the limit
 * its replica knows until it learns the new one (it cannot know better); (A4) the charge point
 * applies powerLimitAt often compared with L.
 */
import type { LeaseRenewal } from './commands';
import type { Refusal } from './handlers/kit';
import type { ChargePointState, DrawBounds, LeaseState, SiteState } from './state';
import { sortedKeys } from './state';

/** How a charge point is counted against the site limit at a given time. */
export type ChargePointMode =
  /** Live, confirmed lease, before the lease it proved it holds ends: counted at its grants. */
  | 'leased'
  /**
   * Live lease not (or no longer) proven held: unconfirmed, or the lease its renewal named has
   * ended. Counted at fail-safe power; granted at most that.
   */
  | 'probation'
  /** Its lease has ended: counted at fail-safe power (or its hold-down while it may not rise). */
  | 'lease-expired'
  /** Never held a lease: counted at fail-safe power (nothing while newly registered). */
  | 'no-lease';

/** docs/DESIGN.md: fail-safe power = site limit / number of charge points (the configured number). */
export function failSafePowerW(state: SiteState): number {
  return Math.floor(state.siteLimitW / state.config.chargePointsMax);
}

/**
 * How the charge point is counted at time t (proposer time). `leased` needs a confirmed lease and
 * t before the expiry of the lease the charge point proved it holds (lease.ts, R2): only then can
 * it not be drawing anything but its grants.
 */
export function chargePointMode(chargePoint: ChargePointState, atMs: number): ChargePointMode {
  const lease = chargePoint.lease;
  if (lease === null) return 'no-lease';
  if (atMs >= lease.expiresAtMs) return 'lease-expired';
  const heldExpiresAtMs = lease.previousExpiresAtMs ?? null;
  return lease.confirmed && heldExpiresAtMs !== null && atMs < heldExpiresAtMs
    ? 'leased'
    : 'probation';
}

/**
 * Until when (proposer time) the charge point may not rise to fail-safe power (lease.ts, R4): one
 * lease after it registered, and, on an unconfirmed lease, one lease after the lease it replaced
 * ended (it may have held grants until then that others counted below fail-safe power).
 */
export function pendingUntilMs(state: SiteState, chargePoint: ChargePointState): number {
  const lease = chargePoint.lease;
  const previousMs =
    lease !== null && !lease.confirmed && lease.previousExpiresAtMs !== null
      ? lease.previousExpiresAtMs
      : -Infinity;
  return Math.max(chargePoint.registeredAtMs, previousMs) + state.config.leaseMs;
}

/**
 * What the charge point draws in its leased phase on this replica (lease.ts, R4), W: its grant; on
 * probation what it may draw before fail-safe power (which mayDrawW counts from failSafeFromMs).
 */
export function leasedDrawW(state: SiteState, chargePointId: string): number {
  const chargePoint = state.chargePoints[chargePointId];
  const lease = chargePoint?.lease ?? null;
  if (chargePoint === undefined || lease === null) return 0;
  let sum = 0;
  for (const transactionId of sortedKeys(state.sessions)) {
    const session = state.sessions[transactionId];
    if (session?.chargePointId === chargePointId) sum += session.allocatedW;
  }
  if (!lease.confirmed) {
    return Math.max(sum, Math.min(failSafePowerW(state), chargePoint.bounds.previousHoldW));
  }
  return sum;
}

/** What the charge point draws in its hold-down on this replica (lease.ts, R4), W. */
export function holdDownDrawW(state: SiteState, chargePointId: string): number {
  const lease = state.chargePoints[chargePointId]?.lease ?? null;
  if (lease === null) return 0;
  return Math.min(failSafePowerW(state), leasedDrawW(state, chargePointId));
}

/**
 * The most charge point `chargePoint` may be drawing at time t (proposer time) on any replica it may
 * hold, by any clock within the skew (lease.ts, R5). Its replica holds at least the lease its last
 * confirmed renewal named, so two lease epochs cover every replica it may hold.
 */
export function mayDrawW(state: SiteState, chargePoint: ChargePointState, atMs: number): number {
  const bounds = chargePoint.bounds;
  let drawW = atMs >= bounds.failSafeFromMs ? failSafePowerW(state) : 0;
  // One epoch ending E: its leased phase ends by E (real time), its hold-down draws at most the
  // epoch's hold bound until E + leaseMs; after that it is at most fs, counted above.
  const epoch = (expiresAtMs: number, leasedW: number, holdW: number): number =>
    atMs < expiresAtMs ? leasedW : atMs < expiresAtMs + state.config.leaseMs ? holdW : 0;
  const lease = chargePoint.lease;
  if (lease === null) return drawW;
  drawW = Math.max(drawW, epoch(lease.expiresAtMs, bounds.drawW, bounds.holdW));
  if (lease.previousExpiresAtMs !== null) {
    drawW = Math.max(
      drawW,
      epoch(lease.previousExpiresAtMs, bounds.previousDrawW, bounds.previousHoldW),
    );
  }
  return drawW;
}

/**
 * R2, R3: the lease a renewal at t grants, or why it is refused. A live lease is extended only by
 * a charge point that names it, so a charge point is never more than one renewal behind its own
 * lease, and the extension is confirmed; a fresh lease (none, or expired) starts unconfirmed.
 */
export function grantLease(
  chargePoint: ChargePointState,
  command: LeaseRenewal,
  t: number,
  leaseMs: number,
): LeaseState | Refusal {
  const current = chargePoint.lease;
  const live = current !== null && t < current.expiresAtMs;
  if (live && command.heldLeaseExpiresAtMs !== current.expiresAtMs) {
    return {
      code: 'lease-not-held',
      reason: `charge point ${command.chargePointId} renews a lease ending at ${String(command.heldLeaseExpiresAtMs)}, but its lease ends at ${current.expiresAtMs}`,
    };
  }
  return {
    expiresAtMs: t + leaseMs,
    confirmed: live,
    previousExpiresAtMs: current?.expiresAtMs ?? null,
  };
}

/**
 * R2, R5: the draw bounds once a renewal at t granted `lease` to `before` (the charge point as it
 * was). A new epoch starts at zero; what becomes "previous" depends on what the renewal proves.
 */
export function renewedBounds(
  state: SiteState,
  before: ChargePointState,
  lease: LeaseState,
  t: number,
): DrawBounds {
  const bounds = before.bounds;
  const leaseMs = state.config.leaseMs;
  // A confirmed renewal proves the replica holds the named lease, so the epochs before it no
  // longer matter. An unconfirmed one proves nothing: fold them together. Two leases granted at
  // the same ms end together: naming that expiry does not say which one the replica holds, so such
  // a renewal proves no more than the one before it did.
  const replaced = before.lease;
  const ambiguous = replaced !== null && replaced.previousExpiresAtMs === replaced.expiresAtMs;
  if (lease.confirmed && ambiguous) {
    return {
      drawW: 0,
      holdW: 0,
      previousDrawW: Math.max(bounds.drawW, bounds.previousDrawW),
      previousHoldW: Math.max(bounds.holdW, bounds.previousHoldW),
      failSafeFromMs: bounds.failSafeFromMs,
    };
  }
  if (lease.confirmed && lease.previousExpiresAtMs !== null) {
    return {
      drawW: 0,
      holdW: 0,
      previousDrawW: bounds.drawW,
      previousHoldW: bounds.holdW,
      // A replica holding the named lease X reaches fs one lease after X ends, or, if X was
      // unconfirmed, when X's probation may (pendingUntilMs).
      failSafeFromMs: Math.max(
        bounds.failSafeFromMs,
        before.lease?.confirmed === true
          ? lease.previousExpiresAtMs + leaseMs
          : pendingUntilMs(state, before),
      ),
    };
  }
  // The replaced lease X had expired: no leased phase is left, only hold-downs, which only a
  // confirmed X had below fs (an unconfirmed one's are covered from failSafeFromMs): X's, and its
  // predecessor's while it lasts.
  return {
    drawW: 0,
    holdW: 0,
    previousDrawW: 0,
    previousHoldW: replacedHoldW(before, t, leaseMs),
    failSafeFromMs: bounds.failSafeFromMs,
  };
}

/** On an unconfirmed renewal at t: the hold-down bound still live from the lease it replaces. */
function replacedHoldW(replaced: ChargePointState, t: number, leaseMs: number): number {
  const lease = replaced.lease;
  if (lease === null || !lease.confirmed) return 0;
  const earlier = lease.previousExpiresAtMs;
  const earlierHoldW =
    earlier !== null && t < earlier + leaseMs ? replaced.bounds.previousHoldW : 0;
  return Math.max(replaced.bounds.holdW, earlierHoldW);
}

/**
 * R5: after every accepted command, once its grants are recorded (R1), each charge point's
 * current epoch bounds take in what it may now draw on this state.
 */
export function recordDrawBounds(draft: SiteState): void {
  for (const chargePointId of sortedKeys(draft.chargePoints)) {
    const chargePoint = draft.chargePoints[chargePointId];
    if (chargePoint === undefined) continue;
    const bounds = chargePoint.bounds;
    bounds.drawW = Math.max(bounds.drawW, leasedDrawW(draft, chargePointId));
    bounds.holdW = Math.max(bounds.holdW, holdDownDrawW(draft, chargePointId));
  }
}

export type PowerLimitMode =
  /** Live, confirmed lease: the scheduled share. */
  | 'leased'
  /** Live, unconfirmed lease: the scheduled share, at most fs. */
  | 'probation'
  /** The lease ran out: at most fs, and no more than the share, until the others re-use it. */
  | 'hold-down'
  /** No lease, or the hold-down is over: fs (OCPP K15.FR.15: the station charges on its own limits). */
  | 'fail-safe'
  /**
   * Not leased, and not yet allowed fail-safe power (R4): registered less than a lease ago, or on a
   * fresh lease whose predecessor's hold-down is not over. Nothing, or that hold-down's power.
   */
  | 'pending'
  /** Not a registered charge point: it may draw nothing. */
  | 'unregistered';

export interface SessionPowerLimit {
  readonly transactionId: string;
  readonly connectorId: number;
  readonly powerW: number;
}

export interface PowerLimit {
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
  return splitEqually(shares, capW);
}

/** capW split equally over the sessions, integer watts. */
function splitEqually(shares: readonly SessionPowerLimit[], capW: number): SessionPowerLimit[] {
  const each = shares.length === 0 ? 0 : Math.floor(capW / shares.length);
  return shares.map((s) => ({ ...s, powerW: each }));
}

/**
 * What charge point `chargePointId` may draw at `nowMs` on its own clock, computed on its own
 * replica `state` (rule R4 above). Pure; the charge point calls it on every tick and renegotiates
 * with the EV (OCPP K16) when the result changes. Its leased power is the grant the log recorded.
 */
export function powerLimitAt(state: SiteState, chargePointId: string, nowMs: number): PowerLimit {
  const chargePoint = state.chargePoints[chargePointId];
  if (chargePoint === undefined) {
    return { chargePointId, mode: 'unregistered', powerW: 0, sessions: [], nextChangeAtMs: null };
  }
  const failSafeW = failSafePowerW(state);
  const shares: SessionPowerLimit[] = [];
  for (const transactionId of sortedKeys(state.sessions)) {
    const session = state.sessions[transactionId];
    if (session?.chargePointId !== chargePointId) continue;
    shares.push({ transactionId, connectorId: session.connectorId, powerW: session.allocatedW });
  }
  const lease = chargePoint.lease;
  const confirmed = lease?.confirmed === true;
  const grantW = shares.reduce((sum, s) => sum + s.powerW, 0);
  // The leased-phase draw: the recorded grant, or fs on probation (R4), once it may.
  const leasedW = confirmed ? grantW : failSafeW;
  const leasedSessions = confirmed ? shares : splitEqually(shares, failSafeW);

  const skewMs = state.config.clockSkewMsMax;
  const pendingUntil = pendingUntilMs(state, chargePoint) + skewMs;
  // Waiting for fail-safe power: nothing, or on a fresh lease what the hold-down of the lease it
  // replaced allowed (the previous epoch's bound; grants counted it there).
  const waitingW =
    lease !== null && !confirmed ? Math.min(failSafeW, chargePoint.bounds.previousHoldW) : 0;
  const pending = (next: number | null): PowerLimit | null =>
    nowMs < pendingUntil
      ? {
          chargePointId,
          mode: 'pending',
          powerW: waitingW,
          sessions: splitEqually(shares, waitingW),
          nextChangeAtMs: next === null ? pendingUntil : Math.min(next, pendingUntil),
        }
      : null;

  if (lease !== null && nowMs < lease.expiresAtMs - skewMs) {
    if (!confirmed && nowMs < pendingUntil) {
      // Probation before it may draw fs: its grant (at most fs), or what it waits with.
      const capW = Math.max(grantW, waitingW);
      return {
        chargePointId,
        mode: capW > 0 ? 'probation' : 'pending',
        powerW: capW,
        sessions: grantW >= waitingW ? shares : splitEqually(shares, waitingW),
        nextChangeAtMs: Math.min(lease.expiresAtMs - skewMs, pendingUntil),
      };
    }
    return {
      chargePointId,
      mode: confirmed ? 'leased' : 'probation',
      powerW: leasedW,
      sessions: leasedSessions,
      nextChangeAtMs: lease.expiresAtMs - skewMs,
    };
  }
  if (lease !== null && nowMs < lease.expiresAtMs + state.config.leaseMs + skewMs) {
    const holdUntil = lease.expiresAtMs + state.config.leaseMs + skewMs;
    // min(fs, grant) is no more than the grant; only fs itself waits out the pending phase.
    const waiting = confirmed ? null : pending(holdUntil);
    if (waiting !== null) return waiting;
    const capW = Math.min(failSafeW, leasedW);
    return {
      chargePointId,
      mode: 'hold-down',
      powerW: capW,
      sessions: splitCap(leasedSessions, leasedW, capW),
      nextChangeAtMs: holdUntil,
    };
  }
  const waiting = pending(null);
  if (waiting !== null) return waiting;
  return {
    chargePointId,
    mode: 'fail-safe',
    powerW: failSafeW,
    // The replica's grant no longer binds it: fs is split equally over the sessions it knows.
    sessions: splitEqually(shares, failSafeW),
    nextChangeAtMs: null,
  };
}

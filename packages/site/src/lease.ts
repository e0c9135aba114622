/**
 * Leases and fail-safe power: what a charge point may draw when it can no longer hear the leader
 * or a quorum, and why the site limit still holds.
 *
 * DESIGN.md, "The replicated site state": "A session's allocation is valid for a lease; a charge
 * point that cannot renew it (cut off from the leader or a quorum) drops to its fail-safe power
 * (site limit / number of charge points) and its EV goes to `charging_without_profile`; the leader
 * gives a lost charge point's share to others only after that lease has expired." And the headline
 * property (DESIGN.md, property 6): "the power drawn by all charge points together never exceeds
 * the limit."
 *
 * Notation: L = leaseMs, s = clockSkewMsMax, fs = failSafePowerW(state) = floor(limit / chargePointsMax),
 * E = a lease's expiresAtMs (proposer time), share(k) = what computeSchedule gives charge point k's
 * sessions when k is counted as leased (`assumeLeased: k`).
 *
 * The rules:
 * - R1 (scheduler.ts, accounting): at time t, k is counted at share(k) if its lease is live and
 *   confirmed, else at fs. At most chargePointsMax charge points are registered, so the fs reserve
 *   is at most limit, the budget is never negative, and the counted sum is at most the limit for
 *   every state and every t (the property test checks it on random histories).
 * - R2 (reducer, RenewLease): a live lease is extended only by a renewal naming its expiry, i.e. by a
 *   charge point that holds it. So a charge point is at most one renewal behind its own lease, and
 *   that unknown renewal was stamped before the expiry E it does know: it ends before E + L.
 * - R3 (reducer, RenewLease): a renewal of no lease or an expired lease grants an unconfirmed lease;
 *   k is counted at fs until a renewal naming it confirms it (k may still be at fs until it learns).
 * - R4 (powerLimitAt, on k's own replica and clock): before E − s, k draws share(k) (at most fs if the
 *   lease is unconfirmed); from E − s to E + L + s (the hold-down) it draws min(fs, share(k)); after
 *   that, or with no lease, it draws fs.
 *
 * The argument: at any moment, k draws no more than the others count it at.
 * - If they count k as leased, k's lease c is live and confirmed. k holds c, or c − 1 (R2). Either way
 *   k is leased, in probation or in hold-down, drawing at most share(k) — the number the others
 *   compute for it, since their state differs from k's replica only in k's own lease. k cannot be at
 *   fs: holding c − 1, its fs phase starts at E(c−1) + L + s, after E(c) because c was stamped before
 *   E(c−1) (R2); holding c, it starts after E(c) + L.
 * - If they count k at fs (no lease, expired, or unconfirmed), k draws at most fs in every phase but
 *   the leased one, and it is not in the leased one: that phase ends at E − s on k's clock, before E
 *   on the proposer's; and an unconfirmed lease c was granted after E(c−1) had passed (R3).
 * So the sum of what all charge points draw is at most the counted sum, which R1 keeps within the
 * limit. The leader re-uses a lost charge point's share only when the lease has expired (R1), while
 * the lost charge point has already stopped using it (R4): the order DESIGN.md asks for.
 *
 * Assumptions, stated so they can be checked: (A1) clocks differ by at most s; (A2) apart from its
 * own latest renewal, a charge point's replica holds the commands that change its share (a
 * charge point that lags further is cut off from the log and runs out its lease; closing this gap
 * fully needs "decreases before increases" — each change that lowers someone's share taking effect
 * one lease after it is decided — not built yet); (A3) lowering the site limit is honoured by a
 * cut-off charge point only once it learns it; (A4) the charge point's controller applies
 * powerLimitAt often compared with L. The schedule changes with time only at lease boundaries
 * (urgency is measured from when needs were stated), so replicas evaluating at slightly different
 * clocks agree except within s of a boundary.
 */
import type { SiteState } from './state';
import { computeSchedule, failSafePowerW } from './scheduler';

export type PowerLimitMode =
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
  const each = shares.length === 0 ? 0 : Math.floor(capW / shares.length);
  return shares.map((s) => ({ ...s, powerW: each }));
}

/**
 * What charge point `chargePointId` may draw at `nowMs` on its own clock, computed on its own
 * replica `state` (rule R4 above). Pure; the charge point calls it on every tick and renegotiates
 * with the EV (OCPP K16) when the result changes.
 */
export function powerLimitAt(state: SiteState, chargePointId: string, nowMs: number): PowerLimit {
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

/**
 * The power governor: what the EV on the connector may draw, as a pure function of this charge
 * point's own replica of the site state and its clock (docs/STYLE.md: pure cores, no I/O, the clock
 * passed in). The charge point is a learner replica that computes the same schedule as the central,
 * so the watts come from `powerLimitAt(replica, cpId, now)` and the schedule from the replica's
 * TxProfile — never from a round trip to the CSMS — and a cut-off charge point falls to its
 * fail-safe power on time by its own clock (docs/EV-LINK.md "Power", lease.ts R4).
 */
import type { EvChargingSchedule, PowerGrant, PowerMode } from '@evpaxos/ev-link';
import {
  buildChargingProfiles,
  type EvseState,
  type PowerLimit,
  type SiteState,
} from '@evpaxos/site';

/** The EV's needs as it stated them (ChargeParameterDiscoveryReq). */
export interface EvNeeds {
  readonly energyRequestedWh: number;
  readonly minPowerW: number;
  readonly maxPowerW: number;
  readonly departureAtMs: number;
}

/** What the governor needs to know of the EV on the connector. */
export interface EvPowerFacts {
  readonly transactionId: string | null;
  readonly needs: EvNeeds | null;
  /** The EVSE's negotiation ended with an agreed schedule (Evse.scheduleAgreed). */
  readonly scheduleAgreed: boolean;
  /** The contactor is closed (PowerDeliveryReq(Start)) and the EVSE lets energy flow. */
  readonly drawing: boolean;
}

/** Periods of a schedule passed to the EV, at most (ISO 15118-2 SAScheduleTuple's PMaxSchedule). */
const SCHEDULE_PERIODS_MAX = 24;

/** The lease is live: leased, or on probation with a grant (lease.ts). */
export function isLeased(limit: PowerLimit): boolean {
  return limit.mode === 'leased' || limit.mode === 'probation';
}

/** 'profile' only while the lease is live and a schedule was agreed; else the station's own limits. */
export function powerMode(limit: PowerLimit, scheduleAgreed: boolean): PowerMode {
  return isLeased(limit) && scheduleAgreed ? 'profile' : 'fail-safe';
}

/**
 * What the EV is told. One connector per charge point (docs/SITE.md), so the EV may use all the
 * charge point may draw: limit.powerW, which is ≤ what every other replica counts us at (lease.ts).
 */
export function grantFor(
  state: SiteState,
  limit: PowerLimit,
  ev: EvPowerFacts,
  nowMs: number,
): PowerGrant {
  const mode = powerMode(limit, ev.scheduleAgreed);
  const limitW = Math.max(0, Math.floor(limit.powerW));
  const schedule =
    mode === 'profile' && ev.transactionId !== null
      ? scheduleFromReplica(state, ev.transactionId, nowMs)
      : undefined;
  return schedule === undefined ? { limitW, mode } : { limitW, mode, schedule };
}

/** Power actually drawn: the grant while the contactor is closed, capped by the EV's maximum. */
export function drawW(grant: PowerGrant, ev: EvPowerFacts): number {
  if (!ev.drawing) return 0;
  return Math.min(grant.limitW, ev.needs?.maxPowerW ?? grant.limitW);
}

/**
 * The transaction's schedule as the EV sees it: the TxProfile the replica's scheduler builds
 * (the same one the central sends in SetChargingProfile), converted from OCPP's chargingSchedule
 * (W, seconds from startSchedule) to the EV link's periods. Undefined if the replica has none.
 */
export function scheduleFromReplica(
  state: SiteState,
  transactionId: string,
  nowMs: number,
): EvChargingSchedule | undefined {
  const profile = buildChargingProfiles(state, nowMs).find(
    (candidate) => candidate.chargingProfile.transactionId === transactionId,
  )?.chargingProfile;
  const schedule = profile?.chargingSchedule[0];
  if (profile === undefined || schedule === undefined || schedule.chargingRateUnit !== 'W')
    return undefined;
  const startAtMs =
    schedule.startSchedule === undefined ? nowMs : Date.parse(schedule.startSchedule);
  if (!Number.isFinite(startAtMs) || schedule.chargingSchedulePeriod.length === 0) return undefined;
  return {
    scheduleId: profile.id,
    startAtMs,
    periods: schedule.chargingSchedulePeriod.slice(0, SCHEDULE_PERIODS_MAX).map((period) => ({
      startOffsetS: Math.floor(period.startPeriod),
      limitW: Math.floor(period.limit),
    })),
  };
}

/** The site agreed on these needs: the replica's session for the transaction holds exactly them. */
export function needsAgreed(
  state: SiteState,
  transactionId: string | null,
  needs: EvNeeds | null,
): boolean {
  if (transactionId === null || needs === null) return false;
  const agreed = state.sessions[transactionId]?.needs;
  return (
    agreed !== null &&
    agreed !== undefined &&
    agreed.energyRequestedWh === needs.energyRequestedWh &&
    agreed.minPowerW === needs.minPowerW &&
    agreed.maxPowerW === needs.maxPowerW &&
    agreed.departureAtMs === needs.departureAtMs
  );
}

/** What a re-evaluation of a charging EV calls for (the controller fires the events and tells the EV). */
export type PowerChange =
  /** lease.ts R4: the lease ran out on our clock; the profile no longer binds the site: fail-safe. */
  | 'lease-lost'
  /** The lease is back (or the needs finally reached the replica): a profile replaces fail-safe. */
  | 'lease-restored'
  /** The grant changed under the same mode: the EV is told the new one. */
  | 'renegotiation'
  | 'none';

export interface PowerChangeInput {
  readonly evseState: EvseState;
  readonly scheduleAgreed: boolean;
  /** The lease was live at the previous evaluation. */
  readonly wasLeased: boolean;
  readonly leased: boolean;
  /** needsAgreed(...) for the EV's transaction and needs now. */
  readonly needsAgreed: boolean;
  /** The grant the EV was last told, if any. */
  readonly lastGrant: { readonly limitW: number; readonly mode: PowerMode } | null;
  /** The grant under the current mode. */
  readonly grant: PowerGrant;
}

/** Decides what changed for the EV since the last evaluation; only a `charging` EVSE changes. */
export function powerChange(input: PowerChangeInput): PowerChange {
  if (input.evseState !== 'charging') return 'none';
  if (input.wasLeased && !input.leased) return 'lease-lost';
  if (!input.scheduleAgreed && input.leased && input.needsAgreed) return 'lease-restored';
  const last = input.lastGrant;
  if (last !== null && (last.limitW !== input.grant.limitW || last.mode !== input.grant.mode)) {
    return 'renegotiation';
  }
  return 'none';
}

/**
 * OCPP 2.0.1 charging profiles built from the schedule (docs/OCPP.md §5.2,
 * SetChargingProfileRequest). One TxProfile per session, in watts, Absolute, starting at the
 * command time. Its periods are the lease rules of lease.ts laid out in time, so a charge point that
 * hears nothing more still follows them (OCPP 1.6 §3.13.6: an offline station keeps its TxProfile):
 * the allocation until the lease ends, the hold-down, then the fail-safe power.
 */
import type {
  ChargingProfile as OcppChargingProfile,
  ChargingSchedule as OcppChargingSchedule,
  ChargingSchedulePeriod,
  SetChargingProfileRequest,
} from '@evpaxos/ocpp';
import type { SiteState } from './state';
import { sortedKeys } from './state';
import { powerLimitAt } from './lease';

// The OCPP message types are @evpaxos/ocpp's (its message catalogue, a module of types only):
// imported as types, so this pure core loads nothing of the OCPP link at run time. Below, only
// how this site narrows them.

/** ChargingScheduleType as this site sends it: Absolute, so startSchedule is required (K01.FR.40). */
type ChargingSchedule = OcppChargingSchedule & {
  readonly startSchedule: string;
  /** 1 … schedulePeriodsMax periods, startPeriod ascending, the first at 0. */
  readonly chargingSchedulePeriod: readonly ChargingSchedulePeriod[];
};

/** ChargingProfileType as this site sends it: one TxProfile per transaction, in watts. */
type ChargingProfile = OcppChargingProfile & {
  readonly chargingProfilePurpose: 'TxProfile';
  readonly chargingProfileKind: 'Absolute';
  /** Required for a TxProfile (K01.FR.03). */
  readonly transactionId: string;
  /** 1 … 3 schedules (K15.FR.07); we send one. */
  readonly chargingSchedule: readonly ChargingSchedule[];
};

/** The fields of a SetChargingProfileRequest, plus where to send it. */
export interface SetChargingProfile extends SetChargingProfileRequest {
  readonly chargePointId: string;
  readonly chargingProfile: ChargingProfile;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/**
 * ms since the Unix epoch → `YYYY-MM-DDTHH:mm:ss.sssZ`, without `Date` (the pure core reads no
 * clock, and the linter bans `new Date` here). Days → civil date after H. Hinnant, "chrono-Compatible
 * Low-Level Date Algorithms", civil_from_days. Years 0 … 9999.
 */
export function isoFromMs(ms: number): string {
  const dayMs = 86_400_000;
  const days = Math.floor(ms / dayMs);
  let rest = ms - days * dayMs;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1_460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1_000);
  const millis = rest - seconds * 1_000;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}.${pad(millis, 3)}Z`;
}

/** Keeps at most `periodsMax` periods; the tail beyond is folded into its lowest limit (safe). */
function fitPeriods(
  periods: readonly ChargingSchedulePeriod[],
  periodsMax: number,
): ChargingSchedulePeriod[] {
  const merged: ChargingSchedulePeriod[] = [];
  for (const period of periods) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.limit === period.limit) continue;
    merged.push(period);
  }
  if (merged.length <= periodsMax) return merged;
  const kept = merged.slice(0, periodsMax - 1);
  const tail = merged.slice(periodsMax - 1);
  const first = tail[0];
  const lowest = Math.min(...tail.map((p) => p.limit));
  kept.push({ startPeriod: first?.startPeriod ?? 0, limit: lowest });
  return kept;
}

/**
 * A TxProfile for every session the state knows, as the proposer computes them at `atMs` (proposer
 * time), ordered by transactionId. Period boundaries are rounded so that lower limits start early
 * and higher ones late.
 */
export function buildChargingProfiles(state: SiteState, atMs: number): SetChargingProfile[] {
  const out: SetChargingProfile[] = [];
  for (const chargePointId of sortedKeys(state.chargePoints)) {
    const chargePoint = state.chargePoints[chargePointId];
    if (chargePoint === undefined) continue;
    // Phase starts (proposer time) of the lease rules, then the limit in each phase.
    const phaseStarts = [atMs];
    const lease = chargePoint.lease;
    if (lease !== null) {
      const skewMs = state.config.clockSkewMsMax;
      const holdDownAtMs = lease.expiresAtMs - skewMs;
      const failSafeAtMs = lease.expiresAtMs + state.config.leaseMs + skewMs;
      if (holdDownAtMs > atMs) phaseStarts.push(holdDownAtMs);
      if (failSafeAtMs > atMs) phaseStarts.push(failSafeAtMs);
    }
    const phases = phaseStarts.map((startMs) => ({
      startMs,
      limit: powerLimitAt(state, chargePointId, startMs),
    }));
    const first = phases[0]?.limit;
    if (first === undefined) continue;
    for (const session of first.sessions) {
      const periods: ChargingSchedulePeriod[] = [];
      let previousW = Number.NaN;
      for (const phase of phases) {
        const limitW = phase.limit.sessions.find(
          (s) => s.transactionId === session.transactionId,
        )?.powerW;
        if (limitW === undefined) continue;
        const offsetS = (phase.startMs - atMs) / 1_000;
        const startPeriod =
          periods.length === 0 ? 0 : limitW < previousW ? Math.floor(offsetS) : Math.ceil(offsetS);
        const last = periods[periods.length - 1];
        if (last !== undefined && startPeriod <= last.startPeriod) {
          // Two boundaries within one second: keep the lower limit for both (safe side).
          periods[periods.length - 1] = { ...last, limit: Math.min(last.limit, limitW) };
        } else {
          periods.push({ startPeriod, limit: limitW });
        }
        previousW = limitW;
      }
      const stateSession = state.sessions[session.transactionId];
      if (stateSession === undefined) continue;
      out.push({
        chargePointId,
        evseId: session.connectorId,
        chargingProfile: {
          id: stateSession.chargingProfileId,
          stackLevel: 0,
          chargingProfilePurpose: 'TxProfile',
          chargingProfileKind: 'Absolute',
          transactionId: session.transactionId,
          chargingSchedule: [
            {
              id: stateSession.chargingProfileId,
              startSchedule: isoFromMs(atMs),
              chargingRateUnit: 'W',
              chargingSchedulePeriod: fitPeriods(periods, state.config.schedulePeriodsMax),
            },
          ],
        },
      });
    }
  }
  return out;
}

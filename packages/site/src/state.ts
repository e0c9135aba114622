/**
 * The replicated site state: plain data only (it is snapshotted, persisted and sent to lagging
 * learners), changed only by `applySiteCommand`.
 */
import {
  CHARGE_POINTS_MAX_DEFAULT,
  CHARGE_POINTS_MAX_LIMIT,
  CLOCK_SKEW_MS_MAX_DEFAULT,
  LEASE_MS_DEFAULT,
  RESERVATIONS_MAX_DEFAULT,
  RESERVATION_DURATION_MS_MAX_DEFAULT,
  SCHEDULE_PERIODS_MAX,
  SESSIONS_MAX_DEFAULT,
  SITE_LIMIT_W_DEFAULT,
  SITE_LIMIT_W_MAX,
} from './constants';

/** User options; every one has a default in constants.ts. All replicas must use the same. */
export interface SiteOptions {
  /** Initial site limit, W (default 44 000). SetSiteLimit changes it. */
  siteLimitW?: number;
  /** Charge points the site is built for; the fail-safe divisor (default 5; the cluster file's count). */
  chargePointsMax?: number;
  /** Concurrent sessions (default 40). */
  sessionsMax?: number;
  /** Reservations held at once (default 40). */
  reservationsMax?: number;
  /** Longest reservation, ms (default 24 h). */
  reservationDurationMsMax?: number;
  /** Lease length, ms (default 30 000). */
  leaseMs?: number;
  /** Largest clock difference between a charge point and a proposer, ms (default 1 000). */
  clockSkewMsMax?: number;
  /** Periods per charging schedule, 1 … 3 (default 3). */
  schedulePeriodsMax?: number;
}

/** The options resolved and checked. Part of the state, so a snapshot is self-contained. */
export type SiteConfig = Readonly<Required<SiteOptions>>;

export interface LeaseState {
  /** Proposer time at which the lease ends, ms: the renewal's atMs + leaseMs. */
  expiresAtMs: number;
  /**
   * True when the renewal that granted it extended a live lease the charge point proved it held.
   * A fresh lease (after none, or after expiry) is unconfirmed: the charge point may still be at its
   * fail-safe power, so the scheduler keeps reserving that for it (lease.ts).
   */
  confirmed: boolean;
  /**
   * The expiry of the lease this one replaced, or null if it had none. For a confirmed lease it is
   * the lease the renewal named: the charge point's replica holds at least that one, and the others
   * count it at its grant only until then (lease.ts, R2). For an unconfirmed one, the charge point
   * may still be in that lease's hold-down, so it waits until its end for fail-safe power (R4).
   */
  previousExpiresAtMs: number | null;
}

/**
 * What a charge point may be drawing on any replica it might hold, per lease epoch (lease.ts, rule
 * R5). An epoch is the stretch of the log from one renewal of the charge point to the next.
 * Make-before-break: a lowered allocation frees budget only when the epoch that granted the higher
 * one can no longer be drawn. Four numbers per charge point, however long the log.
 */
export interface DrawBounds {
  /** Highest leased-phase draw (its allocation; fail-safe power on probation) in this epoch, W. */
  drawW: number;
  /** Highest hold-down draw, min(fail-safe, allocation), in this epoch, W. */
  holdW: number;
  /**
   * The same two for the previous epoch (ended by the lease `previousExpiresAtMs`), W. After an
   * unconfirmed renewal, the epochs before it are folded in here: no proof rules them out.
   */
  previousDrawW: number;
  previousHoldW: number;
  /**
   * The earliest time (proposer time) at which it may be at fail-safe power on any replica it may
   * hold: one lease after it registered, raised to one lease after the lease each confirmed renewal
   * names (its replica holds at least that lease). Grants before then may count it below fs.
   */
  failSafeFromMs: number;
}

export interface ChargePointState {
  chargePointId: string;
  connectorCount: number;
  maxPowerW: number;
  /** Faulted connector ids, ascending. */
  faultedConnectorIds: number[];
  /** The current lease, or null if it never held one. */
  lease: LeaseState | null;
  registeredAtMs: number;
  /** Make-before-break accounting (lease.ts, R5). */
  bounds: DrawBounds;
  /**
   * True once it refused a TxProfile (RecordProfileRefused): its sessions are budgeted at its
   * maximum power (scheduler.ts). Absent in states from before the field existed.
   */
  profilesRefused?: boolean;
}

export interface ReservationState {
  reservationId: number;
  chargePointId: string;
  connectorId: number;
  idToken: string;
  /** The window [startsAtMs, expiresAtMs), proposer time, ms. It holds its connector in it. */
  startsAtMs: number;
  expiresAtMs: number;
}

export interface EvNeeds {
  energyRequestedWh: number;
  minPowerW: number;
  maxPowerW: number;
  departureAtMs: number;
  /** When the EV stated these needs, ms. */
  statedAtMs: number;
}

export interface SessionState {
  transactionId: string;
  chargePointId: string;
  connectorId: number;
  idToken: string;
  startedAtMs: number;
  /** The reservation this session consumed, if any (OCPP H01.FR.15: reported in TransactionEvent). */
  reservationId: number | null;
  /** The EV's needs, or null until the EV sent them (ISO 15118 ChargeParameterDiscovery). */
  needs: EvNeeds | null;
  /** ChargingProfile.id for this session's TxProfile, unique at the site. */
  chargingProfileId: number;
  /**
   * The power allocated to it by the last decided command, W (integer), and its status. Recorded,
   * not recomputed: every replica draws exactly what the log granted (lease.ts, R1).
   */
  allocatedW: number;
  allocationStatus: 'scheduled' | 'below-minimum' | 'fail-safe';
  /** The station's meter (RecordMeterValues, J02): absent until it reported one. */
  meter?: SessionMeter;
}

export interface SessionMeter {
  /** Energy.Active.Import.Register when the transaction began, Wh. */
  startRegisterWh: number;
  /** The latest register, Wh. */
  registerWh: number;
  /** The latest Power.Active.Import, W, or null when the station did not sample it. */
  powerW: number | null;
  /** The proposer time of the reading, ms. */
  atMs: number;
}

export interface SiteState {
  config: SiteConfig;
  /** The replicated clock: the latest atMs of an accepted command, ms. Never runs backwards. */
  clockMs: number;
  siteLimitW: number;
  /** By chargePointId. */
  chargePoints: Record<string, ChargePointState>;
  /** By reservationId (as a decimal string). */
  reservations: Record<string, ReservationState>;
  /** By transactionId. */
  sessions: Record<string, SessionState>;
  /** The next ChargingProfile.id to hand out. */
  nextChargingProfileId: number;
  /**
   * Energy the ended sessions delivered by their stations' meters, Wh (StopSession). Absent in
   * states from before the field existed.
   */
  deliveredWh?: number;
}

function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}.`);
  }
}

/** Resolves options against the defaults; throws one sentence per broken rule. */
export function resolveSiteConfig(options: SiteOptions = {}): SiteConfig {
  const config: SiteConfig = {
    siteLimitW: options.siteLimitW ?? SITE_LIMIT_W_DEFAULT,
    chargePointsMax: options.chargePointsMax ?? CHARGE_POINTS_MAX_DEFAULT,
    sessionsMax: options.sessionsMax ?? SESSIONS_MAX_DEFAULT,
    reservationsMax: options.reservationsMax ?? RESERVATIONS_MAX_DEFAULT,
    reservationDurationMsMax:
      options.reservationDurationMsMax ?? RESERVATION_DURATION_MS_MAX_DEFAULT,
    leaseMs: options.leaseMs ?? LEASE_MS_DEFAULT,
    clockSkewMsMax: options.clockSkewMsMax ?? CLOCK_SKEW_MS_MAX_DEFAULT,
    schedulePeriodsMax: options.schedulePeriodsMax ?? SCHEDULE_PERIODS_MAX,
  };
  requireInteger('siteLimitW', config.siteLimitW, 1, SITE_LIMIT_W_MAX);
  requireInteger('chargePointsMax', config.chargePointsMax, 1, CHARGE_POINTS_MAX_LIMIT);
  requireInteger('sessionsMax', config.sessionsMax, 1, 10_000);
  requireInteger('reservationsMax', config.reservationsMax, 0, 10_000);
  requireInteger('reservationDurationMsMax', config.reservationDurationMsMax, 1, 2 ** 40);
  requireInteger('leaseMs', config.leaseMs, 1, 24 * 60 * 60 * 1000);
  requireInteger('clockSkewMsMax', config.clockSkewMsMax, 0, 60 * 60 * 1000);
  requireInteger('schedulePeriodsMax', config.schedulePeriodsMax, 1, SCHEDULE_PERIODS_MAX);
  // The lease argument (lease.ts) needs the leased phase to be longer than the skew that trims it.
  if (config.clockSkewMsMax * 2 >= config.leaseMs) {
    throw new RangeError('leaseMs must be more than twice clockSkewMsMax.');
  }
  return Object.freeze(config);
}

/** The empty site: no charge points, the configured limit, the clock at 0. */
export function createSiteState(options: SiteOptions = {}): SiteState {
  const config = resolveSiteConfig(options);
  return {
    config,
    clockMs: 0,
    siteLimitW: config.siteLimitW,
    chargePoints: {},
    reservations: {},
    sessions: {},
    nextChargingProfileId: 1,
  };
}

/** A deep copy. The state is plain data (numbers, strings, booleans, null, arrays, objects). */
export function cloneSiteState(state: SiteState): SiteState {
  return JSON.parse(JSON.stringify(state)) as SiteState;
}

/** Keys of a record in a replica-independent order (JS key order would follow history). */
export function sortedKeys(record: Record<string, unknown>): string[] {
  return Object.keys(record).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

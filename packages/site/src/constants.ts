/**
 * Every limit of the replicated site state, written down once (docs/STYLE.md rule 3). Each is an option
 * of `createSiteState` / `createSiteStateMachine` unless marked as a protocol constant. All replicas
 * must be built with the same options: the resolved options are part of the state and its snapshot.
 */

/** The site's grid connection limit, W. docs/DESIGN.md: "a hard limit (say 44 kW)". Option `siteLimitW`. */
export const SITE_LIMIT_W_DEFAULT = 44_000;

/** Upper bound accepted by SetSiteLimit, W (a 10 MW site is a very large depot). Protocol constant. */
export const SITE_LIMIT_W_MAX = 10_000_000;

/**
 * How many charge points the site is built for. Option `chargePointsMax`. It is also the divisor of
 * the fail-safe power (docs/DESIGN.md: "site limit / number of charge points"): dividing by the configured
 * number rather than the number registered so far means a later registration never shrinks the
 * fail-safe share that a cut-off charge point is already using. A cluster file's `site.chargePointsMax`
 * sets it, and defaults to the number of charge points the file lists (config-section.ts); this
 * default is for a site built without a cluster file (tests), the default cluster's cp1 … cp5.
 */
export const CHARGE_POINTS_MAX_DEFAULT = 5;

/**
 * The largest `chargePointsMax`. Protocol constant: every charge point has a record in the state and
 * a share of the fail-safe power, so a site is bounded (docs/STYLE.md rule 3).
 */
export const CHARGE_POINTS_MAX_LIMIT = 1_000;

/**
 * Renewals one RenewLeases command carries, at most. Protocol constant: a central renews at most
 * the charge points it holds, and a site has at most CHARGE_POINTS_MAX_LIMIT of them.
 */
export const RENEWALS_PER_COMMAND_MAX = CHARGE_POINTS_MAX_LIMIT;

/**
 * The least fail-safe share a site may be built with, W: 6 A on one 230 V phase, the lowest current
 * IEC 61851-1 lets an AC EV charge at. A site whose siteLimitW / chargePointsMax is below it could
 * not charge a cut-off EV at all, so the cluster file is refused at start (siteSizeProblems).
 */
export const FAIL_SAFE_POWER_W_MIN = 1_380;

/** Connectors one charge point may declare. Protocol constant (OCPP allows more; a site does not). */
export const CONNECTORS_PER_CHARGE_POINT_MAX = 8;

/** Largest charge point or EV power accepted, W (a 400 kW high-power charger). Protocol constant. */
export const POWER_W_MAX = 400_000;

/** Concurrent charging sessions. Option `sessionsMax`. */
export const SESSIONS_MAX_DEFAULT = 40;

/** Reservations held at once. Option `reservationsMax`. */
export const RESERVATIONS_MAX_DEFAULT = 40;

/** How far ahead a reservation may expire, ms. Option `reservationDurationMsMax`. */
export const RESERVATION_DURATION_MS_MAX_DEFAULT = 24 * 60 * 60 * 1000;

/**
 * How long an allocation stays valid after the renewal that granted it, ms. Option `leaseMs`.
 * Charge points renew well within it (e.g. every leaseMs / 3).
 */
export const LEASE_MS_DEFAULT = 30_000;

/**
 * The largest difference between the clock of a charge point and the clock of the proposer that
 * stamps `atMs`, ms. Option `clockSkewMsMax`. The lease rules widen every boundary by it.
 */
export const CLOCK_SKEW_MS_MAX_DEFAULT = 1_000;

/**
 * Periods in the one `chargingSchedule` of a TxProfile. Option `schedulePeriodsMax` (1 … 3).
 * OCPP 2.0.1 K15.FR.07: periods ≤ maxScheduleTuples and ≤ SmartChargingCtrlr.PeriodsPerSchedule;
 * we need at most three: the allocation, the hold-down after the lease, the fail-safe power.
 */
export const SCHEDULE_PERIODS_MAX = 3;

/** Largest energy an EV may request, Wh (a 200 kWh battery). Protocol constant. */
export const ENERGY_REQUESTED_WH_MAX = 200_000;

/** How far ahead an EV's departure may be, ms. Protocol constant. */
export const DEPARTURE_HORIZON_MS_MAX = 7 * 24 * 60 * 60 * 1000;

/** Identifier length. OCPP 2.0.1: transactionId and idToken are at most 36 characters. */
export const ID_LENGTH_MAX = 36;

/**
 * The shortest time to departure the scheduler divides by, ms. Urgency is energy / time left; an EV
 * past its departure would otherwise get an infinite weight.
 */
export const URGENCY_HORIZON_MS_MIN = 60_000;

/** Limits and defaults of the central system, each with its reason. */

/** BootNotificationResponse.interval, s: docs/SITE.md ("Heartbeat every 5 s"). */
export const HEARTBEAT_INTERVAL_S = 5;

/** What a charge point registers as (docs/SITE.md): one connector, 22 kW. */
export const CONNECTOR_COUNT_DEFAULT = 1;
export const CHARGE_POINT_MAX_POWER_W_DEFAULT = 22_000;

/**
 * A central submits one RenewLeases at most once per leaseMs / RENEWALS_PER_LEASE, for every
 * station that asked meanwhile (docs/SITE.md, "Leases": leaseMs / 3; lease-renewals.ts says why 3).
 */
export const RENEWALS_PER_LEASE = 3;

/** After a RenewLeases that was not agreed (no leader, overloaded), the pause before the next, ms. */
export const LEASE_RENEWAL_RETRY_MS = 1_000;

/** OCPP 2.0.1 K15.FR.08: SetChargingProfile SHOULD follow NotifyEVChargingNeeds within 60 s. */
export const PROFILE_DEADLINE_MS = 60_000;

/** When NotifyEVChargingNeeds has no departureTime, the session is planned as if the EV left this much later. */
export const DEPARTURE_MS_DEFAULT = 12 * 60 * 60 * 1000;

/** TransactionEvent (transactionId, seqNo) pairs remembered to acknowledge duplicates without a submit. */
export const TRANSACTION_EVENTS_REMEMBERED_MAX = 10_000;

/** How long a SetChargingProfile / ReserveNow / CancelReservation waits for the station, ms. */
export const CSMS_CALL_TIMEOUT_MS = 10_000;

/**
 * The longest the ReserveNow notifier sleeps, ms. It wakes when the next agreed window opens (a
 * timer armed for it), when a Reserve is applied and when this central becomes leader, not every
 * second (docs/BENCHMARKS.md, "Issue 21: idle wake-ups, fifth session"); the bound only limits how
 * far a step of the wall clock (NTP) can move a window's start past the armed timer. A window opens
 * on the charge point's own replica anyway (it enforces it); this is the OCPP notice.
 */
export const RESERVE_NOW_WAIT_MS_MAX = 60_000;

/**
 * A standby's forward of a command to the leader (log-client.ts): one attempt's timeout, the pause
 * before the next (a leader change takes a few hundred ms), and the whole budget, after which the
 * station gets a CALLERROR and retries. The total stays under CSMS_CALL_TIMEOUT_MS-like budgets of
 * stations (ocpp-rpc's default call timeout is 30 s).
 */
export const FORWARD_ATTEMPT_MS = 5_000;
export const FORWARD_RETRY_MS = 100;
export const FORWARD_TOTAL_MS = 15_000;

/** How long a standby waits for its replica to apply a forwarded command's slot (read your writes). */
export const READ_OWN_WRITE_MS = 2_000;

/** A CSMS-initiated call relayed to the central that holds the station's connection (station-calls.ts). */
export const RELAY_CALL_MARGIN_MS = 2_000;

/**
 * A session's meter is recorded in the replicated state at most this often (the last reading is
 * always recorded with StopSession): readings are for the energy summary and `evpaxos verify`,
 * not for control, so one command per 10 s per session is plenty.
 */
export const METER_RECORD_INTERVAL_MS = 10_000;

/** Items of a NotifyEvent / NotifyReport logged per message (the rest are counted, not logged). */
export const REPORT_ITEMS_LOGGED_MAX = 20;

/**
 * After a station refuses a TxProfile, the next one waits this long, doubling per refusal up to
 * the maximum: its sessions are budgeted at its maximum power meanwhile (docs/OCPP.md).
 */
export const PROFILE_REFUSAL_BACKOFF_MS_INITIAL = 30_000;
export const PROFILE_REFUSAL_BACKOFF_MS_MAX = 600_000;

/**
 * How long RequestStart/StopTransaction through the HTTP API wait for the transaction the station
 * starts or ends to be agreed before answering 202 (accepted by the station, not yet agreed), ms.
 */
export const OPERATION_AGREEMENT_WAIT_MS = 20_000;

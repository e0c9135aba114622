/** Limits and defaults of the central system, each with its reason. */

/** BootNotificationResponse.interval, s: docs/SITE.md ("Heartbeat every 5 s"). */
export const HEARTBEAT_INTERVAL_S = 5;

/** What a charge point registers as (docs/SITE.md): one connector, 22 kW. */
export const CONNECTOR_COUNT_DEFAULT = 1;
export const CHARGE_POINT_MAX_POWER_W_DEFAULT = 22_000;

/** RenewLease at most once per leaseMs / RENEWALS_PER_LEASE per charge point (docs/SITE.md: leaseMs/3). */
export const RENEWALS_PER_LEASE = 3;

/** OCPP 2.0.1 K15.FR.08: SetChargingProfile SHOULD follow NotifyEVChargingNeeds within 60 s. */
export const PROFILE_DEADLINE_MS = 60_000;

/** When NotifyEVChargingNeeds has no departureTime, the session is planned as if the EV left this much later. */
export const DEPARTURE_MS_DEFAULT = 12 * 60 * 60 * 1000;

/** How often the central checks that a non-leader holds no OCPP connections (a backstop to the events). */
export const LEADERSHIP_CHECK_MS = 250;

/** TransactionEvent (transactionId, seqNo) pairs remembered to acknowledge duplicates without a submit. */
export const TRANSACTION_EVENTS_REMEMBERED_MAX = 10_000;

/** How long a SetChargingProfile / ReserveNow / CancelReservation waits for the station, ms. */
export const CSMS_CALL_TIMEOUT_MS = 10_000;

/**
 * How often the leader looks for reservation windows that opened, to send their ReserveNow, ms.
 * A window opens on the charge point's own replica anyway (it enforces it); this is the OCPP notice.
 */
export const RESERVE_NOW_CHECK_MS = 1_000;

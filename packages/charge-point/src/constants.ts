/** Every limit and timing of the charge point process, written down once (docs/STYLE.md rule 3). */

/** The only connector (docs/SITE.md: RegisterChargePoint{connectorCount: 1}); evseId = connectorId = 1. */
export const CONNECTOR_ID = 1;

/**
 * How long the EVSE waits for the agreed schedule after the EV's needs, ms. OCPP 2.0.1 K15.FR.08:
 * the CSMS SHOULD send SetChargingProfile within 60 s (the ISO 15118 charge parameter discovery
 * timeout); after it the station charges on its own limits. Option `negotiationTimeoutMs`.
 */
export const NEGOTIATION_TIMEOUT_MS_DEFAULT = 60_000;

/** Power is re-evaluated and sampled this often while an EV is connected, ms. Option `powerSampleIntervalMs`. */
export const POWER_SAMPLE_INTERVAL_MS_DEFAULT = 1_000;

/** At most one TransactionEvent(Updated, MeterValuePeriodic) per this interval, ms. Option `meterValueIntervalMs`. */
export const METER_VALUE_INTERVAL_MS_DEFAULT = 10_000;

/**
 * TransactionEvents the durable queue holds (OCPP 2.0.1 E04). Option `queueEntriesMax`. When full,
 * intermediate Updated events are dropped first (E04.FR.07/08); Started and Ended are never dropped.
 */
export const QUEUE_ENTRIES_MAX_DEFAULT = 1_000;

/** The queue file is rewritten once it holds this many records per live entry (bounds the file). */
export const QUEUE_COMPACT_RATIO = 4;

/** The queue's file name in the data dir (append-only JSON lines). */
export const QUEUE_FILE_NAME = 'ocpp-transaction-queue.jsonl';

/** Retry delay of the TransactionEvent sender after a failed send while still online, ms. */
export const QUEUE_RETRY_MS = 1_000;

/**
 * The least wait before a BootNotification is sent again after Rejected or Pending, ms. OCPP 2.0.1
 * B02.FR.02 / B03.FR.03: the station waits the `interval` the CSMS gave; an interval of 0 (or one
 * shorter than this) is taken as this, so a CSMS answering 0 is not flooded.
 */
export const BOOT_RETRY_MS_MIN = 1_000;

/** The longest wait between BootNotifications, ms: a CSMS asking for an hour still gets one a minute. */
export const BOOT_RETRY_MS_MAX = 60_000;

/** The wait before another BootNotification after the call itself failed (timeout, CALLERROR), ms. */
export const BOOT_RETRY_AFTER_ERROR_MS = 2_000;

/** The device model's OCPPCommCtrlr.OfflineThreshold default, s (how long offline counts as offline). */
export const OFFLINE_THRESHOLD_S_DEFAULT = 60;

/** The device model's ChargingStation.MaxPowerW: what the central registers a station at (docs/SITE.md). */
export const STATION_MAX_POWER_W = 22_000;

/**
 * Reset Immediate (B12): how long the station waits for the CSMS to receive the Ended event of the
 * transaction it just ended before it drops the link, ms. What is not delivered by then is sent
 * after the reboot (the queue is durable, E04).
 */
export const RESET_DRAIN_WAIT_MS = 5_000;

/**
 * Reset OnIdle (B12) waits for the running transaction to end at most this long, ms (a day); a
 * transaction still running then cancels the scheduled reset, logged as `reset-abandoned`.
 */
export const RESET_ON_IDLE_WAIT_MS_MAX = 86_400_000;

/** TxCtrlr.EVConnectionTimeOut default, s (E03: how long a remote start waits for an EV). */
export const EV_CONNECTION_TIMEOUT_S_DEFAULT = 60;

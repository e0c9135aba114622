/**
 * Every limit of the EV link, written down once (docs/STYLE.md rule 3). Each is an option of
 * `EvLinkServer` / `EvLinkClient` / `decodeFrame` unless marked as a protocol constant.
 */

/** Version carried in every frame (`v`); a frame of another version is refused. Protocol constant. */
export const EV_LINK_VERSION = 1;

/** The WebSocket path of the EVSE's EV link endpoint (docs/SITE.md: ws://host:servicePort/ev). */
export const EV_LINK_PATH = '/ev';

/**
 * Largest frame, bytes. Option `frameBytesMax`. The largest legitimate frame is a response with a
 * schedule of SCHEDULE_PERIODS_MAX periods: a few hundred bytes. 16 KiB leaves room and still keeps
 * an untrusted peer from making us buffer or decode megabytes (ws `maxPayload`).
 */
export const FRAME_BYTES_MAX_DEFAULT = 16 * 1024;

/** Identifier length (evId, idToken, sessionId). OCPP 2.0.1 idToken and transactionId: ≤ 36. */
export const ID_LENGTH_MAX = 36;

/** Error `reason` strings are cut to this length, so an error frame stays small. Protocol constant. */
export const REASON_LENGTH_MAX = 256;

/**
 * Periods in one schedule. ISO 15118-2 allows up to 1024 PMaxScheduleEntries; the site sends at most
 * 3 (OCPP 2.0.1 K15.FR.07, packages/site SCHEDULE_PERIODS_MAX); we accept up to 24. Protocol constant.
 */
export const SCHEDULE_PERIODS_MAX = 24;

/** Largest power in any field, W (a 400 kW high-power charger; packages/site POWER_W_MAX). */
export const POWER_W_MAX = 400_000;

/** Largest energy in any field, Wh (a 200 kWh battery; packages/site ENERGY_REQUESTED_WH_MAX). */
export const ENERGY_WH_MAX = 200_000;

/** Largest request id; ids wrap to 1 after it. Protocol constant (fits a uint32). */
export const REQUEST_ID_MAX = 0xffff_ffff;

/** Default time the client waits for a response, ms (real time, never scaled by a scenario). */
export const REQUEST_TIMEOUT_MS_DEFAULT = 10_000;

/**
 * How long the client waits for ChargeParameterDiscoveryRes by default, ms. The EVSE may hold the
 * answer until the CSMS's TxProfile arrives, which OCPP 2.0.1 K15.FR.08 bounds at 60 s (the ISO
 * 15118-2 charge parameter discovery timeout); 65 s leaves the EVSE time to answer after its own
 * 60 s budget ran out.
 */
export const CHARGE_PARAMETER_DISCOVERY_TIMEOUT_MS_DEFAULT = 65_000;

/** Requests one client may have waiting at once. Option `pendingRequestsMax`. */
export const PENDING_REQUESTS_MAX_DEFAULT = 16;

/** Connections (EV sessions) one server accepts at once. Option `connectionsMax`. */
export const CONNECTIONS_MAX_DEFAULT = 16;

/**
 * Bad frames a server tolerates on one connection before it closes it. Option `badFramesMax`.
 * One bad frame is answered with an error frame and the connection is kept (a buggy EV may recover);
 * a stream of them is a hostile or broken peer.
 */
export const BAD_FRAMES_MAX_DEFAULT = 8;

/** WebSocket close codes used (RFC 6455 §7.4.1). */
export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_MESSAGE_TOO_BIG = 1009;
export const CLOSE_TRY_AGAIN_LATER = 1013;

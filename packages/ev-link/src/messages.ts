/**
 * The EV ↔ EVSE message catalogue (docs/STYLE.md rule 5: one catalogue, a discriminated union, every
 * field documented). It emulates the ISO 15118-2 high-level messages (V2G application layer) that
 * matter to a charging site: the names are ISO 15118-2's, the content is reduced to what the site's
 * scheduler needs, in watts, watt-hours and ms since the Unix epoch.
 *
 * The EV (EVCC) is the client and sends requests; the EVSE (SECC) answers each with the matching
 * response carrying the same `requestId` (ISO 15118-2 §8.8: strictly request → response). One extra
 * message has no ISO 15118-2 frame of its own: `EvseNotification`, pushed by the EVSE without a
 * request. ISO 15118-2 carries the same information in the `EVSENotification` field of its
 * responses (ReNegotiation / StopCharging); we push it so an EV learns of fail-safe power at once
 * instead of at its next ChargingStatusReq — and ChargingStatusRes carries it too.
 *
 * On the wire every frame is one msgpackr-encoded map: `{ v: EV_LINK_VERSION, ...message }`.
 */

/**
 * How the EVSE limits the EV.
 * - `profile`: the site's agreed TxProfile applies (OCPP 2.0.1 K15; EV `charging_with_profile`).
 * - `fail-safe`: the charge point lost its lease (cut off from the leader or a quorum) or has no
 *   profile; it charges on its own fail-safe limit (K15.FR.15; EV `charging_without_profile`).
 */
export type PowerMode = 'profile' | 'fail-safe';
export const powerModes: readonly PowerMode[] = ['profile', 'fail-safe'];

/**
 * ISO 15118-2 ResponseCodeType, the subset used here.
 * - `OK`: done.
 * - `FAILED`: refused; `reason`-free (ISO gives none) — e.g. authorisation rejected.
 * - `FAILED_SequenceError`: the request is not allowed in the session's state (ISO 15118-2 V2G2-538).
 * - `FAILED_UnknownSession`: no session was set up on this connection.
 */
export type ResponseCode = 'OK' | 'FAILED' | 'FAILED_SequenceError' | 'FAILED_UnknownSession';
export const responseCodes: readonly ResponseCode[] = [
  'OK',
  'FAILED',
  'FAILED_SequenceError',
  'FAILED_UnknownSession',
];

/** One step of a schedule: ISO 15118-2 PMaxScheduleEntry / OCPP ChargingSchedulePeriod. */
export interface SchedulePeriod {
  /** Seconds from the schedule's `startAtMs` (ISO RelativeTimeInterval.start), ascending, first 0. */
  readonly startOffsetS: number;
  /** The most the EV may draw from then on, W (ISO PMax). */
  readonly limitW: number;
}

/**
 * The schedule the EVSE hands the EV: ISO 15118-2 SAScheduleTuple with one PMaxSchedule, built from
 * the OCPP TxProfile's chargingSchedule (startSchedule → startAtMs, periods → periods).
 */
export interface EvChargingSchedule {
  /** The TxProfile's ChargingProfile.id (ISO SAScheduleTupleID). */
  readonly scheduleId: number;
  /** When offset 0 is, ms since the epoch (OCPP startSchedule). */
  readonly startAtMs: number;
  /** 1 … SCHEDULE_PERIODS_MAX periods. */
  readonly periods: readonly SchedulePeriod[];
}

/** What the EVSE grants the EV now: shared by the three power-bearing responses and the notification. */
export interface PowerGrant {
  /** The most the EV may draw now, W (the charge point's own replica: powerLimitAt). */
  readonly limitW: number;
  readonly mode: PowerMode;
  /** The agreed schedule, present when `mode` is `profile` and one is known. */
  readonly schedule?: EvChargingSchedule;
}

// ---------------------------------------------------------------------------------------------
// EV → EVSE requests. `requestId` is chosen by the EV (1 … REQUEST_ID_MAX), unique among its
// outstanding requests; the EVSE echoes it in the response.

/** ISO 15118-2 SessionSetupReq (+ AuthorizationReq: the EVSE authorises the EV before answering). */
export interface SessionSetupReq {
  readonly type: 'SessionSetupReq';
  readonly requestId: number;
  /** The EV's identity (ISO EVCCID), 1 … ID_LENGTH_MAX characters; used in logs. */
  readonly evId: string;
  /**
   * The contract id the EVSE presents to the CSMS (OCPP IdToken of type eMAID, ISO 15118 Plug &
   * Charge), 1 … ID_LENGTH_MAX characters. Absent: the evId is used. A reservation is held for one.
   */
  readonly idToken?: string;
}

/** ISO 15118-2 ChargeParameterDiscoveryReq: the EV's needs (OCPP NotifyEVChargingNeeds, K15). */
export interface ChargeParameterDiscoveryReq {
  readonly type: 'ChargeParameterDiscoveryReq';
  readonly requestId: number;
  /** Energy still wanted, Wh, 0 … ENERGY_WH_MAX (ISO EAmount). */
  readonly energyRequestedWh: number;
  /** The least power the EV can charge at, W, 0 … maxPowerW. */
  readonly minPowerW: number;
  /** The most power the EV accepts, W, 1 … POWER_W_MAX (ISO EVMaximumPowerLimit). */
  readonly maxPowerW: number;
  /** When the driver leaves, ms since the epoch (ISO DepartureTime, made absolute). */
  readonly departureAtMs: number;
}

/** ISO 15118-2 PowerDeliveryReq: ChargeProgress Start (`start: true`) or Stop (`start: false`). */
export interface PowerDeliveryReq {
  readonly type: 'PowerDeliveryReq';
  readonly requestId: number;
  /** true: close the contactor and charge; false: stop charging, stay plugged in. */
  readonly start: boolean;
}

/** ISO 15118-2 ChargingStatusReq (AC): the EV's periodic report while charging. */
export interface ChargingStatusReq {
  readonly type: 'ChargingStatusReq';
  readonly requestId: number;
  /** Energy delivered in this session so far, Wh, 0 … ENERGY_WH_MAX (OCPP meter value). */
  readonly energyDeliveredWh: number;
  /** The battery's state of charge, %, 0 … 100 (OCPP measurand SoC). */
  readonly socPercent: number;
}

/** ISO 15118-2 SessionStopReq (ChargingSession Terminate): the EV leaves; the cable is pulled after. */
export interface SessionStopReq {
  readonly type: 'SessionStopReq';
  readonly requestId: number;
}

// ---------------------------------------------------------------------------------------------
// EVSE → EV responses, each with the `requestId` of the request it answers.

export interface SessionSetupRes {
  readonly type: 'SessionSetupRes';
  readonly requestId: number;
  /** OK: set up and authorised (OCPP Authorize Accepted, or offline authorisation). */
  readonly responseCode: ResponseCode;
  /** The session id the EVSE assigned: the OCPP transactionId ('' when refused). ISO SessionID. */
  readonly sessionId: string;
  /** The charge point the EV is plugged into (ISO EVSEID). */
  readonly chargePointId: string;
}

/** ISO ChargeParameterDiscoveryRes (SAScheduleList): sent once the TxProfile is known or timed out. */
export interface ChargeParameterDiscoveryRes extends PowerGrant {
  readonly type: 'ChargeParameterDiscoveryRes';
  readonly requestId: number;
  readonly responseCode: ResponseCode;
}

export interface PowerDeliveryRes extends PowerGrant {
  readonly type: 'PowerDeliveryRes';
  readonly requestId: number;
  readonly responseCode: ResponseCode;
}

export interface ChargingStatusRes extends PowerGrant {
  readonly type: 'ChargingStatusRes';
  readonly requestId: number;
  readonly responseCode: ResponseCode;
}

export interface SessionStopRes {
  readonly type: 'SessionStopRes';
  readonly requestId: number;
  readonly responseCode: ResponseCode;
}

/**
 * Pushed by the EVSE, no request: the grant changed (a new profile — OCPP K16 — or the lease was
 * lost or restored). ISO 15118-2 EVSENotification=ReNegotiation in spirit; the EV need not answer.
 */
export interface EvseNotification extends PowerGrant {
  readonly type: 'EvseNotification';
  /**
   * Why: `renegotiation` (new limit or profile), `lease-lost`, `lease-restored`, or `stop-charging`:
   * the EVSE failed or the station ended the transaction (an operator's RequestStopTransaction or
   * Reset; ISO 15118-2 EVSENotification=StopCharging), the grant is 0 W and the EV ends its session.
   */
  readonly reason: EvseNotificationReason;
}
export type EvseNotificationReason =
  'renegotiation' | 'lease-lost' | 'lease-restored' | 'stop-charging';
export const evseNotificationReasons: readonly EvseNotificationReason[] = [
  'renegotiation',
  'lease-lost',
  'lease-restored',
  'stop-charging',
];

/**
 * A frame could not be handled. Sent by the EVSE (the EV may send one too); `requestId` is the
 * offending request's when it could be read, else null.
 */
export interface ErrorMessage {
  readonly type: 'Error';
  readonly requestId: number | null;
  /** A stable code (see errors.ts). */
  readonly code: EvLinkErrorCode;
  /** One sentence for a person, ≤ REASON_LENGTH_MAX characters. */
  readonly reason: string;
}

export type EvRequest =
  | SessionSetupReq
  | ChargeParameterDiscoveryReq
  | PowerDeliveryReq
  | ChargingStatusReq
  | SessionStopReq;

export type EvseResponse =
  | SessionSetupRes
  | ChargeParameterDiscoveryRes
  | PowerDeliveryRes
  | ChargingStatusRes
  | SessionStopRes;

/** Every message of the catalogue. */
export type EvLinkMessage = EvRequest | EvseResponse | EvseNotification | ErrorMessage;
export type EvLinkMessageType = EvLinkMessage['type'];

/** The response type that answers each request type. */
export interface ResponseFor {
  SessionSetupReq: SessionSetupRes;
  ChargeParameterDiscoveryReq: ChargeParameterDiscoveryRes;
  PowerDeliveryReq: PowerDeliveryRes;
  ChargingStatusReq: ChargingStatusRes;
  SessionStopReq: SessionStopRes;
}
export const responseTypeOf: { readonly [K in EvRequest['type']]: ResponseFor[K]['type'] } = {
  SessionSetupReq: 'SessionSetupRes',
  ChargeParameterDiscoveryReq: 'ChargeParameterDiscoveryRes',
  PowerDeliveryReq: 'PowerDeliveryRes',
  ChargingStatusReq: 'ChargingStatusRes',
  SessionStopReq: 'SessionStopRes',
};

/** A request as the client's caller writes it: the client assigns `requestId`. */
export type RequestBody<R extends EvRequest = EvRequest> = R extends EvRequest
  ? Omit<R, 'requestId'>
  : never;

/** A response as the server's handler writes it: the server copies `requestId` from the request. */
export type ResponseBody<R extends EvseResponse = EvseResponse> = R extends EvseResponse
  ? Omit<R, 'requestId'>
  : never;

export const requestTypes: readonly EvRequest['type'][] = [
  'SessionSetupReq',
  'ChargeParameterDiscoveryReq',
  'PowerDeliveryReq',
  'ChargingStatusReq',
  'SessionStopReq',
];

export const messageTypes: readonly EvLinkMessageType[] = [
  ...requestTypes,
  'SessionSetupRes',
  'ChargeParameterDiscoveryRes',
  'PowerDeliveryRes',
  'ChargingStatusRes',
  'SessionStopRes',
  'EvseNotification',
  'Error',
];

export type EvLinkErrorCode =
  /** The frame is larger than frameBytesMax. */
  | 'frame-too-large'
  /** The bytes are not one MessagePack value, or the frame is text rather than binary. */
  | 'malformed-frame'
  /** The frame's `v` is not EV_LINK_VERSION. */
  | 'unsupported-version'
  /** The value is not a message of the catalogue (unknown type, missing or out-of-range field). */
  | 'invalid-message'
  /** A valid message the receiver does not accept here (a response sent to the EVSE, …). */
  | 'unexpected-message'
  /** The EVSE could not handle the request (its handler failed). */
  | 'internal-error'
  /** Client: no response within the timeout. */
  | 'timeout'
  /** Client: the connection is not open, or closed before the response. */
  | 'not-connected'
  /** Client: too many requests waiting (pendingRequestsMax). */
  | 'overloaded'
  /** Client: the EVSE answered the request with an Error frame (its code is in `remoteCode`). */
  | 'remote-error';

export const evLinkErrorCodes: readonly EvLinkErrorCode[] = [
  'frame-too-large',
  'malformed-frame',
  'unsupported-version',
  'invalid-message',
  'unexpected-message',
  'internal-error',
  'timeout',
  'not-connected',
  'overloaded',
  'remote-error',
];

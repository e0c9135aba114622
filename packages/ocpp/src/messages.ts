/**
 * The OCPP 2.0.1 messages this project speaks, with the official field names of the JSON schemas
 * bundled in ocpp-rpc (lib/schemas/ocpp2_0_1.json; docs/OCPP.md §5.2–§5.4). Only the fields we
 * use or may receive are typed; the schemas (strict mode) remain the authority on the wire. Every
 * action is listed once in `ChargingStationToCsms` or `CsmsToChargingStation`, which is what types
 * `call` and `handle` on both sides.
 */

import {
  operatorActions,
  stationReportActions,
  type OperatorOperations,
  type StationReports,
} from './messages-operations';

export * from './messages-operations';

/** ISO 8601 date-time in UTC, e.g. `2026-01-01T00:00:00.000Z`. */
export type DateTime = string;

export type IdTokenKind =
  | 'Central'
  | 'eMAID'
  | 'ISO14443'
  | 'ISO15693'
  | 'KeyCode'
  | 'Local'
  | 'MacAddress'
  | 'NoAuthorization';

/** IdTokenType: idToken ≤ 36 characters. */
export interface IdToken {
  readonly idToken: string;
  readonly type: IdTokenKind;
}

export type AuthorizationStatus =
  | 'Accepted'
  | 'Blocked'
  | 'ConcurrentTx'
  | 'Expired'
  | 'Invalid'
  | 'NoCredit'
  | 'NotAllowedTypeEVSE'
  | 'NotAtThisLocation'
  | 'NotAtThisTime'
  | 'Unknown';

export interface IdTokenInfo {
  readonly status: AuthorizationStatus;
  readonly cacheExpiryDateTime?: DateTime;
}

/** StatusInfoType: reasonCode ≤ 20, additionalInfo ≤ 512. */
export interface StatusInfo {
  readonly reasonCode: string;
  readonly additionalInfo?: string;
}

export interface EvseRef {
  readonly id: number;
  readonly connectorId?: number;
}

// --- B01 BootNotification ------------------------------------------------------------------------

export type BootReason =
  | 'ApplicationReset'
  | 'FirmwareUpdate'
  | 'LocalReset'
  | 'PowerUp'
  | 'RemoteReset'
  | 'ScheduledReset'
  | 'Triggered'
  | 'Unknown'
  | 'Watchdog';

export interface BootNotificationRequest {
  /** model ≤ 20, vendorName ≤ 50. */
  readonly chargingStation: {
    readonly model: string;
    readonly vendorName: string;
    readonly serialNumber?: string;
    readonly firmwareVersion?: string;
  };
  readonly reason: BootReason;
}

export type RegistrationStatus = 'Accepted' | 'Pending' | 'Rejected';

export interface BootNotificationResponse {
  readonly currentTime: DateTime;
  /** Heartbeat interval, seconds (B01.FR.04). */
  readonly interval: number;
  readonly status: RegistrationStatus;
  readonly statusInfo?: StatusInfo;
}

// --- G02 Heartbeat -------------------------------------------------------------------------------

export type HeartbeatRequest = Record<string, never>;

export interface HeartbeatResponse {
  readonly currentTime: DateTime;
}

// --- G01 StatusNotification ----------------------------------------------------------------------

export type ConnectorStatus = 'Available' | 'Occupied' | 'Reserved' | 'Unavailable' | 'Faulted';

export interface StatusNotificationRequest {
  readonly timestamp: DateTime;
  readonly connectorStatus: ConnectorStatus;
  readonly evseId: number;
  readonly connectorId: number;
}

/** The response is the empty object (ocpp-rpc issue #35). */
export type StatusNotificationResponse = Record<string, never>;

// --- C01 Authorize -------------------------------------------------------------------------------

export interface AuthorizeRequest {
  readonly idToken: IdToken;
}

export interface AuthorizeResponse {
  readonly idTokenInfo: IdTokenInfo;
}

// --- E TransactionEvent --------------------------------------------------------------------------

export type TransactionEventType = 'Started' | 'Updated' | 'Ended';

export type TriggerReason =
  | 'Authorized'
  | 'CablePluggedIn'
  | 'ChargingRateChanged'
  | 'ChargingStateChanged'
  | 'Deauthorized'
  | 'EnergyLimitReached'
  | 'EVCommunicationLost'
  | 'EVConnectTimeout'
  | 'MeterValueClock'
  | 'MeterValuePeriodic'
  | 'TimeLimitReached'
  | 'Trigger'
  | 'UnlockCommand'
  | 'StopAuthorized'
  | 'EVDeparted'
  | 'EVDetected'
  | 'RemoteStop'
  | 'RemoteStart'
  | 'AbnormalCondition'
  | 'SignedDataReceived'
  | 'ResetCommand';

export type ChargingState = 'Charging' | 'EVConnected' | 'SuspendedEV' | 'SuspendedEVSE' | 'Idle';

export type StoppedReason =
  | 'DeAuthorized'
  | 'EmergencyStop'
  | 'EnergyLimitReached'
  | 'EVDisconnected'
  | 'GroundFault'
  | 'ImmediateReset'
  | 'Local'
  | 'LocalOutOfCredit'
  | 'MasterPass'
  | 'Other'
  | 'OvercurrentFault'
  | 'PowerLoss'
  | 'PowerQuality'
  | 'Reboot'
  | 'Remote'
  | 'SOCLimitReached'
  | 'StoppedByEV'
  | 'TimeLimitReached'
  | 'Timeout';

export interface SampledValue {
  readonly value: number;
  readonly context?: string;
  readonly measurand?: string;
  readonly phase?: string;
  readonly location?: string;
  readonly unitOfMeasure?: { readonly unit?: string; readonly multiplier?: number };
}

export interface MeterValue {
  readonly timestamp: DateTime;
  readonly sampledValue: readonly SampledValue[];
}

export interface TransactionEventRequest {
  readonly eventType: TransactionEventType;
  readonly timestamp: DateTime;
  readonly triggerReason: TriggerReason;
  /** Per transaction, starting at 0, lets the CSMS detect gaps and duplicates (E04). */
  readonly seqNo: number;
  /** E04.FR.03: set on events queued while the station was offline. */
  readonly offline?: boolean;
  readonly transactionInfo: {
    /** ≤ 36 characters. */
    readonly transactionId: string;
    readonly chargingState?: ChargingState;
    readonly timeSpentCharging?: number;
    readonly stoppedReason?: StoppedReason;
    readonly remoteStartId?: number;
  };
  readonly evse?: EvseRef;
  readonly idToken?: IdToken;
  readonly meterValue?: readonly MeterValue[];
  readonly numberOfPhasesUsed?: number;
  readonly cableMaxCurrent?: number;
  /** H01.FR.15: the reservation this transaction consumes. */
  readonly reservationId?: number;
}

export interface TransactionEventResponse {
  readonly totalCost?: number;
  readonly chargingPriority?: number;
  readonly idTokenInfo?: IdTokenInfo;
}

// --- K15 NotifyEVChargingNeeds -------------------------------------------------------------------

export type EnergyTransferMode = 'DC' | 'AC_single_phase' | 'AC_two_phase' | 'AC_three_phase';

export interface AcChargingParameters {
  /** Wh. */
  readonly energyAmount: number;
  /** A. */
  readonly evMinCurrent: number;
  /** A. */
  readonly evMaxCurrent: number;
  /** V. */
  readonly evMaxVoltage: number;
}

export interface DcChargingParameters {
  readonly evMaxCurrent: number;
  readonly evMaxVoltage: number;
  /** Wh. */
  readonly energyAmount?: number;
  /** W. */
  readonly evMaxPower?: number;
  readonly stateOfCharge?: number;
  readonly evEnergyCapacity?: number;
  readonly fullSoC?: number;
  readonly bulkSoC?: number;
}

export interface NotifyEVChargingNeedsRequest {
  readonly evseId: number;
  readonly maxScheduleTuples?: number;
  readonly chargingNeeds: {
    readonly requestedEnergyTransfer: EnergyTransferMode;
    readonly departureTime?: DateTime;
    readonly acChargingParameters?: AcChargingParameters;
    readonly dcChargingParameters?: DcChargingParameters;
  };
}

export interface NotifyEVChargingNeedsResponse {
  readonly status: 'Accepted' | 'Rejected' | 'Processing';
  readonly statusInfo?: StatusInfo;
}

// --- K01 SetChargingProfile ----------------------------------------------------------------------

export type ChargingProfilePurpose =
  | 'ChargingStationExternalConstraints'
  | 'ChargingStationMaxProfile'
  | 'TxDefaultProfile'
  | 'TxProfile';

export interface ChargingSchedulePeriod {
  /** Seconds from startSchedule. */
  readonly startPeriod: number;
  /** In chargingRateUnit, at most one decimal. */
  readonly limit: number;
  readonly numberPhases?: number;
}

export interface ChargingSchedule {
  readonly id: number;
  /** Required for Absolute and Recurring profiles (K01.FR.40). */
  readonly startSchedule?: DateTime;
  readonly duration?: number;
  readonly chargingRateUnit: 'W' | 'A';
  /** 1 … 1024 periods. */
  readonly chargingSchedulePeriod: readonly ChargingSchedulePeriod[];
  readonly minChargingRate?: number;
}

export interface ChargingProfile {
  readonly id: number;
  readonly stackLevel: number;
  readonly chargingProfilePurpose: ChargingProfilePurpose;
  readonly chargingProfileKind: 'Absolute' | 'Recurring' | 'Relative';
  readonly recurrencyKind?: 'Daily' | 'Weekly';
  readonly validFrom?: DateTime;
  readonly validTo?: DateTime;
  /** Required for a TxProfile (K01.FR.03), ≤ 36. */
  readonly transactionId?: string;
  /** 1 … 3 schedules (K15.FR.07). */
  readonly chargingSchedule: readonly ChargingSchedule[];
}

export interface SetChargingProfileRequest {
  /** 0 = the whole station. */
  readonly evseId: number;
  readonly chargingProfile: ChargingProfile;
}

export interface SetChargingProfileResponse {
  readonly status: 'Accepted' | 'Rejected';
  readonly statusInfo?: StatusInfo;
}

// --- H01/H02/H04 Reservations ---------------------------------------------------------------------

export interface ReserveNowRequest {
  /** The reservation id; the same id replaces an existing reservation (H01.FR.02). */
  readonly id: number;
  readonly expiryDateTime: DateTime;
  readonly idToken: IdToken;
  readonly evseId?: number;
  readonly groupIdToken?: IdToken;
}

export interface ReserveNowResponse {
  readonly status: 'Accepted' | 'Faulted' | 'Occupied' | 'Rejected' | 'Unavailable';
  readonly statusInfo?: StatusInfo;
}

export interface CancelReservationRequest {
  readonly reservationId: number;
}

export interface CancelReservationResponse {
  /** H02.FR.01: Rejected when the id is unknown. */
  readonly status: 'Accepted' | 'Rejected';
  readonly statusInfo?: StatusInfo;
}

export interface ReservationStatusUpdateRequest {
  readonly reservationId: number;
  readonly reservationUpdateStatus: 'Expired' | 'Removed';
}

export type ReservationStatusUpdateResponse = Record<string, never>;

// --- Catalogues by direction ---------------------------------------------------------------------

// --- P01 DataTransfer ----------------------------------------------------------------------------
// Vendor-specific messages inside OCPP (evpaxos uses vendorId "org.evpaxos", messageId
// "RenewLease": the station states the lease expiry its own replica holds).

export const LEASE_VENDOR_ID = 'org.evpaxos';
export const LEASE_MESSAGE_ID = 'RenewLease';

export interface DataTransferRequest {
  vendorId: string;
  messageId?: string;
  data?: unknown;
}

export interface DataTransferResponse {
  status: 'Accepted' | 'Rejected' | 'UnknownMessageId' | 'UnknownVendorId';
  data?: unknown;
}

/** Calls a charging station makes to the CSMS: action → [request, response]. */
export interface ChargingStationToCsms extends StationReports {
  BootNotification: [BootNotificationRequest, BootNotificationResponse];
  DataTransfer: [DataTransferRequest, DataTransferResponse];
  Heartbeat: [HeartbeatRequest, HeartbeatResponse];
  StatusNotification: [StatusNotificationRequest, StatusNotificationResponse];
  Authorize: [AuthorizeRequest, AuthorizeResponse];
  TransactionEvent: [TransactionEventRequest, TransactionEventResponse];
  NotifyEVChargingNeeds: [NotifyEVChargingNeedsRequest, NotifyEVChargingNeedsResponse];
  ReservationStatusUpdate: [ReservationStatusUpdateRequest, ReservationStatusUpdateResponse];
}

/** Calls the CSMS makes to a charging station: action → [request, response]. */
export interface CsmsToChargingStation extends OperatorOperations {
  SetChargingProfile: [SetChargingProfileRequest, SetChargingProfileResponse];
  ReserveNow: [ReserveNowRequest, ReserveNowResponse];
  CancelReservation: [CancelReservationRequest, CancelReservationResponse];
}

export type StationAction = keyof ChargingStationToCsms;
export type CsmsAction = keyof CsmsToChargingStation;

export type RequestOf<
  Catalogue extends Record<string, [unknown, unknown]>,
  Action extends keyof Catalogue,
> = Catalogue[Action][0];
export type ResponseOf<
  Catalogue extends Record<string, [unknown, unknown]>,
  Action extends keyof Catalogue,
> = Catalogue[Action][1];

export const stationActions: readonly StationAction[] = [
  'BootNotification',
  'DataTransfer',
  'Heartbeat',
  'StatusNotification',
  'Authorize',
  'TransactionEvent',
  'NotifyEVChargingNeeds',
  'ReservationStatusUpdate',
  ...stationReportActions,
];

export const csmsActions: readonly CsmsAction[] = [
  'SetChargingProfile',
  'ReserveNow',
  'CancelReservation',
  ...operatorActions,
];

/**
 * The OCPP 2.0.1 messages beyond the charging core (messages.ts): what a station reports right
 * after boot and during a session (MeterValues, SecurityEventNotification, NotifyEvent, NotifyReport,
 * FirmwareStatusNotification, LogStatusNotification, ReportChargingProfiles), and the operations a
 * CSMS operator starts (RequestStart/StopTransaction, Reset, ChangeAvailability, UnlockConnector,
 * TriggerMessage, the device model's Get/SetVariables and GetBaseReport, and the smart-charging
 * queries). Field names and enums are the official JSON schemas' (docs/OCPP.md §5.2–§5.4); the
 * schemas, checked in strict mode, remain the authority on the wire.
 */
import type {
  ChargingProfile,
  ChargingProfilePurpose,
  ChargingSchedulePeriod,
  DateTime,
  EvseRef,
  IdToken,
  MeterValue,
  StatusInfo,
} from './messages';

// --- J01 MeterValues -----------------------------------------------------------------------------

export interface MeterValuesRequest {
  /** 0 = the main meter of the station. */
  readonly evseId: number;
  readonly meterValue: readonly MeterValue[];
}

export type MeterValuesResponse = Record<string, never>;

// --- A04 SecurityEventNotification ---------------------------------------------------------------

export interface SecurityEventNotificationRequest {
  /** One of the security events of Part 2 Appendices (e.g. "StartupOfTheDevice"), ≤ 50. */
  readonly type: string;
  readonly timestamp: DateTime;
  readonly techInfo?: string;
}

export type SecurityEventNotificationResponse = Record<string, never>;

// --- B06/N07 device model: components and variables -----------------------------------------------

export interface ComponentRef {
  readonly name: string;
  readonly instance?: string;
  readonly evse?: EvseRef;
}

export interface VariableRef {
  readonly name: string;
  readonly instance?: string;
}

export type AttributeKind = 'Actual' | 'Target' | 'MinSet' | 'MaxSet';
export type Mutability = 'ReadOnly' | 'WriteOnly' | 'ReadWrite';
export type DeviceModelDataType =
  | 'string'
  | 'decimal'
  | 'integer'
  | 'dateTime'
  | 'boolean'
  | 'OptionList'
  | 'SequenceList'
  | 'MemberList';

export interface EventData {
  readonly eventId: number;
  readonly timestamp: DateTime;
  readonly trigger: 'Alerting' | 'Delta' | 'Periodic';
  readonly cause?: number;
  readonly actualValue: string;
  readonly techCode?: string;
  readonly techInfo?: string;
  readonly cleared?: boolean;
  readonly transactionId?: string;
  readonly component: ComponentRef;
  readonly variableMonitoringId?: number;
  readonly eventNotificationType:
    'HardWiredNotification' | 'HardWiredMonitor' | 'PreconfiguredMonitor' | 'CustomMonitor';
  readonly variable: VariableRef;
}

/** N07 NotifyEvent. */
export interface NotifyEventRequest {
  readonly generatedAt: DateTime;
  readonly tbc?: boolean;
  readonly seqNo: number;
  readonly eventData: readonly EventData[];
}

export type NotifyEventResponse = Record<string, never>;

export interface VariableAttribute {
  readonly type?: AttributeKind;
  readonly value?: string;
  readonly mutability?: Mutability;
  readonly persistent?: boolean;
  readonly constant?: boolean;
}

export interface VariableCharacteristics {
  readonly unit?: string;
  readonly dataType: DeviceModelDataType;
  readonly minLimit?: number;
  readonly maxLimit?: number;
  readonly valuesList?: string;
  readonly supportsMonitoring: boolean;
}

export interface ReportData {
  readonly component: ComponentRef;
  readonly variable: VariableRef;
  /** 1 … 4 attributes. */
  readonly variableAttribute: readonly VariableAttribute[];
  readonly variableCharacteristics?: VariableCharacteristics;
}

/** B07 NotifyReport: the station's answer to GetBaseReport, in parts (tbc) numbered by seqNo. */
export interface NotifyReportRequest {
  readonly requestId: number;
  readonly generatedAt: DateTime;
  readonly reportData?: readonly ReportData[];
  readonly tbc?: boolean;
  readonly seqNo: number;
}

export type NotifyReportResponse = Record<string, never>;

// --- L01 / N01 status notifications ----------------------------------------------------------------

export type FirmwareStatus =
  | 'Downloaded'
  | 'DownloadFailed'
  | 'Downloading'
  | 'DownloadScheduled'
  | 'DownloadPaused'
  | 'Idle'
  | 'InstallationFailed'
  | 'Installing'
  | 'Installed'
  | 'InstallRebooting'
  | 'InstallScheduled'
  | 'InstallVerificationFailed'
  | 'InvalidSignature'
  | 'SignatureVerified';

export interface FirmwareStatusNotificationRequest {
  readonly status: FirmwareStatus;
  readonly requestId?: number;
}

export type FirmwareStatusNotificationResponse = Record<string, never>;

export type UploadLogStatus =
  | 'BadMessage'
  | 'Idle'
  | 'NotSupportedOperation'
  | 'PermissionDenied'
  | 'Uploaded'
  | 'UploadFailure'
  | 'Uploading'
  | 'AcceptedCanceled';

export interface LogStatusNotificationRequest {
  readonly status: UploadLogStatus;
  readonly requestId?: number;
}

export type LogStatusNotificationResponse = Record<string, never>;

// --- K09 ReportChargingProfiles (the answer to GetChargingProfiles) ------------------------------

export interface ReportChargingProfilesRequest {
  readonly requestId: number;
  readonly chargingLimitSource: 'EMS' | 'Other' | 'SO' | 'CSO';
  readonly chargingProfile: readonly ChargingProfile[];
  readonly tbc?: boolean;
  readonly evseId: number;
}

export type ReportChargingProfilesResponse = Record<string, never>;

// --- F01/F02 RequestStartTransaction / RequestStopTransaction ------------------------------------

export interface RequestStartTransactionRequest {
  readonly evseId?: number;
  readonly idToken: IdToken;
  readonly remoteStartId: number;
  readonly groupIdToken?: IdToken;
  readonly chargingProfile?: ChargingProfile;
}

export interface RequestStartTransactionResponse {
  readonly status: 'Accepted' | 'Rejected';
  readonly statusInfo?: StatusInfo;
  /** F01.FR.24: the transaction already running on the EVSE, when there is one. */
  readonly transactionId?: string;
}

export interface RequestStopTransactionRequest {
  readonly transactionId: string;
}

export interface RequestStopTransactionResponse {
  readonly status: 'Accepted' | 'Rejected';
  readonly statusInfo?: StatusInfo;
}

// --- B11/B12 Reset, G03 ChangeAvailability, F05 UnlockConnector, F06 TriggerMessage --------------

export interface ResetRequest {
  readonly type: 'Immediate' | 'OnIdle';
  readonly evseId?: number;
}

export interface ResetResponse {
  readonly status: 'Accepted' | 'Rejected' | 'Scheduled';
  readonly statusInfo?: StatusInfo;
}

export type OperationalStatus = 'Inoperative' | 'Operative';

export interface ChangeAvailabilityRequest {
  /** Absent: the whole station. */
  readonly evse?: EvseRef;
  readonly operationalStatus: OperationalStatus;
}

export interface ChangeAvailabilityResponse {
  readonly status: 'Accepted' | 'Rejected' | 'Scheduled';
  readonly statusInfo?: StatusInfo;
}

export interface UnlockConnectorRequest {
  readonly evseId: number;
  readonly connectorId: number;
}

export interface UnlockConnectorResponse {
  readonly status:
    'Unlocked' | 'UnlockFailed' | 'OngoingAuthorizedTransaction' | 'UnknownConnector';
  readonly statusInfo?: StatusInfo;
}

export type MessageTrigger =
  | 'BootNotification'
  | 'LogStatusNotification'
  | 'FirmwareStatusNotification'
  | 'Heartbeat'
  | 'MeterValues'
  | 'SignChargingStationCertificate'
  | 'SignV2GCertificate'
  | 'StatusNotification'
  | 'TransactionEvent'
  | 'SignCombinedCertificate'
  | 'PublishFirmwareStatusNotification';

export interface TriggerMessageRequest {
  readonly evse?: EvseRef;
  readonly requestedMessage: MessageTrigger;
}

export interface TriggerMessageResponse {
  readonly status: 'Accepted' | 'Rejected' | 'NotImplemented';
  readonly statusInfo?: StatusInfo;
}

// --- B06 GetVariables, B05 SetVariables, B07 GetBaseReport ---------------------------------------

export interface GetVariableData {
  readonly attributeType?: AttributeKind;
  readonly component: ComponentRef;
  readonly variable: VariableRef;
}

export interface GetVariablesRequest {
  readonly getVariableData: readonly GetVariableData[];
}

export type GetVariableStatus =
  'Accepted' | 'Rejected' | 'UnknownComponent' | 'UnknownVariable' | 'NotSupportedAttributeType';

export interface GetVariableResult {
  readonly attributeStatus: GetVariableStatus;
  readonly attributeStatusInfo?: StatusInfo;
  readonly attributeType?: AttributeKind;
  readonly attributeValue?: string;
  readonly component: ComponentRef;
  readonly variable: VariableRef;
}

export interface GetVariablesResponse {
  readonly getVariableResult: readonly GetVariableResult[];
}

export interface SetVariableData {
  readonly attributeType?: AttributeKind;
  readonly attributeValue: string;
  readonly component: ComponentRef;
  readonly variable: VariableRef;
}

export interface SetVariablesRequest {
  readonly setVariableData: readonly SetVariableData[];
}

export type SetVariableStatus =
  | 'Accepted'
  | 'Rejected'
  | 'UnknownComponent'
  | 'UnknownVariable'
  | 'NotSupportedAttributeType'
  | 'RebootRequired';

export interface SetVariableResult {
  readonly attributeType?: AttributeKind;
  readonly attributeStatus: SetVariableStatus;
  readonly attributeStatusInfo?: StatusInfo;
  readonly component: ComponentRef;
  readonly variable: VariableRef;
}

export interface SetVariablesResponse {
  readonly setVariableResult: readonly SetVariableResult[];
}

export type ReportBase = 'ConfigurationInventory' | 'FullInventory' | 'SummaryInventory';

export interface GetBaseReportRequest {
  readonly requestId: number;
  readonly reportBase: ReportBase;
}

export interface GetBaseReportResponse {
  readonly status: 'Accepted' | 'Rejected' | 'NotSupported' | 'EmptyResultSet';
  readonly statusInfo?: StatusInfo;
}

// --- K08 GetCompositeSchedule, K10 ClearChargingProfile, K09 GetChargingProfiles ------------------

export interface GetCompositeScheduleRequest {
  /** Seconds from now. */
  readonly duration: number;
  readonly chargingRateUnit?: 'W' | 'A';
  readonly evseId: number;
}

export interface CompositeSchedule {
  readonly chargingSchedulePeriod: readonly ChargingSchedulePeriod[];
  readonly evseId: number;
  readonly duration: number;
  readonly scheduleStart: DateTime;
  readonly chargingRateUnit: 'W' | 'A';
}

export interface GetCompositeScheduleResponse {
  readonly status: 'Accepted' | 'Rejected';
  readonly statusInfo?: StatusInfo;
  readonly schedule?: CompositeSchedule;
}

export interface ClearChargingProfileRequest {
  readonly chargingProfileId?: number;
  readonly chargingProfileCriteria?: {
    readonly evseId?: number;
    readonly chargingProfilePurpose?: ChargingProfilePurpose;
    readonly stackLevel?: number;
  };
}

export interface ClearChargingProfileResponse {
  readonly status: 'Accepted' | 'Unknown';
  readonly statusInfo?: StatusInfo;
}

export interface GetChargingProfilesRequest {
  readonly requestId: number;
  readonly evseId?: number;
  readonly chargingProfile: {
    readonly chargingProfilePurpose?: ChargingProfilePurpose;
    readonly stackLevel?: number;
    readonly chargingProfileId?: readonly number[];
    readonly chargingLimitSource?: readonly ('EMS' | 'Other' | 'SO' | 'CSO')[];
  };
}

export interface GetChargingProfilesResponse {
  readonly status: 'Accepted' | 'NoProfiles';
  readonly statusInfo?: StatusInfo;
}

// --- The catalogues' share (merged into messages.ts) ---------------------------------------------

export interface StationReports {
  MeterValues: [MeterValuesRequest, MeterValuesResponse];
  SecurityEventNotification: [SecurityEventNotificationRequest, SecurityEventNotificationResponse];
  NotifyEvent: [NotifyEventRequest, NotifyEventResponse];
  NotifyReport: [NotifyReportRequest, NotifyReportResponse];
  FirmwareStatusNotification: [
    FirmwareStatusNotificationRequest,
    FirmwareStatusNotificationResponse,
  ];
  LogStatusNotification: [LogStatusNotificationRequest, LogStatusNotificationResponse];
  ReportChargingProfiles: [ReportChargingProfilesRequest, ReportChargingProfilesResponse];
}

export interface OperatorOperations {
  RequestStartTransaction: [RequestStartTransactionRequest, RequestStartTransactionResponse];
  RequestStopTransaction: [RequestStopTransactionRequest, RequestStopTransactionResponse];
  Reset: [ResetRequest, ResetResponse];
  ChangeAvailability: [ChangeAvailabilityRequest, ChangeAvailabilityResponse];
  UnlockConnector: [UnlockConnectorRequest, UnlockConnectorResponse];
  TriggerMessage: [TriggerMessageRequest, TriggerMessageResponse];
  GetVariables: [GetVariablesRequest, GetVariablesResponse];
  SetVariables: [SetVariablesRequest, SetVariablesResponse];
  GetBaseReport: [GetBaseReportRequest, GetBaseReportResponse];
  GetCompositeSchedule: [GetCompositeScheduleRequest, GetCompositeScheduleResponse];
  ClearChargingProfile: [ClearChargingProfileRequest, ClearChargingProfileResponse];
  GetChargingProfiles: [GetChargingProfilesRequest, GetChargingProfilesResponse];
}

export const stationReportActions: readonly (keyof StationReports)[] = [
  'MeterValues',
  'SecurityEventNotification',
  'NotifyEvent',
  'NotifyReport',
  'FirmwareStatusNotification',
  'LogStatusNotification',
  'ReportChargingProfiles',
];

export const operatorActions: readonly (keyof OperatorOperations)[] = [
  'RequestStartTransaction',
  'RequestStopTransaction',
  'Reset',
  'ChangeAvailability',
  'UnlockConnector',
  'TriggerMessage',
  'GetVariables',
  'SetVariables',
  'GetBaseReport',
  'GetCompositeSchedule',
  'ClearChargingProfile',
  'GetChargingProfiles',
];

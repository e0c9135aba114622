/**
 * What the EVSE controller needs from its OCPP 2.0.1 link to the CSMS (the central system's
 * leader), as a small interface so the controller is tested with a fake and the real link
 * (@evpaxos/ocpp's ChargingStationClient, adapted in ocpp-adapter.ts) can change underneath.
 * Field names are OCPP 2.0.1's (reference/ocpp.md §5.2–5.4).
 */

export type IdTokenType =
  | 'Central'
  | 'eMAID'
  | 'ISO14443'
  | 'ISO15693'
  | 'KeyCode'
  | 'Local'
  | 'MacAddress'
  | 'NoAuthorization';

export interface IdToken {
  readonly idToken: string;
  readonly type: IdTokenType;
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

export interface SampledValue {
  readonly value: number;
  readonly measurand?: 'Energy.Active.Import.Register' | 'Power.Active.Import' | 'SoC';
  readonly unitOfMeasure?: { readonly unit: string };
}

export interface MeterValue {
  readonly timestamp: string;
  readonly sampledValue: readonly SampledValue[];
}

/** TransactionEventRequest (OCPP 2.0.1 E01–E04). */
export interface TransactionEventRequest {
  readonly eventType: 'Started' | 'Updated' | 'Ended';
  /** ISO 8601. */
  readonly timestamp: string;
  readonly triggerReason: TriggerReason;
  /** Per transaction, from 0, increasing (E04: lets the CSMS detect gaps). */
  readonly seqNo: number;
  /** E04.FR.03: true when the event happened while the station was offline. */
  readonly offline?: boolean;
  readonly transactionInfo: {
    readonly transactionId: string;
    readonly chargingState?: ChargingState;
    readonly stoppedReason?: string;
  };
  readonly evse?: { readonly id: number; readonly connectorId?: number };
  readonly idToken?: IdToken;
  readonly meterValue?: readonly MeterValue[];
  readonly reservationId?: number;
}

export type ConnectorStatus = 'Available' | 'Occupied' | 'Reserved' | 'Unavailable' | 'Faulted';

/** NotifyEVChargingNeedsRequest, AC (K15). Powers are sent as currents by the adapter if needed. */
export interface EvChargingNeeds {
  readonly evseId: number;
  /** Wh. */
  readonly energyAmountWh: number;
  readonly minPowerW: number;
  readonly maxPowerW: number;
  readonly departureAtMs: number;
}

export type NotifyEvChargingNeedsStatus = 'Accepted' | 'Rejected' | 'Processing';

/** SetChargingProfileRequest as received (K15 step 4). Only what the EVSE reads. */
export interface SetChargingProfileRequest {
  readonly evseId: number;
  readonly chargingProfile: {
    readonly id: number;
    readonly chargingProfilePurpose: string;
    readonly transactionId?: string;
    readonly chargingSchedule: readonly {
      readonly id: number;
      readonly startSchedule?: string;
      readonly chargingRateUnit: 'W' | 'A';
      readonly chargingSchedulePeriod: readonly {
        readonly startPeriod: number;
        readonly limit: number;
      }[];
    }[];
  };
}

/** ReserveNowRequest (H01). */
export interface ReserveNowRequest {
  readonly id: number;
  readonly expiryDateTime: string;
  readonly idToken: IdToken;
  readonly evseId?: number;
}

export type ReserveNowStatus = 'Accepted' | 'Faulted' | 'Occupied' | 'Rejected' | 'Unavailable';

/** Handlers for the CSMS → charging station calls the EVSE answers. */
export interface CsmsCallHandlers {
  setChargingProfile(request: SetChargingProfileRequest): 'Accepted' | 'Rejected';
  reserveNow(request: ReserveNowRequest): ReserveNowStatus;
  cancelReservation(reservationId: number): 'Accepted' | 'Rejected';
}

/**
 * The charging station's OCPP link. Calls reject when offline or on a CALLERROR/timeout; the
 * controller treats any rejection as "offline for this call" (queue or fall back).
 */
export interface CsmsLink {
  /** True while a BootNotification-accepted connection to the CSMS is open. */
  readonly online: boolean;
  /** Listens for online/offline changes. Returns an unsubscribe. */
  onOnlineChange(listener: (online: boolean) => void): () => void;
  /** Installs the handlers for CSMS-initiated calls (once, before start). */
  setHandlers(handlers: CsmsCallHandlers): void;
  authorize(idToken: IdToken): Promise<AuthorizationStatus>;
  statusNotification(connectorStatus: ConnectorStatus): Promise<void>;
  transactionEvent(request: TransactionEventRequest): Promise<void>;
  notifyEvChargingNeeds(needs: EvChargingNeeds): Promise<NotifyEvChargingNeedsStatus>;
  /**
   * Asks the CSMS to renew this station's lease, naming the expiry its own replica holds: a
   * renewal proves what the station can be drawing (lease.ts), so it must come from here, not from
   * the leader's view. Optional: a link without a CSMS renews nothing.
   */
  renewLease?(heldLeaseExpiresAtMs: number | null): Promise<void>;
  close(): Promise<void>;
}

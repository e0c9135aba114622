/**
 * What the EVSE controller needs from its OCPP 2.0.1 link to the CSMS (the central system's
 * leader), as a small interface so the controller is tested with a fake and the real link
 * (@evpaxos/ocpp's ChargingStationClient, adapted in ocpp-adapter.ts) can change underneath.
 * Field names are OCPP 2.0.1's (docs/OCPP.md §5.2–5.4).
 */
// The OCPP 2.0.1 shapes the controller speaks are the ocpp package's: one catalogue per protocol.
import type {
  IdToken,
  AuthorizationStatus,
  TriggerReason,
  ChargingState,
  SampledValue,
  MeterValue,
  TransactionEventRequest,
  ConnectorStatus,
  SetChargingProfileRequest,
  ReserveNowRequest,
} from '@evpaxos/ocpp';
export type {
  IdToken,
  AuthorizationStatus,
  TriggerReason,
  ChargingState,
  SampledValue,
  MeterValue,
  TransactionEventRequest,
  ConnectorStatus,
  SetChargingProfileRequest,
  ReserveNowRequest,
};

import type { RemoteStart, RemoteStartAnswer } from './remote-control';
export type { RemoteStart, RemoteStartAnswer };

export type IdTokenType =
  | 'Central'
  | 'eMAID'
  | 'ISO14443'
  | 'ISO15693'
  | 'KeyCode'
  | 'Local'
  | 'MacAddress'
  | 'NoAuthorization';

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

export type ReserveNowStatus = 'Accepted' | 'Faulted' | 'Occupied' | 'Rejected' | 'Unavailable';

/** Handlers for the CSMS → charging station calls the EVSE answers. */
export interface CsmsCallHandlers {
  setChargingProfile(request: SetChargingProfileRequest): 'Accepted' | 'Rejected';
  reserveNow(request: ReserveNowRequest): ReserveNowStatus;
  cancelReservation(reservationId: number): 'Accepted' | 'Rejected';
  /** What the operator operations read of the EVSE (station-operations.ts); absent: idle. */
  view?(): { readonly transactionId: string | null; readonly limitW: number | null };
  /** F01/F02 RequestStartTransaction on the connector (remote-control.ts). */
  requestStartTransaction(request: RemoteStart): RemoteStartAnswer;
  /** F03 RequestStopTransaction: false when the transaction does not run here. */
  requestStopTransaction(transactionId: string): boolean;
  /**
   * B12 Reset Immediate: ends the running transaction (stoppedReason ImmediateReset) and resolves
   * once the CSMS has every queued TransactionEvent, or after a bounded wait.
   */
  endTransactionForReset(): Promise<void>;
  /** B12 Reset OnIdle: resolves true once no transaction runs, false after a bounded wait. */
  whenIdle(): Promise<boolean>;
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
  /**
   * Sends a TransactionEvent; resolves with the response's idTokenInfo.status when it has one
   * (the CSMS's verdict on the transaction's idToken, E05), else null.
   */
  transactionEvent(request: TransactionEventRequest): Promise<AuthorizationStatus | null>;
  /**
   * False while the operator holds the EVSE Inoperative (ChangeAvailability, G03): no new session
   * starts on it. Absent: always operative.
   */
  readonly operative?: boolean;
  notifyEvChargingNeeds(needs: EvChargingNeeds): Promise<NotifyEvChargingNeedsStatus>;
  /**
   * The needs as the site records them once they crossed this link (OCPP carries whole amperes):
   * what "the replica holds the EV's needs" compares with. Absent: the site records them unchanged.
   */
  needsAsRecorded?(needs: EvChargingNeeds): EvChargingNeeds;
  /**
   * Asks the CSMS to renew this station's lease, naming the expiry its own replica holds: a
   * renewal proves what the station can be drawing (lease.ts), so it must come from here, not from
   * the leader's view. Optional: a link without a CSMS renews nothing.
   */
  renewLease?(heldLeaseExpiresAtMs: number | null): Promise<void>;
  close(): Promise<void>;
}

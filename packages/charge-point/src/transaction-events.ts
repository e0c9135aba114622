/**
 * The TransactionEvents the station reports (OCPP 2.0.1 E01–E07, docs/OCPP.md §5.4), built in one
 * place from what the EV told the EVSE. Pure: the clock is passed in. The queue adds seqNo and
 * offline (transaction-queue.ts).
 */
import { isoFromMs } from '@evpaxos/site';
import { CONNECTOR_ID } from './constants';
import type { IdToken, MeterValue, TransactionEventRequest } from './csms-link';
import type { NewTransactionEvent } from './transaction-queue';

/** The meter as the EV last reported it (ChargingStatusReq). */
export interface MeterReading {
  readonly energyDeliveredWh: number;
  readonly socPercent: number | null;
}

const EVSE_REF = { id: CONNECTOR_ID, connectorId: CONNECTOR_ID } as const;

/** The Energy.Active.Import.Register sample, and the SoC when the EV reported one. */
export function meterValueOf(reading: MeterReading, nowMs: number): MeterValue {
  return {
    timestamp: isoFromMs(nowMs),
    sampledValue: [
      {
        value: reading.energyDeliveredWh,
        measurand: 'Energy.Active.Import.Register',
        unitOfMeasure: { unit: 'Wh' },
      },
      ...(reading.socPercent !== null
        ? [{ value: reading.socPercent, measurand: 'SoC', unitOfMeasure: { unit: 'Percent' } }]
        : []),
    ],
  };
}

/**
 * Started at TxStartPoint = Authorized (E01/E03): it carries the idToken the CSMS needs for
 * StartSession, and the reservation the transaction consumes (H01.FR.15).
 */
export function startedEvent(
  transactionId: string,
  idToken: IdToken,
  reservationId: number | null,
  nowMs: number,
): NewTransactionEvent {
  return {
    eventType: 'Started',
    timestamp: isoFromMs(nowMs),
    triggerReason: 'Authorized',
    transactionInfo: { transactionId, chargingState: 'EVConnected' },
    evse: EVSE_REF,
    idToken,
    ...(reservationId !== null ? { reservationId } : {}),
  };
}

/** Updated: the contactor changed (ChargingStateChanged) or a periodic meter value. */
export function updatedEvent(
  transactionId: string,
  triggerReason: TransactionEventRequest['triggerReason'],
  chargingState: 'Charging' | 'EVConnected',
  reading: MeterReading,
  nowMs: number,
): NewTransactionEvent {
  return {
    eventType: 'Updated',
    timestamp: isoFromMs(nowMs),
    triggerReason,
    transactionInfo: { transactionId, chargingState },
    evse: EVSE_REF,
    meterValue: [meterValueOf(reading, nowMs)],
  };
}

/** Why the station itself ended a transaction the EV did not end. */
export type StationStopCause =
  'remote-stop' | 'immediate-reset' | 'ev-connect-timeout' | 'deauthorized';

/** Why a transaction ended: the EV unplugged or stopped (SessionStopReq), or the station ended it. */
export type EndCause = 'ev-stop' | 'unplug' | StationStopCause;

const ENDINGS: Record<
  EndCause,
  {
    triggerReason: TransactionEventRequest['triggerReason'];
    stoppedReason: NonNullable<TransactionEventRequest['transactionInfo']['stoppedReason']>;
  }
> = {
  unplug: { triggerReason: 'EVDeparted', stoppedReason: 'EVDisconnected' },
  'ev-stop': { triggerReason: 'ChargingStateChanged', stoppedReason: 'StoppedByEV' },
  // F03: RequestStopTransaction.
  'remote-stop': { triggerReason: 'RemoteStop', stoppedReason: 'Remote' },
  // B12: Reset Immediate ends the transactions first.
  'immediate-reset': { triggerReason: 'ResetCommand', stoppedReason: 'ImmediateReset' },
  // E03/F02: no EV within TxCtrlr.EVConnectionTimeOut after a remote start.
  'ev-connect-timeout': { triggerReason: 'EVConnectTimeout', stoppedReason: 'Timeout' },
  // E05: the CSMS did not accept the idToken in its TransactionEventResponse (StopTxOnInvalidId).
  deauthorized: { triggerReason: 'Deauthorized', stoppedReason: 'DeAuthorized' },
};

/**
 * Ended, with the meter as last reported: by the EV (unplugged: EVDeparted; SessionStopReq:
 * StoppedByEV) or by the station (operator stop, reset, no EV in time).
 */
export function endedEvent(
  transactionId: string,
  cause: EndCause,
  reading: MeterReading,
  nowMs: number,
): NewTransactionEvent {
  const { triggerReason, stoppedReason } = ENDINGS[cause];
  return {
    eventType: 'Ended',
    timestamp: isoFromMs(nowMs),
    triggerReason,
    transactionInfo: { transactionId, chargingState: 'Idle', stoppedReason },
    evse: EVSE_REF,
    meterValue: [meterValueOf(reading, nowMs)],
  };
}

/**
 * Ended for a transaction open when the process stopped: the EV link dropped with it, so it
 * cannot go on (E04 with stoppedReason Reboot).
 */
export function rebootEndedEvent(transactionId: string, nowMs: number): NewTransactionEvent {
  return {
    eventType: 'Ended',
    timestamp: isoFromMs(nowMs),
    triggerReason: 'AbnormalCondition',
    transactionInfo: { transactionId, stoppedReason: 'Reboot' },
    evse: EVSE_REF,
  };
}

/**
 * Started by the operator (F01/F02, RequestStartTransaction): the remote idToken, triggerReason
 * RemoteStart and the CSMS's remoteStartId (docs/OCPP.md §5.4). chargingState says whether an EV
 * is on the connector yet (F02: remote start first, the cable later).
 */
export function remoteStartedEvent(
  transactionId: string,
  start: { readonly idToken: IdToken; readonly remoteStartId: number },
  chargingState: 'EVConnected' | 'Idle',
  reservationId: number | null,
  nowMs: number,
): NewTransactionEvent {
  return {
    ...startedEvent(transactionId, start.idToken, reservationId, nowMs),
    triggerReason: 'RemoteStart',
    transactionInfo: { transactionId, chargingState, remoteStartId: start.remoteStartId },
  };
}

/** The EV plugged into a transaction the operator started before it came (F02, E03). */
export function cablePluggedInEvent(transactionId: string, nowMs: number): NewTransactionEvent {
  return {
    eventType: 'Updated',
    timestamp: isoFromMs(nowMs),
    triggerReason: 'CablePluggedIn',
    transactionInfo: { transactionId, chargingState: 'EVConnected' },
    evse: EVSE_REF,
  };
}

/**
 * The operator's remote start and stop on our connector (OCPP 2.0.1 F01–F03, docs/OCPP.md
 * "Operator operations"), and the stop a Reset Immediate makes (B12). Every transaction they start
 * or end goes through the same durable queue as the EV's own (ocpp-pump.ts), so the site agrees on
 * it as StartSession / StopSession exactly as on any other; the EV hears of a stop on the EV link
 * as at a fault (EvseNotification `stop-charging`, ISO 15118-2 EVSENotification=StopCharging).
 */
import { reservationAgainst, reservationHeldFor } from './connector-reservations';
import type { IdToken } from './csms-link';
import type { EvSessionCollaborators, PluggedEv } from './ev-session';
import {
  cablePluggedInEvent,
  endedEvent,
  remoteStartedEvent,
  type StationStopCause,
} from './transaction-events';

/** The operator's RequestStartTransaction, as the EVSE needs it (F01/F02). */
export interface RemoteStart {
  readonly idToken: IdToken;
  readonly remoteStartId: number;
  /** TxCtrlr.EVConnectionTimeOut, ms: how long a transaction started first waits for an EV (E03). */
  readonly evConnectionTimeoutMs: number;
}

/** The answer to a remote start: a refusal names why (statusInfo) and a running transaction. */
export type RemoteStartAnswer =
  | { readonly status: 'Accepted' }
  | {
      readonly status: 'Rejected';
      readonly reasonCode: string;
      readonly additionalInfo: string;
      /** F01.FR.24: the transaction already running on the EVSE. */
      readonly transactionId?: string;
    };

/** What remote control needs of the EV session it sits beside. */
export interface RemoteControlHost {
  /** The EV on the connector, if any. */
  readonly current: PluggedEv | null;
  /** Opens the contactor and tells the EV to stop and leave. */
  tellToStop(ev: PluggedEv): void;
}

/** A transaction the operator started before an EV plugged in (F02), waiting for one (E03). */
interface HeldStart {
  readonly transactionId: string;
  readonly idToken: IdToken;
  readonly startedQueueSeq: number;
  readonly timer: NodeJS.Timeout;
}

/** The meter of a transaction no EV joined. */
const NO_ENERGY = { energyDeliveredWh: 0, socPercent: null } as const;

function refused(
  reasonCode: string,
  additionalInfo: string,
  transactionId?: string,
): RemoteStartAnswer {
  return {
    status: 'Rejected',
    reasonCode,
    additionalInfo,
    ...(transactionId === undefined ? {} : { transactionId }),
  };
}

export class RemoteControl {
  private held: HeldStart | null = null;
  /** The EV whose SessionSetup waits for the CSMS's Authorize; a remote start answers it (F01). */
  private awaiting: {
    readonly ev: PluggedEv;
    readonly grant: (start: RemoteStart) => void;
  } | null = null;
  private closed = false;

  constructor(
    private readonly chargePointId: string,
    private readonly collaborators: EvSessionCollaborators,
    private readonly host: RemoteControlHost,
  ) {}

  /** The transaction started remotely that waits for its EV, if any. */
  get heldTransactionId(): string | null {
    return this.held?.transactionId ?? null;
  }

  /**
   * RequestStartTransaction on this connector. An EV waiting for its authorisation is authorised
   * by it (F01); with no EV the transaction starts now — TxStartPoint is Authorized (E03; F02,
   * remote start first) — and waits TxCtrlr.EVConnectionTimeOut for an EV. A connector in a
   * transaction, failed, reserved for another idToken (H01) or still held by a leaving EV refuses,
   * saying why.
   */
  start(start: RemoteStart): RemoteStartAnswer {
    const { evse, replica, ocpp, logger, nowMs } = this.collaborators;
    const { chargePointId } = this;
    const ev = this.host.current;
    const running = ev?.transactionId ?? this.heldTransactionId;
    if (running !== null) {
      // F01.FR.24: name the transaction already running on the EVSE.
      return refused('TxInProgress', `transaction ${running} runs on EVSE 1`, running);
    }
    if (evse.state === 'failure') return refused('Faulted', 'EVSE 1 is Faulted');
    const now = nowMs();
    const other = reservationAgainst(replica.state, chargePointId, start.idToken.idToken, now);
    if (other !== undefined) {
      return refused('Reserved', `EVSE 1 is reserved (reservation ${other.reservationId})`);
    }
    if (ev !== null) {
      if (this.awaiting?.ev !== ev) {
        return refused('Occupied', `EVSE 1 is ${evse.state}: the EV there is leaving`);
      }
      logger.info('remote-start-authorized-ev', {
        chargePointId,
        evId: ev.evId,
        remoteStartId: start.remoteStartId,
      });
      this.awaiting.grant(start);
      return { status: 'Accepted' };
    }
    const transactionId = this.collaborators.newTransactionId();
    const reservation = reservationHeldFor(
      replica.state,
      chargePointId,
      start.idToken.idToken,
      now,
    );
    const started = ocpp.enqueue(
      remoteStartedEvent(transactionId, start, 'Idle', reservation?.reservationId ?? null, now),
    );
    if (started === null) return refused('QueueFull', 'the TransactionEvent queue is full');
    const hold: HeldStart = {
      transactionId,
      idToken: start.idToken,
      startedQueueSeq: started.queueSeq,
      timer: setTimeout(() => this.expire(hold), start.evConnectionTimeoutMs),
    };
    this.held = hold;
    logger.info('remote-start-waiting-for-ev', {
      chargePointId,
      transactionId,
      remoteStartId: start.remoteStartId,
      evConnectionTimeoutMs: start.evConnectionTimeoutMs,
    });
    return { status: 'Accepted' };
  }

  /**
   * The station ends `transactionId` (F03 remote stop, B12 Immediate reset, E03 no EV in time):
   * Ended with the meter as last reported, through the same queue as every Ended, and the EV told
   * to stop (it ends its session and leaves). False when no such transaction runs here.
   */
  stop(transactionId: string, cause: StationStopCause): boolean {
    const { evse, ocpp, logger, nowMs } = this.collaborators;
    const { chargePointId } = this;
    if (this.held?.transactionId === transactionId) {
      this.take();
      ocpp.enqueue(endedEvent(transactionId, cause, NO_ENERGY, nowMs()));
      logger.info('transaction-stopped-by-station', { chargePointId, transactionId, cause });
      this.collaborators.evaluate();
      return true;
    }
    const ev = this.host.current;
    if (ev === null || ev.transactionId !== transactionId) return false;
    // The transaction ends now, not when the EV leaves: the site stops budgeting an EV told to stop.
    ev.transactionId = null;
    ocpp.enqueue(endedEvent(transactionId, cause, ev, nowMs()));
    if (evse.active) evse.fire('stopRequested', ev.evId);
    this.host.tellToStop(ev);
    logger.info('transaction-stopped-by-station', {
      chargePointId,
      transactionId,
      evId: ev.evId,
      cause,
    });
    this.collaborators.evaluate();
    return true;
  }

  /**
   * An EV plugged in (SessionSetup, its token presented): when a remotely started transaction waits
   * for one, the EV joins it, authorised already (F02; AuthorizeRemoteStart is false, so no
   * Authorize), and the CSMS hears CablePluggedIn. False when none waits.
   */
  joinHeldStart(ev: PluggedEv): boolean {
    const held = this.take();
    if (held === null) return false;
    const { evse, ocpp, logger, nowMs } = this.collaborators;
    ev.idToken = held.idToken;
    ev.transactionId = held.transactionId;
    ev.startedQueueSeq = held.startedQueueSeq;
    evse.fire('authorized', ev.evId);
    ocpp.enqueue(cablePluggedInEvent(held.transactionId, nowMs()));
    logger.info('remote-start-ev-joined', {
      chargePointId: this.chargePointId,
      transactionId: held.transactionId,
      evId: ev.evId,
    });
    return true;
  }

  /** Resolves with the remote start that authorises `ev` while the CSMS judges its own token. */
  authorizationFor(ev: PluggedEv): Promise<RemoteStart> {
    return new Promise((resolve) => {
      this.awaiting = { ev, grant: resolve };
    });
  }

  /** `ev`'s authorisation was decided (either way): a later remote start no longer applies to it. */
  authorizationDone(ev: PluggedEv): void {
    if (this.awaiting?.ev === ev) this.awaiting = null;
  }

  /** The process stops: a held transaction stays open in the queue (Reboot at the next start). */
  close(): void {
    this.closed = true;
    this.take();
  }

  private take(): HeldStart | null {
    const held = this.held;
    if (held !== null) clearTimeout(held.timer);
    this.held = null;
    return held;
  }

  /** E03/F02: no EV within EVConnectionTimeOut: the remotely started transaction ends (Timeout). */
  private expire(hold: HeldStart): void {
    if (this.held !== hold || this.closed) return;
    this.stop(hold.transactionId, 'ev-connect-timeout');
  }
}

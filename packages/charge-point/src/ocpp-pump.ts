/**
 * The OCPP pump: what the station reports to the CSMS. Every TransactionEvent goes through the
 * durable queue beside it (transaction-queue.ts) and is sent in order, one at a time, while online
 * (OCPP 2.0.1 E04.FR.01–03; OCPP-J §4.1.1); StatusNotification and NotifyEVChargingNeeds go out
 * directly. The EVSE controller and the EV session only say what happened.
 */
import { CONNECTOR_ID, QUEUE_RETRY_MS } from './constants';
import type {
  ConnectorStatus,
  CsmsLink,
  EvChargingNeeds,
  NotifyEvChargingNeedsStatus,
} from './csms-link';
import { errorText, type ControllerLogger } from './logger';
import type { EvNeeds } from './power-governor';
import type { NewTransactionEvent, QueuedEvent, TransactionQueue } from './transaction-queue';

/** Failed sends of one TransactionEvent while online before it is dropped as poison (default). */
export const SEND_ATTEMPTS_MAX_DEFAULT = 10;

export interface OcppPumpOptions {
  readonly chargePointId: string;
  readonly csms: CsmsLink;
  readonly queue: TransactionQueue;
  readonly logger: ControllerLogger;
  /** Failed sends of one event while online before it is dropped (default 10). */
  readonly sendAttemptsMax?: number;
  /** An event reached the CSMS (conditions waiting on the queue may hold now). */
  readonly onDelivered: () => void;
  /**
   * The CSMS answered a (non-Ended) event of `transactionId` with an idTokenInfo status other than
   * Accepted: E05, TxCtrlr.StopTxOnInvalidId — the transaction must stop.
   */
  readonly onIdTokenRefused?: (transactionId: string, status: string) => void;
}

export class OcppPump {
  private pumping = false;
  private closed = false;

  constructor(private readonly options: OcppPumpOptions) {}

  /** Every queued TransactionEvent reached the CSMS. */
  get drained(): boolean {
    return this.options.queue.size === 0;
  }

  /** The event with this queueSeq left the queue (null: there was none). */
  delivered(queueSeq: number | null): boolean {
    return queueSeq === null || !this.options.queue.list().some((q) => q.queueSeq === queueSeq);
  }

  /**
   * Queues a TransactionEvent (offline=true while the link is down) and starts sending. Null, with
   * an error logged, when the queue is full and the event is not one it keeps (E04.FR.07/08).
   */
  enqueue(event: NewTransactionEvent): QueuedEvent | null {
    const { queue, csms, logger, chargePointId } = this.options;
    const queued = queue.enqueue(event, !csms.online);
    if (queued === null) {
      logger.error('transaction-event-queue-full', {
        chargePointId,
        eventType: event.eventType,
        transactionId: event.transactionInfo.transactionId,
      });
      return null;
    }
    void this.pump();
    return queued;
  }

  /** Sends queued TransactionEvents in order while online (E04.FR.01–03). One at a time (OCPP-J §4.1.1). */
  async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    const { csms, queue } = this.options;
    let attempts = 0;
    try {
      while (!this.closed && csms.online) {
        const head = queue.peek();
        if (head === undefined) break;
        try {
          const status = await csms.transactionEvent(head.request);
          queue.acknowledge(head.queueSeq);
          attempts = 0;
          this.options.onDelivered();
          if (status !== null && status !== 'Accepted' && head.request.eventType !== 'Ended') {
            this.options.onIdTokenRefused?.(head.request.transactionInfo.transactionId, status);
          }
        } catch (error) {
          attempts += 1;
          if (this.failed(head, attempts, error)) {
            attempts = 0;
            continue;
          }
          await delay(QUEUE_RETRY_MS);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Logs a failed send; true when the event was dropped (the CSMS refuses it every time). */
  private failed(head: QueuedEvent, attempts: number, error: unknown): boolean {
    const { csms, queue, logger, chargePointId } = this.options;
    logger.warn('transaction-event-failed', {
      chargePointId,
      seqNo: head.request.seqNo,
      transactionId: head.request.transactionInfo.transactionId,
      attempts,
      error: errorText(error),
    });
    if (!csms.online || attempts < (this.options.sendAttemptsMax ?? SEND_ATTEMPTS_MAX_DEFAULT)) {
      return false;
    }
    // A message the CSMS refuses every time would block every later one: drop it, loudly.
    logger.error('transaction-event-dropped', { chargePointId, request: head.request });
    queue.acknowledge(head.queueSeq);
    return true;
  }

  /** StatusNotification; while offline nothing is sent (B04: the status goes on reconnect instead). */
  notifyStatus(status: ConnectorStatus): void {
    const { csms, logger, chargePointId } = this.options;
    if (!csms.online) return;
    csms
      .statusNotification(status)
      .catch((error: unknown) =>
        logger.warn('status-notification-failed', { chargePointId, error: errorText(error) }),
      );
  }

  /** NotifyEVChargingNeeds for the connector (K15 step 2). Rejects when offline or on an error. */
  notifyNeeds(needs: EvNeeds): Promise<NotifyEvChargingNeedsStatus> {
    return this.options.csms.notifyEvChargingNeeds(chargingNeedsOf(needs));
  }

  /** `needs` as the site records them once sent over this link (CsmsLink.needsAsRecorded). */
  needsAsRecorded(needs: EvNeeds): EvNeeds {
    const recorded = this.options.csms.needsAsRecorded?.(chargingNeedsOf(needs));
    if (recorded === undefined) return needs;
    return {
      energyRequestedWh: recorded.energyAmountWh,
      minPowerW: recorded.minPowerW,
      maxPowerW: recorded.maxPowerW,
      departureAtMs: recorded.departureAtMs,
    };
  }

  /** Stops sending (the process is stopping); what is queued stays in the file for the next start. */
  close(): void {
    this.closed = true;
  }
}

function chargingNeedsOf(needs: EvNeeds): EvChargingNeeds {
  return {
    evseId: CONNECTOR_ID,
    energyAmountWh: needs.energyRequestedWh,
    minPowerW: needs.minPowerW,
    maxPowerW: needs.maxPowerW,
    departureAtMs: needs.departureAtMs,
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

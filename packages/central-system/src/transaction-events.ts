/**
 * E01–E07, TransactionEvent at the CSMS: Started → StartSession, Ended → StopSession (with the
 * final meter register), Updated → the meter reading (station-reports.ts). A TransactionEvent is
 * acknowledged only once its command is decided and applied, so a station's durable queue (E04)
 * never drops an event the site has not agreed on; a (transactionId, seqNo) already agreed is
 * acknowledged again without a second submit.
 */
import type { TransactionEventRequest, TransactionEventResponse } from '@evpaxos/ocpp';
import type { Logger } from '@evpaxos/runtime';
import type { SiteResult } from '@evpaxos/site';
import type { CommandDraft } from './central-service';
import { TRANSACTION_EVENTS_REMEMBERED_MAX } from './constants';
import { idTokenInfoFor, readMeter, type StationReports } from './station-reports';

export interface TransactionEventsCollaborators {
  /** Submits and waits; a submit not agreed throws the CALLERROR the station retries on. */
  readonly submitOrCallError: (draft: CommandDraft) => Promise<SiteResult>;
  readonly reports: StationReports;
  readonly logger: Logger;
  /** The transaction ended: forget what was kept for it. */
  readonly onEnded: (transactionId: string) => void;
}

export class TransactionEvents {
  /** `${transactionId}#${seqNo}` of TransactionEvents already agreed. */
  private readonly seen = new Set<string>();

  constructor(private readonly collaborators: TransactionEventsCollaborators) {}

  async handle(
    chargePointId: string,
    request: TransactionEventRequest,
  ): Promise<TransactionEventResponse> {
    const { logger } = this.collaborators;
    const transactionId = request.transactionInfo.transactionId;
    const key = `${transactionId}#${request.seqNo}`;
    if (request.offline === true) {
      logger.info('transaction-event-offline', {
        chargePointId,
        transactionId,
        seqNo: request.seqNo,
        eventType: request.eventType,
      });
    }
    // Part 2 §1.60.2: idTokenInfo whenever the request carried an idToken.
    const tokenInfo =
      request.idToken === undefined ? {} : { idTokenInfo: idTokenInfoFor(request.idToken) };
    if (this.seen.has(key)) {
      logger.info('transaction-event-duplicate', {
        chargePointId,
        transactionId,
        seqNo: request.seqNo,
      });
      return tokenInfo;
    }
    let response: TransactionEventResponse = tokenInfo;
    switch (request.eventType) {
      case 'Started':
        response = await this.started(chargePointId, request, tokenInfo);
        break;
      case 'Ended':
        await this.ended(chargePointId, request);
        break;
      case 'Updated':
        logger.info('transaction-updated', {
          chargePointId,
          transactionId,
          seqNo: request.seqNo,
          triggerReason: request.triggerReason,
          chargingState: request.transactionInfo.chargingState ?? null,
          meterValues: request.meterValue?.length ?? 0,
        });
        await this.collaborators.reports.recordMeter(
          chargePointId,
          transactionId,
          readMeter(request.meterValue),
        );
        break;
    }
    this.remember(key);
    return response;
  }

  private async started(
    chargePointId: string,
    request: TransactionEventRequest,
    tokenInfo: TransactionEventResponse,
  ): Promise<TransactionEventResponse> {
    // A blocked token starts nothing (C01): the station ends the transaction (E05).
    if (tokenInfo.idTokenInfo !== undefined && tokenInfo.idTokenInfo.status !== 'Accepted') {
      return tokenInfo;
    }
    const transactionId = request.transactionInfo.transactionId;
    const connectorId = request.evse?.connectorId ?? request.evse?.id ?? 1;
    const result = await this.collaborators.submitOrCallError({
      type: 'StartSession',
      transactionId,
      chargePointId,
      connectorId,
      idToken: request.idToken?.idToken ?? 'unknown',
    });
    if (result.ok || result.code === 'transaction-exists') {
      await this.collaborators.reports.recordMeter(
        chargePointId,
        transactionId,
        readMeter(request.meterValue),
        true,
      );
      return tokenInfo;
    }
    this.collaborators.logger.warn('start-session-rejected', {
      chargePointId,
      transactionId,
      code: result.code,
      reason: result.reason,
    });
    return {
      idTokenInfo: { status: result.code === 'connector-occupied' ? 'ConcurrentTx' : 'Invalid' },
    };
  }

  private async ended(chargePointId: string, request: TransactionEventRequest): Promise<void> {
    const transactionId = request.transactionInfo.transactionId;
    const { registerWh } = readMeter(request.meterValue);
    const result = await this.collaborators.submitOrCallError({
      type: 'StopSession',
      transactionId,
      ...(registerWh === null ? {} : { registerWh }),
    });
    this.collaborators.reports.forget(transactionId);
    if (result.ok) {
      // The energy by the station's meter, as agreed: what the demo's summary reports.
      this.collaborators.logger.info('session-ended', {
        chargePointId,
        transactionId,
        energyWh: result.energyWh ?? null,
      });
    } else if (result.code !== 'unknown-transaction') {
      this.collaborators.logger.warn('stop-session-rejected', {
        chargePointId,
        transactionId,
        reason: result.reason,
      });
    }
    this.collaborators.onEnded(transactionId);
  }

  private remember(key: string): void {
    this.seen.add(key);
    if (this.seen.size > TRANSACTION_EVENTS_REMEMBERED_MAX) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}

/**
 * The EV session: the EV link side of the connector (ISO 15118-2-style messages, docs/EV-LINK.md).
 * One EV at a time: SessionSetup authorises it and starts the OCPP transaction, ChargeParameter-
 * Discovery states its needs and waits until the site agreed a schedule for them (K15), PowerDelivery
 * closes and opens the contactor, ChargingStatus reports the meter, SessionStop or a dropped link
 * ends it. Each step fires the EVSE table (evse.ts); the answer's grant comes from the power governor
 * on this node's replica (power-governor.ts); what the CSMS must learn goes through the OCPP pump.
 */
import type {
  EvLinkSession,
  EvRequest,
  EvseNotificationReason,
  PowerGrant,
  PowerMode,
  ResponseBody,
  ResponseCode,
} from '@evpaxos/ev-link';
import { powerLimitAt, type EvState, type PowerLimit, type SiteState } from '@evpaxos/site';
import { reservationAgainst, reservationHeldFor } from './connector-reservations';
import type { CsmsLink, IdToken } from './csms-link';
import type { Evse } from './evse';
import { errorText, type ControllerLogger } from './logger';
import type { OcppPump } from './ocpp-pump';
import { grantFor, isLeased, needsAgreed, type EvNeeds, type EvPowerFacts } from './power-governor';
import { RemoteControl, type RemoteStart } from './remote-control';
import { endedEvent, remoteStartedEvent, startedEvent, updatedEvent } from './transaction-events';
import type { Waiters } from './waiters';

/** How long needs stated offline wait for the queue to drain before they are sent, ms. */
const NEEDS_RESEND_WAIT_MS = 60_000;

/** The EV plugged into the connector, and what it told the EVSE. */
export interface PluggedEv {
  readonly link: EvLinkSession;
  readonly evId: string;
  /** The EV's contract, or the operator's idToken when a remote start authorised it (F01/F02). */
  idToken: IdToken;
  transactionId: string | null;
  /** queueSeq of the Started event: NotifyEVChargingNeeds waits until it reached the CSMS. */
  startedQueueSeq: number | null;
  needs: EvNeeds | null;
  /**
   * The contactor is closed (PowerDeliveryReq(Start) until Stop). The EV's own ChargeProgress, not
   * an EVSE state: the table's `charging` only allows the energy to flow.
   */
  contactorClosed: boolean;
  energyDeliveredWh: number;
  socPercent: number | null;
  lastMeterAtMs: number;
  /** The grant the EV was last told. */
  lastGrant: { limitW: number; mode: PowerMode } | null;
}

export interface EvSessionOptions {
  readonly chargePointId: string;
  /** K15.FR.08 budget for the schedule after the EV's needs, ms. */
  readonly negotiationTimeoutMs: number;
  /** Least time between two periodic meter-value TransactionEvents, ms. */
  readonly meterValueIntervalMs: number;
}

export interface EvSessionCollaborators {
  readonly evse: Evse;
  readonly ocpp: OcppPump;
  readonly csms: CsmsLink;
  readonly replica: { readonly state: SiteState };
  readonly waiters: Waiters;
  readonly logger: ControllerLogger;
  readonly nowMs: () => number;
  readonly newTransactionId: () => string;
  /** Power changed for the EV: re-evaluate it now (EvseController.evaluate). */
  readonly evaluate: () => void;
}

type Request<T extends EvRequest['type']> = Extract<EvRequest, { type: T }>;

/** What `authorize` decided: the CSMS's status, or the operator's remote start that came first. */
type Authorization =
  | { readonly status: string; readonly remote: null }
  | { readonly status: 'Accepted'; readonly remote: RemoteStart };

export class EvSession {
  private plugged: PluggedEv | null = null;
  private closed = false;
  /** The operator's remote starts and stops (F01–F03), beside the EV's own. */
  readonly remote: RemoteControl;

  constructor(
    private readonly options: EvSessionOptions,
    private readonly collaborators: EvSessionCollaborators,
  ) {
    this.remote = new RemoteControl(options.chargePointId, collaborators, this);
  }

  /** The EV on the connector, if any. */
  get current(): PluggedEv | null {
    return this.plugged;
  }

  /** A new EV link connection. A closed connection is an unplug. */
  attach(link: EvLinkSession): void {
    link.handle((request) => this.handleRequest(link, request));
    link.onClose(() => {
      // After close() the process is stopping: the transaction stays open in the queue file and
      // is ended with stoppedReason Reboot at the next start.
      if (!this.closed && this.plugged?.link === link) this.finish('unplug');
    });
  }

  /** The transaction on the connector: the EV's, or one started remotely before it came (F02). */
  get transactionId(): string | null {
    return this.plugged?.transactionId ?? this.remote.heldTransactionId;
  }

  /**
   * The process is stopping: a dropped link no longer ends the transaction, and a remote start
   * waiting for its EV stays open in the queue (ended with stoppedReason Reboot at the next start).
   */
  close(): void {
    this.closed = true;
    this.remote.close();
  }

  /** What the governor needs to know of `ev` now. */
  powerFacts(ev: PluggedEv): EvPowerFacts {
    const { evse } = this.collaborators;
    return {
      transactionId: ev.transactionId,
      needs: ev.needs,
      scheduleAgreed: evse.scheduleAgreed,
      drawing: ev.contactorClosed && evse.active,
    };
  }

  /** Pushes the grant under `limit` to the EV (EVSENotification=ReNegotiation). */
  tell(ev: PluggedEv, reason: EvseNotificationReason, limit: PowerLimit): void {
    const { replica, nowMs } = this.collaborators;
    const grant = grantFor(replica.state, limit, this.powerFacts(ev), nowMs());
    ev.lastGrant = { limitW: grant.limitW, mode: grant.mode };
    ev.link.notify({ reason, ...grant });
  }

  /**
   * The EV machine's state (site evMachine) matching what the EV last did on the link: the EV's own
   * machine runs in the emulator, this is what the EVSE can see of it (GET /evse).
   */
  evStateSeen(): EvState {
    const ev = this.plugged;
    const { evse } = this.collaborators;
    if (ev === null) return 'not_connected';
    if (ev.contactorClosed) {
      return ev.lastGrant?.mode === 'fail-safe'
        ? 'charging_without_profile'
        : 'charging_with_profile';
    }
    if (evse.state === 'endSession' || evse.state === 'charging') return 'connected_not_charging';
    if (ev.needs === null) {
      return evse.state === 'energyNegotiation' ? 'sendNeeds' : 'connected_not_charging';
    }
    return evse.scheduleAgreed ? 'charging_with_profile' : 'receiveScheduling';
  }

  /**
   * The site agreed on `needs` (default: the EV's current needs): this node's replica holds them
   * for the EV's transaction, as they were recorded after crossing the OCPP link.
   */
  needsAgreed(ev: PluggedEv, needs: EvNeeds | null = ev.needs): boolean {
    const { replica, ocpp } = this.collaborators;
    const recorded = needs === null ? null : ocpp.needsAsRecorded(needs);
    return needsAgreed(replica.state, ev.transactionId, recorded);
  }

  /** The CSMS link is back: needs stated while offline never reached the site; send them now. */
  resendNeedsAfterReconnect(): void {
    const ev = this.plugged;
    const { evse } = this.collaborators;
    if (ev !== null && ev.needs !== null && !evse.scheduleAgreed && evse.active) {
      this.sendNeedsWhenStartedDelivered(ev, ev.needs);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Requests

  private async handleRequest(link: EvLinkSession, request: EvRequest): Promise<ResponseBody> {
    if (request.type === 'SessionSetupReq') return this.sessionSetup(link, request);
    const ev = this.plugged;
    if (ev === null || ev.link !== link) return this.refusal(request.type, 'FAILED_UnknownSession');
    switch (request.type) {
      case 'ChargeParameterDiscoveryReq':
        return this.chargeParameterDiscovery(ev, request);
      case 'PowerDeliveryReq':
        return this.powerDelivery(ev, request.start);
      case 'ChargingStatusReq':
        return this.chargingStatus(ev, request);
      case 'SessionStopReq':
        this.finish('ev-stop');
        return { type: 'SessionStopRes', responseCode: 'OK' };
    }
  }

  private async sessionSetup(
    link: EvLinkSession,
    request: Request<'SessionSetupReq'>,
  ): Promise<ResponseBody> {
    const { evse, ocpp, logger, replica, nowMs } = this.collaborators;
    const { chargePointId } = this.options;
    if (this.plugged !== null || evse.state !== 'waitingEV') {
      logger.warn('ev-refused', {
        chargePointId,
        evId: request.evId,
        reason: `connector is ${evse.state}`,
      });
      const code = this.plugged?.link === link ? 'FAILED_SequenceError' : 'FAILED';
      return this.refusal('SessionSetupReq', code);
    }
    if (this.collaborators.csms.operative === false) {
      // G03: an Inoperative EVSE starts no new session (the operator's ChangeAvailability).
      logger.warn('ev-refused', { chargePointId, evId: request.evId, reason: 'EVSE Inoperative' });
      return this.refusal('SessionSetupReq', 'FAILED');
    }
    const ev = newPluggedEv(link, request);
    this.plugged = ev;
    evse.fire('plugIn', ev.evId);
    ocpp.notifyStatus('Occupied');
    evse.fire('idTokenPresented', ev.evId);
    if (this.remote.joinHeldStart(ev)) {
      this.collaborators.evaluate();
      return {
        type: 'SessionSetupRes',
        responseCode: 'OK',
        sessionId: ev.transactionId ?? '',
        chargePointId,
      };
    }

    const { status, remote } = await this.authorize(ev);
    // Unplugged meanwhile, or the EVSE failed (tellToStop told the EV): no session.
    if (this.plugged !== ev || evse.connectorStatus === 'Faulted') {
      return this.refusal('SessionSetupReq', 'FAILED');
    }
    if (status !== 'Accepted') {
      evse.fire('authorizationRejected', ev.evId);
      evse.fire('sessionClosed', ev.evId);
      this.plugged = null;
      ocpp.notifyStatus('Available');
      return this.refusal('SessionSetupReq', 'FAILED');
    }
    evse.fire('authorized', ev.evId);
    // TxStartPoint = Authorized (OCPP 2.0.1 E01/E03): the transaction starts once the EV is
    // authorised, so Started carries the idToken the CSMS needs for StartSession.
    const transactionId = this.collaborators.newTransactionId();
    ev.transactionId = transactionId;
    const now = nowMs();
    if (remote !== null) ev.idToken = remote.idToken;
    const reservation = reservationHeldFor(replica.state, chargePointId, ev.idToken.idToken, now);
    const reservationId = reservation?.reservationId ?? null;
    // F01: a remote start authorised the EV waiting here: RemoteStart with the remoteStartId.
    const started = ocpp.enqueue(
      remote === null
        ? startedEvent(transactionId, ev.idToken, reservationId, now)
        : remoteStartedEvent(transactionId, remote, 'EVConnected', reservationId, now),
    );
    ev.startedQueueSeq = started?.queueSeq ?? null;
    this.collaborators.evaluate();
    return { type: 'SessionSetupRes', responseCode: 'OK', sessionId: transactionId, chargePointId };
  }

  private async authorize(ev: PluggedEv): Promise<Authorization> {
    const { csms, logger, replica, nowMs } = this.collaborators;
    const { chargePointId } = this.options;
    // H01: a connector reserved (in the agreed state) for another idToken is not for this EV.
    const other = reservationAgainst(replica.state, chargePointId, ev.idToken.idToken, nowMs());
    if (other !== undefined) {
      logger.warn('ev-refused', {
        chargePointId,
        evId: ev.evId,
        reason: `connector reserved (reservation ${other.reservationId})`,
      });
      return { status: 'Reserved', remote: null };
    }
    if (!csms.online) {
      // AuthCtrlr.LocalAuthorizationOffline + OfflineTxForUnknownIdEnabled (C12/C15): accept and let
      // the CSMS judge when the queued Started event reaches it.
      logger.info('authorized-offline', { chargePointId, evId: ev.evId });
      return { status: 'Accepted', remote: null };
    }
    // F01: while the CSMS judges the EV's own token, an operator's remote start may authorise it.
    const remote = this.remote
      .authorizationFor(ev)
      .then((start): Authorization => ({ status: 'Accepted', remote: start }));
    const own = csms.authorize(ev.idToken).then(
      (status): Authorization => ({ status, remote: null }),
      (error: unknown): Authorization => {
        logger.warn('authorize-failed-offline-accept', {
          chargePointId,
          evId: ev.evId,
          error: errorText(error),
        });
        return { status: 'Accepted', remote: null };
      },
    );
    try {
      return await Promise.race([own, remote]);
    } finally {
      this.remote.authorizationDone(ev);
    }
  }

  private async chargeParameterDiscovery(
    ev: PluggedEv,
    request: Request<'ChargeParameterDiscoveryReq'>,
  ): Promise<ResponseBody> {
    const { evse, nowMs } = this.collaborators;
    if (evse.state === 'charging') {
      evse.fire('renegotiationRequested', ev.evId); // K17: EV-initiated renegotiation.
    } else if (evse.state !== 'energyNegotiation') {
      return this.refusal('ChargeParameterDiscoveryReq', 'FAILED_SequenceError');
    }
    const needs: EvNeeds = {
      energyRequestedWh: request.energyRequestedWh,
      minPowerW: request.minPowerW,
      maxPowerW: request.maxPowerW,
      departureAtMs: request.departureAtMs,
    };
    ev.needs = needs;
    const agreed = await this.negotiate(ev, needs, nowMs() + this.options.negotiationTimeoutMs);
    if (this.plugged !== ev || ev.needs !== needs) {
      return this.refusal('ChargeParameterDiscoveryReq', 'FAILED_SequenceError');
    }
    // K15.FR.08/FR.15: no schedule in time, or offline: charge on the station's own limits.
    evse.fire(agreed ? 'scheduleAgreed' : 'negotiationTimedOut', ev.evId);
    return { type: 'ChargeParameterDiscoveryRes', responseCode: 'OK', ...this.answerGrant(ev) };
  }

  /**
   * K15 steps 2–5: the needs go to the CSMS, which has the site agree on them; the schedule is
   * agreed once this node's replica holds exactly these needs. Resolves false on offline/timeout.
   */
  private async negotiate(ev: PluggedEv, needs: EvNeeds, deadlineMs: number): Promise<boolean> {
    const { csms, replica, waiters, ocpp, logger, nowMs } = this.collaborators;
    const { chargePointId } = this.options;
    const limit = powerLimitAt(replica.state, chargePointId, nowMs());
    if (!csms.online || !isLeased(limit)) {
      logger.info('negotiation-skipped', {
        chargePointId,
        evId: ev.evId,
        reason: csms.online ? `lease ${limit.mode}` : 'CSMS offline',
      });
      // Without a live lease the EV starts at fail-safe power now, but the site must still learn
      // its needs, or the schedule never uses them once the lease (and a grant) arrives.
      if (csms.online) this.sendNeedsWhenStartedDelivered(ev, needs);
      return false;
    }
    // The CSMS maps evseId to the transaction through the replica: Started must be applied first.
    const startedSent = await waiters.until(() => ocpp.delivered(ev.startedQueueSeq), deadlineMs);
    if (!startedSent || this.plugged !== ev) return false;
    try {
      if ((await ocpp.notifyNeeds(needs)) === 'Rejected') return false;
    } catch (error) {
      logger.warn('notify-ev-charging-needs-failed', {
        chargePointId,
        evId: ev.evId,
        error: errorText(error),
      });
      return false;
    }
    return waiters.until(
      () => this.plugged === ev && ev.needs === needs && this.needsAgreed(ev, needs),
      deadlineMs,
    );
  }

  private powerDelivery(ev: PluggedEv, start: boolean): ResponseBody {
    const { evse } = this.collaborators;
    if (!evse.active) return this.refusal('PowerDeliveryReq', 'FAILED_SequenceError');
    ev.contactorClosed = start;
    if (!start) evse.fire('stopRequested', ev.evId);
    this.enqueueUpdated(ev, 'ChargingStateChanged', start ? 'Charging' : 'EVConnected');
    this.collaborators.evaluate();
    return { type: 'PowerDeliveryRes', responseCode: 'OK', ...this.answerGrant(ev) };
  }

  private chargingStatus(ev: PluggedEv, request: Request<'ChargingStatusReq'>): ResponseBody {
    const { evse, nowMs } = this.collaborators;
    if (!evse.active && evse.state !== 'endSession') {
      return this.refusal('ChargingStatusReq', 'FAILED_SequenceError');
    }
    ev.energyDeliveredWh = request.energyDeliveredWh;
    ev.socPercent = request.socPercent;
    const now = nowMs();
    if (now - ev.lastMeterAtMs >= this.options.meterValueIntervalMs) {
      ev.lastMeterAtMs = now;
      this.enqueueUpdated(
        ev,
        'MeterValuePeriodic',
        ev.contactorClosed ? 'Charging' : 'EVConnected',
      );
    }
    return { type: 'ChargingStatusRes', responseCode: 'OK', ...this.answerGrant(ev) };
  }

  /** The EV stopped the session (SessionStopReq) or left (connection closed). */
  private finish(cause: 'ev-stop' | 'unplug'): void {
    const ev = this.plugged;
    if (ev === null) return;
    const { evse, ocpp, nowMs } = this.collaborators;
    ev.contactorClosed = false;
    if (evse.state !== 'endSession' && evse.state !== 'waitingEV' && evse.state !== 'failure') {
      evse.fire(cause === 'ev-stop' && evse.active ? 'stopRequested' : 'unplug', ev.evId);
    }
    if (ev.transactionId !== null) ocpp.enqueue(endedEvent(ev.transactionId, cause, ev, nowMs()));
    if (evse.state === 'endSession') evse.fire('sessionClosed', ev.evId);
    this.plugged = null;
    // A faulted connector stays Faulted after the EV leaves (B04, G01).
    ocpp.notifyStatus(evse.connectorStatus);
    this.collaborators.evaluate();
  }

  /**
   * The EVSE stops `ev` (it failed, or the station ended the transaction): its contactor opens and
   * the EV is told to stop charging and end the session (EvseNotification `stop-charging`, 0 W;
   * ISO 15118-2 EVSENotification=StopCharging). After a fault the transaction ends when the EV
   * leaves (finish), as for any session.
   */
  tellToStop(ev: PluggedEv): void {
    ev.contactorClosed = false;
    ev.lastGrant = { limitW: 0, mode: ev.lastGrant?.mode ?? 'fail-safe' };
    ev.link.notify({ reason: 'stop-charging', limitW: 0, mode: ev.lastGrant.mode });
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  /** The grant the EV is told in an answer, from the replica now; remembered as the last told. */
  private answerGrant(ev: PluggedEv): PowerGrant {
    const { replica, nowMs } = this.collaborators;
    const now = nowMs();
    const limit = powerLimitAt(replica.state, this.options.chargePointId, now);
    const grant = grantFor(replica.state, limit, this.powerFacts(ev), now);
    ev.lastGrant = { limitW: grant.limitW, mode: grant.mode };
    return grant;
  }

  private enqueueUpdated(
    ev: PluggedEv,
    triggerReason: 'ChargingStateChanged' | 'MeterValuePeriodic',
    chargingState: 'Charging' | 'EVConnected',
  ): void {
    if (ev.transactionId === null) return;
    const { ocpp, nowMs } = this.collaborators;
    ocpp.enqueue(updatedEvent(ev.transactionId, triggerReason, chargingState, ev, nowMs()));
  }

  /**
   * Sends the EV's needs to the CSMS once the queue delivered its Started (the CSMS finds the
   * transaction through the replica), so the site schedules by them; the controller switches the
   * EV to 'profile' when the replica holds them. Fire and forget: a failure is logged.
   */
  private sendNeedsWhenStartedDelivered(ev: PluggedEv, needs: EvNeeds): void {
    const { waiters, ocpp, csms, logger, nowMs } = this.collaborators;
    void waiters
      .until(() => ocpp.drained, nowMs() + NEEDS_RESEND_WAIT_MS)
      .then((drained) => {
        if (!drained || this.plugged !== ev || ev.needs !== needs || !csms.online) return;
        ocpp.notifyNeeds(needs).catch((error: unknown) =>
          logger.warn('notify-ev-charging-needs-failed', {
            chargePointId: this.options.chargePointId,
            error: errorText(error),
          }),
        );
      });
  }

  private refusal(type: EvRequest['type'], responseCode: ResponseCode): ResponseBody {
    return refusalOf(type, responseCode, this.options.chargePointId);
  }
}

function newPluggedEv(link: EvLinkSession, request: Request<'SessionSetupReq'>): PluggedEv {
  return {
    link,
    evId: request.evId,
    idToken: { idToken: request.idToken ?? request.evId, type: 'eMAID' },
    transactionId: null,
    startedQueueSeq: null,
    needs: null,
    contactorClosed: false,
    energyDeliveredWh: 0,
    socPercent: null,
    lastMeterAtMs: 0,
    lastGrant: null,
  };
}

/** The refusal of a request: its response type with `responseCode`, granting nothing. */
export function refusalOf(
  type: EvRequest['type'],
  responseCode: ResponseCode,
  chargePointId: string,
): ResponseBody {
  switch (type) {
    case 'SessionSetupReq':
      return { type: 'SessionSetupRes', responseCode, sessionId: '', chargePointId };
    case 'SessionStopReq':
      return { type: 'SessionStopRes', responseCode };
    case 'ChargeParameterDiscoveryReq':
      return { type: 'ChargeParameterDiscoveryRes', responseCode, limitW: 0, mode: 'fail-safe' };
    case 'PowerDeliveryReq':
      return { type: 'PowerDeliveryRes', responseCode, limitW: 0, mode: 'fail-safe' };
    case 'ChargingStatusReq':
      return { type: 'ChargingStatusRes', responseCode, limitW: 0, mode: 'fail-safe' };
  }
}

/**
 * The EVSE controller: one connector driven by the site's `evseMachine` transition table. Inputs
 * are EV link requests (ISO 15118-2), OCPP replies and CSMS calls, the node's own replica of the site
 * state, and the clock; outputs are EV link responses and notifications, OCPP calls, and the
 * "evse-transition" and "power" log lines. Every collaborator is injected (docs/STYLE.md rule 8), so the
 * tests drive it with a fake CSMS link and a hand-built replica.
 *
 * Power (docs/DESIGN.md, lease.ts): what the EV may draw is always `powerLimitAt(replica, cpId, now)` on
 * this node's own replica — never the CSMS's word alone — so a cut-off charge point falls to its
 * fail-safe power on time by its own clock. The TxProfile only labels the grant 'profile' and
 * carries the schedule to the EV.
 */
import { randomUUID } from 'node:crypto';
import type {
  EvChargingSchedule,
  EvLinkSession,
  EvRequest,
  PowerGrant,
  PowerMode,
  ResponseBody,
  ResponseCode,
} from '@evpaxos/ev-link';
import {
  buildChargingProfiles,
  evseMachine,
  isoFromMs,
  powerLimitAt,
  transition,
  type EvseEvent,
  type EvseState,
  type EvState,
  type PowerLimit,
  type SiteState,
} from '@evpaxos/site';
import {
  CONNECTOR_ID,
  METER_VALUE_INTERVAL_MS_DEFAULT,
  NEGOTIATION_TIMEOUT_MS_DEFAULT,
  QUEUE_RETRY_MS,
} from './constants';
import type {
  ConnectorStatus,
  CsmsLink,
  IdToken,
  ReserveNowRequest,
  ReserveNowStatus,
  SetChargingProfileRequest,
  TransactionEventRequest,
} from './csms-link';
import type { NewTransactionEvent, TransactionQueue } from './transaction-queue';

export interface ControllerLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export interface EvseControllerOptions {
  /** This charge point's id (its OCPP identity and site chargePointId). */
  readonly chargePointId: string;
  /** K15.FR.08 budget for the schedule after the EV's needs, ms (default 60 000). */
  readonly negotiationTimeoutMs?: number;
  /** Least time between two periodic meter-value TransactionEvents, ms (default 10 000). */
  readonly meterValueIntervalMs?: number;
  /** Failed sends of one TransactionEvent while online before it is dropped as poison (default 10). */
  readonly sendAttemptsMax?: number;
}

export interface EvseControllerCollaborators {
  readonly logger: ControllerLogger;
  readonly csms: CsmsLink;
  readonly queue: TransactionQueue;
  /** This node's replica of the site state (the state machine given to the Paxos node). */
  readonly replica: { readonly state: SiteState };
  /** Wall clock, ms (default Date.now). */
  readonly nowMs?: () => number;
  /** New OCPP transactionIds, ≤ 36 characters (default randomUUID). */
  readonly newTransactionId?: () => string;
}

interface EvNeedsSent {
  readonly energyRequestedWh: number;
  readonly minPowerW: number;
  readonly maxPowerW: number;
  readonly departureAtMs: number;
}

/** The EV plugged into the connector, and its session. */
interface ActiveEv {
  readonly session: EvLinkSession;
  readonly evId: string;
  readonly idToken: IdToken;
  transactionId: string | null;
  /** queueSeq of the Started event: NotifyEVChargingNeeds waits until it reached the CSMS. */
  startedQueueSeq: number | null;
  needs: EvNeedsSent | null;
  /** A schedule was agreed for the current needs (profile received or needs in the replica). */
  scheduleAgreed: boolean;
  /** The contactor is closed (PowerDeliveryReq(Start) until Stop). */
  delivering: boolean;
  /** Whether the replica's lease was live at the last evaluation. */
  leased: boolean;
  energyDeliveredWh: number;
  socPercent: number | null;
  lastMeterAtMs: number;
  /** The grant the EV was last told. */
  lastGrant: { limitW: number; mode: PowerMode } | null;
}

interface Waiter {
  readonly check: () => boolean;
  readonly resolve: (ok: boolean) => void;
}

/** GET /evse's answer on a charge point (EvseController.view). */
export interface EvseView {
  readonly chargePointId: string;
  readonly evseState: EvseState;
  readonly evId: string | null;
  /** Inferred from the link: see EvseController.view. */
  readonly evState: EvState;
  readonly transactionId: string | null;
  /** The power last sampled (the "power" log line's powerW). */
  readonly powerW: number;
  readonly mode: PowerMode | null;
  /** The limit the EV was last told. */
  readonly limitW: number | null;
  readonly energyDeliveredWh: number | null;
  readonly socPercent: number | null;
  /** This charge point's clock when the view was taken. */
  readonly atMs: number;
}

const ACTIVE_STATES: readonly EvseState[] = ['charging', 'restartingSession'];

export class EvseController {
  private evseState: EvseState = evseMachine.initial;
  private ev: ActiveEv | null = null;
  private readonly profiles = new Map<string, SetChargingProfileRequest>();
  private readonly reservations = new Map<number, ReserveNowRequest>();
  private readonly waiters = new Set<Waiter>();
  private lastSample: { powerW: number; mode: PowerMode; evId: string | null } | null = null;
  private pumping = false;
  private closed = false;
  private boundaryTimer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;
  private readonly chargePointId: string;
  private readonly nowMs: () => number;
  private readonly newTransactionId: () => string;

  constructor(
    private readonly options: EvseControllerOptions,
    private readonly collaborators: EvseControllerCollaborators,
  ) {
    this.chargePointId = options.chargePointId;
    this.nowMs = collaborators.nowMs ?? Date.now;
    this.newTransactionId = collaborators.newTransactionId ?? randomUUID;
    const { csms, queue } = collaborators;
    csms.setHandlers({
      setChargingProfile: (request) => this.handleSetChargingProfile(request),
      reserveNow: (request) => this.handleReserveNow(request),
      cancelReservation: (id) => this.handleCancelReservation(id),
    });
    this.unsubscribe = csms.onOnlineChange((online) => this.handleOnlineChange(online));
    // Transactions open when the process stopped cannot go on (the EV link dropped with it): close
    // them now, so the CSMS and the replica end those sessions. OCPP 2.0.1 E04 + stoppedReason Reboot.
    for (const transactionId of queue.openTransactions()) {
      this.enqueue({
        eventType: 'Ended',
        timestamp: isoFromMs(this.nowMs()),
        triggerReason: 'AbnormalCondition',
        transactionInfo: { transactionId, stoppedReason: 'Reboot' },
        evse: { id: CONNECTOR_ID, connectorId: CONNECTOR_ID },
      });
    }
    if (queue.unreadableLines > 0) {
      collaborators.logger.warn('transaction-queue-torn-lines', { lines: queue.unreadableLines });
    }
    if (csms.online) this.handleOnlineChange(true);
  }

  /** The connector's state in the EVSE transition table. */
  get state(): EvseState {
    return this.evseState;
  }

  /**
   * What GET /evse shows (the dashboard): the EVSE state, the plugged-in EV and the state the EV
   * is last known to be in — inferred from what it told this EVSE over the link (the EV's own
   * machine runs in the emulator), and the power last sampled.
   */
  view(): EvseView {
    const ev = this.ev;
    return {
      chargePointId: this.chargePointId,
      evseState: this.evseState,
      evId: ev?.evId ?? null,
      evState: this.evStateSeen(),
      transactionId: ev?.transactionId ?? null,
      powerW: this.lastSample?.powerW ?? 0,
      mode: this.lastSample?.mode ?? null,
      limitW: ev?.lastGrant?.limitW ?? null,
      energyDeliveredWh: ev?.energyDeliveredWh ?? null,
      socPercent: ev?.socPercent ?? null,
      atMs: this.nowMs(),
    };
  }

  /** The EV machine's state (site evMachine) matching what the EV last did on the link. */
  private evStateSeen(): EvState {
    const ev = this.ev;
    if (ev === null) return 'not_connected';
    if (ev.delivering) {
      return ev.lastGrant?.mode === 'fail-safe'
        ? 'charging_without_profile'
        : 'charging_with_profile';
    }
    if (this.evseState === 'endSession' || this.evseState === 'charging') {
      return 'connected_not_charging';
    }
    if (ev.needs === null) {
      return this.evseState === 'energyNegotiation' ? 'sendNeeds' : 'connected_not_charging';
    }
    return ev.scheduleAgreed ? 'charging_with_profile' : 'receiveScheduling';
  }

  // -------------------------------------------------------------------------------------------
  // Inputs

  /** A new EV link connection: one EV session. */
  attachSession(session: EvLinkSession): void {
    session.handle((request) => this.handleRequest(session, request));
    session.onClose(() => {
      // After close() the process is stopping: the transaction stays open in the queue file and
      // is ended with stoppedReason Reboot at the next start.
      if (!this.closed && this.ev?.session === session) this.finishSession('unplug');
    });
  }

  /**
   * Fires a table event from outside (faults from an operator, tests). Returns false, with an error
   * logged, when the table refuses it in the current state.
   */
  fireEvent(event: EvseEvent | string): boolean {
    return this.fire(event);
  }

  /** The replica changed (after every applied batch) or the clock ticked: re-evaluate power. */
  evaluate(reason: 'applied' | 'tick' | 'boundary' | 'profile' = 'applied'): void {
    if (this.closed) return;
    this.recheckWaiters();
    const ev = this.ev;
    const limit = powerLimitAt(this.collaborators.replica.state, this.chargePointId, this.nowMs());
    this.armBoundary(limit);
    if (ev === null) {
      this.sample({ powerW: 0, mode: this.modeOf(limit, false), evId: null }, false);
      return;
    }
    const leased = isLeased(limit);
    if (this.evseState === 'charging') {
      if (ev.leased && !leased) {
        // lease.ts R4: the lease ran out on our clock; the profile no longer binds the site, fail-safe.
        if (this.fire('leaseLost')) this.fire('negotiationTimedOut');
        ev.scheduleAgreed = false;
        ev.leased = leased;
        this.tell(ev, 'lease-lost', limit);
      } else if (!ev.scheduleAgreed && leased && ev.needs !== null && this.scheduleReady(ev)) {
        // The lease is back (or the needs finally reached the replica): a profile replaces fail-safe.
        this.fire(ev.leased ? 'renegotiationRequested' : 'leaseRestored');
        ev.scheduleAgreed = true;
        ev.leased = leased;
        this.fire('scheduleAgreed');
        this.tell(ev, 'lease-restored', limit);
      } else {
        ev.leased = leased;
        const grant = this.grant(ev, limit);
        if (
          ev.lastGrant !== null &&
          (ev.lastGrant.limitW !== grant.limitW || ev.lastGrant.mode !== grant.mode)
        ) {
          this.tell(ev, 'renegotiation', limit);
        }
      }
    } else {
      ev.leased = leased;
    }
    const grant = this.grant(ev, limit);
    this.sample(
      { powerW: this.drawW(ev, grant), mode: grant.mode, evId: ev.evId },
      reason === 'tick',
    );
  }

  /** Stops timers and listeners; pending negotiations answer with what they have. */
  close(): void {
    this.closed = true;
    clearTimeout(this.boundaryTimer);
    this.unsubscribe();
    for (const waiter of [...this.waiters]) {
      this.waiters.delete(waiter);
      waiter.resolve(false);
    }
  }

  // -------------------------------------------------------------------------------------------
  // CSMS → charging station calls

  handleSetChargingProfile(request: SetChargingProfileRequest): 'Accepted' | 'Rejected' {
    const profile = request.chargingProfile;
    if (profile.chargingProfilePurpose !== 'TxProfile' || profile.transactionId === undefined) {
      // Only TxProfiles are used: the site's other limits come from the replica (fail-safe power).
      this.collaborators.logger.warn('charging-profile-ignored', {
        chargePointId: this.chargePointId,
        purpose: profile.chargingProfilePurpose,
      });
      return 'Accepted';
    }
    // K01.FR.03/K15: a TxProfile for a transaction not on this station is rejected.
    if (this.ev?.transactionId !== profile.transactionId) return 'Rejected';
    this.profiles.clear();
    this.profiles.set(profile.transactionId, request);
    this.collaborators.logger.info('charging-profile-received', {
      chargePointId: this.chargePointId,
      transactionId: profile.transactionId,
      profileId: profile.id,
    });
    // Let the response go out first (K15 step 5 precedes step 6), then act on it.
    setImmediate(() => this.evaluate('profile'));
    return 'Accepted';
  }

  handleReserveNow(request: ReserveNowRequest): ReserveNowStatus {
    if (this.evseState === 'failure') return 'Faulted';
    this.reservations.set(request.id, request);
    // H01.FR.11: a connector in use is Occupied; the reservation itself is agreed in the replica.
    return this.evseState === 'waitingEV' ? 'Accepted' : 'Occupied';
  }

  handleCancelReservation(reservationId: number): 'Accepted' | 'Rejected' {
    const known =
      this.reservations.delete(reservationId) ||
      this.collaborators.replica.state.reservations[String(reservationId)] !== undefined;
    // H02.FR.01: an unknown id is Rejected.
    return known ? 'Accepted' : 'Rejected';
  }

  // -------------------------------------------------------------------------------------------
  // EV link requests (ISO 15118-2)

  private async handleRequest(session: EvLinkSession, request: EvRequest): Promise<ResponseBody> {
    const ev = this.ev;
    if (request.type === 'SessionSetupReq') return this.sessionSetup(session, request);
    if (ev === null || ev.session !== session)
      return this.refusal(request.type, 'FAILED_UnknownSession');
    switch (request.type) {
      case 'ChargeParameterDiscoveryReq':
        return this.chargeParameterDiscovery(ev, request);
      case 'PowerDeliveryReq':
        return this.powerDelivery(ev, request.start);
      case 'ChargingStatusReq': {
        if (!ACTIVE_STATES.includes(this.evseState) && this.evseState !== 'endSession') {
          return this.refusal(request.type, 'FAILED_SequenceError');
        }
        ev.energyDeliveredWh = request.energyDeliveredWh;
        ev.socPercent = request.socPercent;
        this.maybeSendMeterValues(ev);
        return { type: 'ChargingStatusRes', responseCode: 'OK', ...this.answerGrant(ev) };
      }
      case 'SessionStopReq':
        this.finishSession('ev-stop');
        return { type: 'SessionStopRes', responseCode: 'OK' };
    }
  }

  private async sessionSetup(
    session: EvLinkSession,
    request: Extract<EvRequest, { type: 'SessionSetupReq' }>,
  ): Promise<ResponseBody> {
    const refuse = (): ResponseBody => ({
      type: 'SessionSetupRes',
      responseCode: 'FAILED',
      sessionId: '',
      chargePointId: this.chargePointId,
    });
    if (this.ev !== null || this.evseState !== 'waitingEV') {
      this.collaborators.logger.warn('ev-refused', {
        chargePointId: this.chargePointId,
        evId: request.evId,
        reason: `connector is ${this.evseState}`,
      });
      return this.ev?.session === session
        ? this.refusal('SessionSetupReq', 'FAILED_SequenceError')
        : refuse();
    }
    const idToken: IdToken = { idToken: request.idToken ?? request.evId, type: 'eMAID' };
    const ev: ActiveEv = {
      session,
      evId: request.evId,
      idToken,
      transactionId: null,
      startedQueueSeq: null,
      needs: null,
      scheduleAgreed: false,
      delivering: false,
      leased: false,
      energyDeliveredWh: 0,
      socPercent: null,
      lastMeterAtMs: 0,
      lastGrant: null,
    };
    this.ev = ev;
    this.fire('plugIn');
    this.notifyStatus('Occupied');
    this.fire('idTokenPresented');

    const status = await this.authorize(ev);
    if (this.ev !== ev) return refuse(); // unplugged meanwhile
    if (status !== 'Accepted') {
      this.fire('authorizationRejected');
      this.fire('sessionClosed');
      this.ev = null;
      this.notifyStatus('Available');
      return refuse();
    }
    this.fire('authorized');
    // TxStartPoint = Authorized (OCPP 2.0.1 E01/E03): the transaction starts once the EV is
    // authorised, so Started carries the idToken the CSMS needs for StartSession.
    ev.transactionId = this.newTransactionId();
    const reservationId = this.reservationFor(idToken.idToken);
    const started = this.enqueue({
      eventType: 'Started',
      timestamp: isoFromMs(this.nowMs()),
      triggerReason: 'Authorized',
      transactionInfo: { transactionId: ev.transactionId, chargingState: 'EVConnected' },
      evse: { id: CONNECTOR_ID, connectorId: CONNECTOR_ID },
      idToken,
      ...(reservationId !== null ? { reservationId } : {}),
    });
    ev.startedQueueSeq = started?.queueSeq ?? null;
    this.evaluate('applied');
    return {
      type: 'SessionSetupRes',
      responseCode: 'OK',
      sessionId: ev.transactionId,
      chargePointId: this.chargePointId,
    };
  }

  private async authorize(ev: ActiveEv): Promise<string> {
    // H01: a connector reserved (in the agreed state) for another idToken is not for this EV.
    const state = this.collaborators.replica.state;
    const now = this.nowMs();
    for (const reservation of Object.values(state.reservations)) {
      if (
        reservation.chargePointId === this.chargePointId &&
        reservation.connectorId === CONNECTOR_ID &&
        reservation.expiresAtMs > now &&
        reservation.idToken !== ev.idToken.idToken
      ) {
        this.collaborators.logger.warn('ev-refused', {
          chargePointId: this.chargePointId,
          evId: ev.evId,
          reason: `connector reserved (reservation ${reservation.reservationId})`,
        });
        return 'Reserved';
      }
    }
    if (!this.collaborators.csms.online) {
      // AuthCtrlr.LocalAuthorizationOffline + OfflineTxForUnknownIdEnabled (C12/C15): accept and let
      // the CSMS judge when the queued Started event reaches it.
      this.collaborators.logger.info('authorized-offline', {
        chargePointId: this.chargePointId,
        evId: ev.evId,
      });
      return 'Accepted';
    }
    try {
      return await this.collaborators.csms.authorize(ev.idToken);
    } catch (error) {
      this.collaborators.logger.warn('authorize-failed-offline-accept', {
        chargePointId: this.chargePointId,
        evId: ev.evId,
        error: errorText(error),
      });
      return 'Accepted';
    }
  }

  private async chargeParameterDiscovery(
    ev: ActiveEv,
    request: Extract<EvRequest, { type: 'ChargeParameterDiscoveryReq' }>,
  ): Promise<ResponseBody> {
    if (this.evseState === 'charging') {
      this.fire('renegotiationRequested'); // K17: EV-initiated renegotiation.
    } else if (this.evseState !== 'energyNegotiation') {
      return this.refusal('ChargeParameterDiscoveryReq', 'FAILED_SequenceError');
    }
    const needs: EvNeedsSent = {
      energyRequestedWh: request.energyRequestedWh,
      minPowerW: request.minPowerW,
      maxPowerW: request.maxPowerW,
      departureAtMs: request.departureAtMs,
    };
    ev.needs = needs;
    ev.scheduleAgreed = false;
    const deadlineMs =
      this.nowMs() + (this.options.negotiationTimeoutMs ?? NEGOTIATION_TIMEOUT_MS_DEFAULT);
    const agreed = await this.negotiate(ev, needs, deadlineMs);
    if (this.ev !== ev || ev.needs !== needs) {
      return this.refusal('ChargeParameterDiscoveryReq', 'FAILED_SequenceError');
    }
    ev.scheduleAgreed = agreed;
    // K15.FR.08/FR.15: no schedule in time, or offline: charge on the station's own limits.
    this.fire(agreed ? 'scheduleAgreed' : 'negotiationTimedOut');
    return { type: 'ChargeParameterDiscoveryRes', responseCode: 'OK', ...this.answerGrant(ev) };
  }

  /** K15 steps 2–5. Resolves true once a schedule for `needs` is agreed, false on offline/timeout. */
  private async negotiate(ev: ActiveEv, needs: EvNeedsSent, deadlineMs: number): Promise<boolean> {
    const { csms, replica } = this.collaborators;
    const limit = powerLimitAt(replica.state, this.chargePointId, this.nowMs());
    if (!csms.online || !isLeased(limit)) {
      this.collaborators.logger.info('negotiation-skipped', {
        chargePointId: this.chargePointId,
        evId: ev.evId,
        reason: csms.online ? `lease ${limit.mode}` : 'CSMS offline',
      });
      // Without a live lease the EV starts at fail-safe power now, but the site must still learn
      // its needs, or the schedule never uses them once the lease (and a grant) arrives.
      if (csms.online) this.sendNeedsWhenStartedDelivered(ev, needs);
      return false;
    }
    // The CSMS maps evseId to the transaction through the replica: Started must be applied first.
    const startedSent = await this.waitUntil(
      () =>
        ev.startedQueueSeq === null ||
        !this.collaborators.queue.list().some((q) => q.queueSeq === ev.startedQueueSeq),
      deadlineMs,
    );
    if (!startedSent || this.ev !== ev) return false;
    try {
      const status = await csms.notifyEvChargingNeeds({
        evseId: CONNECTOR_ID,
        energyAmountWh: needs.energyRequestedWh,
        minPowerW: needs.minPowerW,
        maxPowerW: needs.maxPowerW,
        departureAtMs: needs.departureAtMs,
      });
      if (status === 'Rejected') return false;
    } catch (error) {
      this.collaborators.logger.warn('notify-ev-charging-needs-failed', {
        chargePointId: this.chargePointId,
        evId: ev.evId,
        error: errorText(error),
      });
      return false;
    }
    return this.waitUntil(
      () => this.ev === ev && ev.needs === needs && this.scheduleReady(ev),
      deadlineMs,
    );
  }

  private powerDelivery(ev: ActiveEv, start: boolean): ResponseBody {
    if (!ACTIVE_STATES.includes(this.evseState)) {
      return this.refusal('PowerDeliveryReq', 'FAILED_SequenceError');
    }
    if (start) {
      ev.delivering = true;
      this.enqueueUpdated(ev, 'ChargingStateChanged', 'Charging');
    } else {
      ev.delivering = false;
      this.fire('stopRequested');
      this.enqueueUpdated(ev, 'ChargingStateChanged', 'EVConnected');
    }
    this.evaluate('applied');
    return { type: 'PowerDeliveryRes', responseCode: 'OK', ...this.answerGrant(ev) };
  }

  /** The EV stopped the session (SessionStopReq) or left (connection closed). */
  private finishSession(cause: 'ev-stop' | 'unplug'): void {
    const ev = this.ev;
    if (ev === null) return;
    ev.delivering = false;
    if (
      this.evseState !== 'endSession' &&
      this.evseState !== 'waitingEV' &&
      this.evseState !== 'failure'
    ) {
      const event: EvseEvent =
        cause === 'ev-stop' && ACTIVE_STATES.includes(this.evseState) ? 'stopRequested' : 'unplug';
      this.fire(event);
    }
    if (ev.transactionId !== null) {
      this.enqueue({
        eventType: 'Ended',
        timestamp: isoFromMs(this.nowMs()),
        triggerReason: cause === 'unplug' ? 'EVDeparted' : 'ChargingStateChanged',
        transactionInfo: {
          transactionId: ev.transactionId,
          chargingState: 'Idle',
          stoppedReason: cause === 'unplug' ? 'EVDisconnected' : 'StoppedByEV',
        },
        evse: { id: CONNECTOR_ID, connectorId: CONNECTOR_ID },
        meterValue: [this.meterValue(ev)],
      });
      this.profiles.delete(ev.transactionId);
    }
    if (this.evseState === 'endSession') this.fire('sessionClosed');
    this.ev = null;
    this.notifyStatus('Available');
    this.recheckWaiters();
    this.evaluate('applied');
  }

  // -------------------------------------------------------------------------------------------
  // Power

  private modeOf(limit: PowerLimit, scheduleAgreed: boolean): PowerMode {
    return isLeased(limit) && scheduleAgreed ? 'profile' : 'fail-safe';
  }

  /**
   * What the EV is told. One connector per charge point (docs/SITE.md), so the EV may use all the
   * charge point may draw: limit.powerW, which is ≤ what every other replica counts us at (lease.ts).
   */
  private grant(ev: ActiveEv, limit: PowerLimit): PowerGrant {
    const mode = this.modeOf(limit, ev.scheduleAgreed);
    const limitW = Math.max(0, Math.floor(limit.powerW));
    const schedule = mode === 'profile' ? this.scheduleFor(ev) : undefined;
    return schedule === undefined ? { limitW, mode } : { limitW, mode, schedule };
  }

  private answerGrant(ev: ActiveEv): PowerGrant {
    const limit = powerLimitAt(this.collaborators.replica.state, this.chargePointId, this.nowMs());
    const grant = this.grant(ev, limit);
    ev.lastGrant = { limitW: grant.limitW, mode: grant.mode };
    return grant;
  }

  private tell(
    ev: ActiveEv,
    reason: 'renegotiation' | 'lease-lost' | 'lease-restored',
    limit: PowerLimit,
  ): void {
    const grant = this.grant(ev, limit);
    ev.lastGrant = { limitW: grant.limitW, mode: grant.mode };
    ev.session.notify({ reason, ...grant });
  }

  /** Power actually drawn: the grant while the contactor is closed, capped by the EV's maximum. */
  private drawW(ev: ActiveEv, grant: PowerGrant): number {
    if (!ev.delivering || !ACTIVE_STATES.includes(this.evseState)) return 0;
    return Math.min(grant.limitW, ev.needs?.maxPowerW ?? grant.limitW);
  }

  private sample(
    next: { powerW: number; mode: PowerMode; evId: string | null },
    periodic: boolean,
  ): void {
    const last = this.lastSample;
    const changed =
      last === null ||
      last.powerW !== next.powerW ||
      last.mode !== next.mode ||
      last.evId !== next.evId;
    // Once per second while an EV is connected, and on every change (docs/SITE.md).
    if (!changed && !(periodic && next.evId !== null)) return;
    this.lastSample = next;
    this.collaborators.logger.info('power', {
      chargePointId: this.chargePointId,
      atMs: this.nowMs(),
      ...next,
    });
  }

  /** Re-evaluates exactly when the lease rules change the limit (lease.ts R4), not only on ticks. */
  private armBoundary(limit: PowerLimit): void {
    clearTimeout(this.boundaryTimer);
    this.boundaryTimer = undefined;
    if (limit.nextChangeAtMs === null || this.closed) return;
    const delayMs = Math.min(Math.max(0, limit.nextChangeAtMs - this.nowMs() + 1), 2 ** 31 - 1);
    this.boundaryTimer = setTimeout(() => this.evaluate('boundary'), delayMs);
    this.boundaryTimer.unref();
  }

  /** The schedule agreed for the EV's transaction: the CSMS's TxProfile, else the replica's. */
  private scheduleFor(ev: ActiveEv): EvChargingSchedule | undefined {
    if (ev.transactionId === null) return undefined;
    const received = this.profiles.get(ev.transactionId)?.chargingProfile;
    const profile =
      received ??
      buildChargingProfiles(this.collaborators.replica.state, this.nowMs()).find(
        (candidate) => candidate.chargingProfile.transactionId === ev.transactionId,
      )?.chargingProfile;
    const schedule = profile?.chargingSchedule[0];
    if (profile === undefined || schedule === undefined || schedule.chargingRateUnit !== 'W')
      return undefined;
    const startAtMs =
      schedule.startSchedule === undefined ? this.nowMs() : Date.parse(schedule.startSchedule);
    if (!Number.isFinite(startAtMs) || schedule.chargingSchedulePeriod.length === 0)
      return undefined;
    return {
      scheduleId: profile.id,
      startAtMs,
      periods: schedule.chargingSchedulePeriod.slice(0, 24).map((period) => ({
        startOffsetS: Math.floor(period.startPeriod),
        limitW: Math.floor(period.limit),
      })),
    };
  }

  /** The needs are agreed: the CSMS sent a TxProfile, or the replica holds exactly these needs. */
  private scheduleReady(ev: ActiveEv): boolean {
    if (ev.transactionId === null || ev.needs === null) return false;
    if (this.profiles.has(ev.transactionId)) return true;
    const session = this.collaborators.replica.state.sessions[ev.transactionId];
    const needs = session?.needs;
    return (
      needs !== null &&
      needs !== undefined &&
      needs.energyRequestedWh === ev.needs.energyRequestedWh &&
      needs.minPowerW === ev.needs.minPowerW &&
      needs.maxPowerW === ev.needs.maxPowerW &&
      needs.departureAtMs === ev.needs.departureAtMs
    );
  }

  // -------------------------------------------------------------------------------------------
  // OCPP side

  private handleOnlineChange(online: boolean): void {
    this.collaborators.logger.info('csms-link', { chargePointId: this.chargePointId, online });
    if (!online || this.closed) return;
    // B04: after reconnecting, report the connector's status; then send what was queued (E04).
    this.notifyStatus(this.connectorStatus());
    void this.pump();
    const ev = this.ev;
    if (
      ev !== null &&
      ev.needs !== null &&
      !ev.scheduleAgreed &&
      ACTIVE_STATES.includes(this.evseState)
    ) {
      // Needs stated while offline never reached the site: send them now (K17-like).
      this.sendNeedsWhenStartedDelivered(ev, ev.needs);
    }
  }

  /**
   * Sends the EV's needs to the CSMS once the queue delivered its Started (the CSMS finds the
   * transaction through the replica), so the site schedules by them; evaluate() switches the EV
   * to 'profile' when its grant is applied. Fire and forget: a failure is logged.
   */
  private sendNeedsWhenStartedDelivered(ev: ActiveEv, needs: EvNeedsSent): void {
    void this.waitUntil(() => this.collaborators.queue.size === 0, this.nowMs() + 60_000).then(
      (drained) => {
        if (!drained || this.ev !== ev || ev.needs !== needs || !this.collaborators.csms.online)
          return;
        this.collaborators.csms
          .notifyEvChargingNeeds({
            evseId: CONNECTOR_ID,
            energyAmountWh: needs.energyRequestedWh,
            minPowerW: needs.minPowerW,
            maxPowerW: needs.maxPowerW,
            departureAtMs: needs.departureAtMs,
          })
          .catch((error: unknown) =>
            this.collaborators.logger.warn('notify-ev-charging-needs-failed', {
              chargePointId: this.chargePointId,
              error: errorText(error),
            }),
          );
      },
    );
  }

  private connectorStatus(): ConnectorStatus {
    if (this.evseState === 'failure') return 'Faulted';
    return this.evseState === 'waitingEV' ? 'Available' : 'Occupied';
  }

  private notifyStatus(status: ConnectorStatus): void {
    const { csms, logger } = this.collaborators;
    if (!csms.online) return; // B04: sent on reconnect instead.
    csms.statusNotification(status).catch((error: unknown) =>
      logger.warn('status-notification-failed', {
        chargePointId: this.chargePointId,
        error: errorText(error),
      }),
    );
  }

  private enqueueUpdated(
    ev: ActiveEv,
    triggerReason: TransactionEventRequest['triggerReason'],
    chargingState: 'Charging' | 'EVConnected',
  ): void {
    if (ev.transactionId === null) return;
    this.enqueue({
      eventType: 'Updated',
      timestamp: isoFromMs(this.nowMs()),
      triggerReason,
      transactionInfo: { transactionId: ev.transactionId, chargingState },
      evse: { id: CONNECTOR_ID, connectorId: CONNECTOR_ID },
      meterValue: [this.meterValue(ev)],
    });
  }

  private maybeSendMeterValues(ev: ActiveEv): void {
    const now = this.nowMs();
    if (
      now - ev.lastMeterAtMs <
      (this.options.meterValueIntervalMs ?? METER_VALUE_INTERVAL_MS_DEFAULT)
    )
      return;
    ev.lastMeterAtMs = now;
    this.enqueueUpdated(ev, 'MeterValuePeriodic', ev.delivering ? 'Charging' : 'EVConnected');
  }

  private meterValue(ev: ActiveEv) {
    return {
      timestamp: isoFromMs(this.nowMs()),
      sampledValue: [
        {
          value: ev.energyDeliveredWh,
          measurand: 'Energy.Active.Import.Register' as const,
          unitOfMeasure: { unit: 'Wh' },
        },
        ...(ev.socPercent !== null
          ? [
              {
                value: ev.socPercent,
                measurand: 'SoC' as const,
                unitOfMeasure: { unit: 'Percent' },
              },
            ]
          : []),
      ],
    };
  }

  private enqueue(event: NewTransactionEvent) {
    const queued = this.collaborators.queue.enqueue(event, !this.collaborators.csms.online);
    if (queued === null) {
      this.collaborators.logger.error('transaction-event-queue-full', {
        chargePointId: this.chargePointId,
        eventType: event.eventType,
        transactionId: event.transactionInfo.transactionId,
      });
      return null;
    }
    void this.pump();
    return queued;
  }

  /** Sends queued TransactionEvents in order while online (E04.FR.01–03). One at a time (OCPP-J §4.1.1). */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    const { csms, queue, logger } = this.collaborators;
    let attempts = 0;
    try {
      while (!this.closed && csms.online) {
        const head = queue.peek();
        if (head === undefined) break;
        try {
          await csms.transactionEvent(head.request);
          queue.acknowledge(head.queueSeq);
          attempts = 0;
          this.recheckWaiters();
        } catch (error) {
          attempts += 1;
          logger.warn('transaction-event-failed', {
            chargePointId: this.chargePointId,
            seqNo: head.request.seqNo,
            transactionId: head.request.transactionInfo.transactionId,
            attempts,
            error: errorText(error),
          });
          if (csms.online && attempts >= (this.options.sendAttemptsMax ?? 10)) {
            // A message the CSMS refuses every time would block every later one: drop it, loudly.
            logger.error('transaction-event-dropped', {
              chargePointId: this.chargePointId,
              request: head.request,
            });
            queue.acknowledge(head.queueSeq);
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

  // -------------------------------------------------------------------------------------------
  // Helpers

  private fire(event: EvseEvent | string): boolean {
    const from = this.evseState;
    const result = transition(evseMachine, from, event);
    const evId = this.ev?.evId ?? null;
    if (!result.ok) {
      // Operating error (the event came from outside): refuse, log, keep the state.
      this.collaborators.logger.error('evse-transition-refused', {
        chargePointId: this.chargePointId,
        evId,
        from,
        event,
        reason: result.reason,
      });
      return false;
    }
    this.evseState = result.state;
    this.collaborators.logger.info('evse-transition', {
      chargePointId: this.chargePointId,
      evId,
      from,
      to: result.state,
      event,
    });
    return true;
  }

  private refusal(type: EvRequest['type'], responseCode: ResponseCode): ResponseBody {
    switch (type) {
      case 'SessionSetupReq':
        return {
          type: 'SessionSetupRes',
          responseCode,
          sessionId: '',
          chargePointId: this.chargePointId,
        };
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

  private reservationFor(idToken: string): number | null {
    const now = this.nowMs();
    for (const reservation of Object.values(this.collaborators.replica.state.reservations)) {
      if (
        reservation.chargePointId === this.chargePointId &&
        reservation.idToken === idToken &&
        reservation.expiresAtMs > now
      ) {
        return reservation.reservationId;
      }
    }
    return null;
  }

  private waitUntil(check: () => boolean, deadlineMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      let done = false;
      const finish = (ok: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(ok);
      };
      const waiter: Waiter = { check, resolve: finish };
      const timer = setTimeout(() => finish(check()), Math.max(0, deadlineMs - this.nowMs()));
      this.waiters.add(waiter);
    });
  }

  private recheckWaiters(): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.check()) waiter.resolve(true);
    }
  }
}

function isLeased(limit: PowerLimit): boolean {
  return limit.mode === 'leased' || limit.mode === 'probation';
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

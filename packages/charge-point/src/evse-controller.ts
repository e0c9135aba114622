/**
 * The EVSE controller: one connector, driven by the site's `evseMachine` transition table (evse.ts).
 * It wires the single-purpose parts together and is what the node process holds:
 *   - the EV session (ev-session.ts): the EV link side, ISO 15118-2-style requests;
 *   - the power governor (power-governor.ts): what the EV may draw, a pure function of this node's
 *     own replica and clock;
 *   - the OCPP pump (ocpp-pump.ts) beside the durable TransactionEvent queue;
 * and answers the CSMS's calls (SetChargingProfile, ReserveNow, CancelReservation). Outputs: EV link
 * responses and notifications, OCPP calls, and the "evse-transition" and "power" log lines. Every
 * collaborator is injected (docs/STYLE.md rule 8), so the tests drive it with a fake CSMS link and
 * a hand-built replica.
 *
 * Power (docs/DESIGN.md, lease.ts): what the EV may draw is always `powerLimitAt(replica, cpId, now)`
 * on this node's own replica — never the CSMS's word — so a cut-off charge point falls to its
 * fail-safe power on time by its own clock. The TxProfile the CSMS sends is acknowledged and logged
 * (OCPP K01/K15); the replica already holds the schedule it carries.
 */
import { randomUUID } from 'node:crypto';
import type { EvLinkSession, PowerMode } from '@evpaxos/ev-link';
import {
  powerLimitAt,
  failSafePowerW,
  type EvseEvent,
  type EvseState,
  type EvState,
  type PowerLimit,
  type SiteState,
} from '@evpaxos/site';
import {
  METER_VALUE_INTERVAL_MS_DEFAULT,
  NEGOTIATION_TIMEOUT_MS_DEFAULT,
  RESET_DRAIN_WAIT_MS,
  RESET_ON_IDLE_WAIT_MS_MAX,
} from './constants';
import type {
  CsmsLink,
  ReserveNowRequest,
  ReserveNowStatus,
  SetChargingProfileRequest,
} from './csms-link';
import { EvSession, type PluggedEv } from './ev-session';
import { Evse } from './evse';
import type { ControllerLogger } from './logger';
import { OcppPump } from './ocpp-pump';
import {
  drawW,
  grantFor,
  isLeased,
  powerChange,
  powerMode,
  type PowerChange,
} from './power-governor';
import { rebootEndedEvent } from './transaction-events';
import type { TransactionQueue } from './transaction-queue';
import { Waiters } from './waiters';

export type { ControllerLogger } from './logger';

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

/** GET /evse's answer on a charge point (EvseController.view). */
export interface EvseView {
  readonly chargePointId: string;
  readonly evseState: EvseState;
  readonly evId: string | null;
  /** Inferred from the link: see EvSession.evStateSeen. */
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

interface PowerSample {
  readonly powerW: number;
  readonly mode: PowerMode;
  readonly evId: string | null;
}

export class EvseController {
  private readonly evse: Evse;
  private readonly ocpp: OcppPump;
  private readonly session: EvSession;
  private readonly waiters: Waiters;
  private readonly reservations = new Map<number, ReserveNowRequest>();
  /** The replica's limit at the last evaluation: a lease edge is a change from it. */
  private lastLimit: PowerLimit | null = null;
  private lastSample: PowerSample | null = null;
  private closed = false;
  private boundaryTimer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;
  private readonly chargePointId: string;
  private readonly nowMs: () => number;
  private readonly replica: { readonly state: SiteState };
  private readonly logger: ControllerLogger;

  constructor(options: EvseControllerOptions, collaborators: EvseControllerCollaborators) {
    const { chargePointId } = options;
    const { csms, queue, logger, replica } = collaborators;
    this.chargePointId = chargePointId;
    this.replica = replica;
    this.logger = logger;
    this.nowMs = collaborators.nowMs ?? Date.now;
    this.waiters = new Waiters(this.nowMs);
    this.evse = new Evse(chargePointId, logger);
    this.ocpp = new OcppPump({
      chargePointId,
      csms,
      queue,
      logger,
      ...(options.sendAttemptsMax !== undefined
        ? { sendAttemptsMax: options.sendAttemptsMax }
        : {}),
      onDelivered: () => this.waiters.recheck(),
      onIdTokenRefused: (transactionId, status) => {
        // E05 / TxCtrlr.StopTxOnInvalidId: a transaction authorised offline (C12/C15) or started on
        // an EVSE the site refuses ends once the CSMS's verdict arrives.
        logger.warn('transaction-deauthorized', { chargePointId, transactionId, status });
        this.session.remote.stop(transactionId, 'deauthorized');
      },
    });
    this.session = new EvSession(
      {
        chargePointId,
        negotiationTimeoutMs: options.negotiationTimeoutMs ?? NEGOTIATION_TIMEOUT_MS_DEFAULT,
        meterValueIntervalMs: options.meterValueIntervalMs ?? METER_VALUE_INTERVAL_MS_DEFAULT,
      },
      {
        evse: this.evse,
        ocpp: this.ocpp,
        csms,
        replica,
        waiters: this.waiters,
        logger,
        nowMs: this.nowMs,
        newTransactionId: collaborators.newTransactionId ?? randomUUID,
        evaluate: () => this.evaluate('applied'),
      },
    );
    csms.setHandlers({
      setChargingProfile: (request) => this.handleSetChargingProfile(request),
      reserveNow: (request) => this.handleReserveNow(request),
      cancelReservation: (id) => this.handleCancelReservation(id),
      view: () => this.view(),
      requestStartTransaction: (request) => this.session.remote.start(request),
      requestStopTransaction: (transactionId) =>
        this.session.remote.stop(transactionId, 'remote-stop'),
      endTransactionForReset: () => this.endTransactionForReset(),
      whenIdle: () =>
        this.waiters.until(
          () => this.session.transactionId === null,
          this.nowMs() + RESET_ON_IDLE_WAIT_MS_MAX,
        ),
    });
    this.unsubscribe = csms.onOnlineChange((online) => this.handleOnlineChange(online));
    // Transactions open when the process stopped cannot go on (the EV link dropped with it): close
    // them now, so the CSMS and the replica end those sessions. OCPP 2.0.1 E04 + stoppedReason Reboot.
    for (const transactionId of queue.openTransactions()) {
      this.ocpp.enqueue(rebootEndedEvent(transactionId, this.nowMs()));
    }
    if (queue.unreadableLines > 0) {
      logger.warn('transaction-queue-torn-lines', { lines: queue.unreadableLines });
    }
    if (csms.online) this.handleOnlineChange(true);
  }

  /** The connector's state in the EVSE transition table. */
  get state(): EvseState {
    return this.evse.state;
  }

  /**
   * What GET /evse shows (the dashboard): the EVSE state, the plugged-in EV and the state the EV
   * is last known to be in, and the power last sampled.
   */
  view(): EvseView {
    const ev = this.session.current;
    return {
      chargePointId: this.chargePointId,
      evseState: this.evse.state,
      evId: ev?.evId ?? null,
      evState: this.session.evStateSeen(),
      transactionId: this.session.transactionId,
      powerW: this.lastSample?.powerW ?? 0,
      mode: this.lastSample?.mode ?? null,
      limitW: ev?.lastGrant?.limitW ?? null,
      energyDeliveredWh: ev?.energyDeliveredWh ?? null,
      socPercent: ev?.socPercent ?? null,
      atMs: this.nowMs(),
    };
  }

  /** A new EV link connection: one EV session. */
  attachSession(link: EvLinkSession): void {
    this.session.attach(link);
  }

  /**
   * Fires a table event from outside (faults from an operator, tests). Returns false, with an error
   * logged, when the table refuses it in the current state.
   */
  fireEvent(event: EvseEvent | string): boolean {
    return this.evse.fire(event, this.session.current?.evId ?? null);
  }

  /**
   * The EVSE fails (an operator, a scenario's `fault` step, docs/SITE.md "Faults"): the EV on it is
   * told to stop (EvseNotification stop-charging), the connector goes to `failure`, and the CSMS
   * hears StatusNotification Faulted, which the site records as ChargePointFaulted, freeing this
   * charge point's power share (G01). False, with the reason logged, when it already failed.
   */
  fault(): boolean {
    const ev = this.session.current;
    if (!this.evse.fire('fault', ev?.evId ?? null)) return false;
    if (ev !== null) this.session.tellToStop(ev);
    this.ocpp.notifyStatus(this.evse.connectorStatus);
    this.evaluate();
    return true;
  }

  /**
   * The fault is cleared: `failure` → `waitingEV`, StatusNotification Available (ChargePointRecovered
   * at the site). False, with the reason logged, when the EVSE had not failed.
   */
  recover(): boolean {
    if (!this.evse.fire('recover', this.session.current?.evId ?? null)) return false;
    this.ocpp.notifyStatus(this.evse.connectorStatus);
    this.evaluate();
    return true;
  }

  /** The EVSE's state (site evseMachine). */
  get evseState(): string {
    return this.evse.state;
  }

  /** The replica changed (after every applied batch) or the clock ticked: re-evaluate power. */
  evaluate(reason: 'applied' | 'tick' | 'boundary' = 'applied'): void {
    if (this.closed) return;
    this.waiters.recheck();
    const { state } = this.replica;
    const nowMs = this.nowMs();
    const limit = powerLimitAt(state, this.chargePointId, nowMs);
    const wasLeased = this.lastLimit !== null && isLeased(this.lastLimit);
    this.lastLimit = limit;
    this.armBoundary(limit);
    const ev = this.session.current;
    if (ev === null) {
      this.sample({ powerW: 0, mode: powerMode(limit, false), evId: null }, false, limit);
      return;
    }
    const change = powerChange({
      evseState: this.evse.state,
      scheduleAgreed: this.evse.scheduleAgreed,
      wasLeased,
      leased: isLeased(limit),
      needsAgreed: this.session.needsAgreed(ev),
      lastGrant: ev.lastGrant,
      grant: grantFor(state, limit, this.session.powerFacts(ev), nowMs),
    });
    this.applyChange(ev, change, wasLeased, limit);
    const facts = this.session.powerFacts(ev);
    const grant = grantFor(state, limit, facts, nowMs);
    this.sample(
      { powerW: drawW(grant, facts), mode: grant.mode, evId: ev.evId },
      reason === 'tick',
      limit,
    );
  }

  /** Stops timers and listeners; pending negotiations answer with what they have. */
  close(): void {
    this.closed = true;
    clearTimeout(this.boundaryTimer);
    this.unsubscribe();
    this.session.close();
    this.ocpp.close();
    this.waiters.close();
  }

  // -------------------------------------------------------------------------------------------
  // CSMS → charging station calls

  handleSetChargingProfile(request: SetChargingProfileRequest): 'Accepted' | 'Rejected' {
    const profile = request.chargingProfile;
    const { logger } = this;
    if (profile.chargingProfilePurpose !== 'TxProfile' || profile.transactionId === undefined) {
      // Only TxProfiles are used: the site's other limits come from the replica (fail-safe power).
      logger.warn('charging-profile-ignored', {
        chargePointId: this.chargePointId,
        purpose: profile.chargingProfilePurpose,
      });
      return 'Accepted';
    }
    // K01.FR.03/K15: a TxProfile for a transaction not on this station is rejected. A transaction
    // started remotely and waiting for its EV (F02) is on it: a refusal would be recorded as "no
    // Smart Charging" for good (docs/OCPP.md).
    if (this.session.transactionId !== profile.transactionId) return 'Rejected';
    // The schedule it carries is the one this node's replica computes from the same agreed state
    // (power-governor.ts): the profile is acknowledged and recorded, the watts come from the replica.
    logger.info('charging-profile-received', {
      chargePointId: this.chargePointId,
      transactionId: profile.transactionId,
      profileId: profile.id,
    });
    return 'Accepted';
  }

  /**
   * B12 Reset Immediate: the running transaction ends (ImmediateReset) and the CSMS is given up to
   * RESET_DRAIN_WAIT_MS to receive it before the link closes; what is left is sent after the reboot
   * (the queue is durable, E04).
   */
  async endTransactionForReset(): Promise<void> {
    const transactionId = this.session.transactionId;
    if (transactionId !== null) this.session.remote.stop(transactionId, 'immediate-reset');
    await this.waiters.until(() => this.ocpp.drained, this.nowMs() + RESET_DRAIN_WAIT_MS);
  }

  handleReserveNow(request: ReserveNowRequest): ReserveNowStatus {
    if (this.evse.state === 'failure') return 'Faulted';
    this.reservations.set(request.id, request);
    // H01.FR.11: a connector in use is Occupied; the reservation itself is agreed in the replica.
    return this.evse.state === 'waitingEV' ? 'Accepted' : 'Occupied';
  }

  handleCancelReservation(reservationId: number): 'Accepted' | 'Rejected' {
    const known =
      this.reservations.delete(reservationId) ||
      this.replica.state.reservations[String(reservationId)] !== undefined;
    // H02.FR.01: an unknown id is Rejected.
    return known ? 'Accepted' : 'Rejected';
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  /** Fires the EVSE events a power change calls for and tells the EV its new grant. */
  private applyChange(
    ev: PluggedEv,
    change: PowerChange,
    wasLeased: boolean,
    limit: PowerLimit,
  ): void {
    switch (change) {
      case 'lease-lost':
        // lease.ts R4: the lease ran out on our clock; the profile no longer binds the site, fail-safe.
        if (this.evse.fire('leaseLost', ev.evId)) this.evse.fire('negotiationTimedOut', ev.evId);
        this.session.tell(ev, 'lease-lost', limit);
        return;
      case 'lease-restored':
        // The lease is back (or the needs finally reached the replica): a profile replaces fail-safe.
        this.evse.fire(wasLeased ? 'renegotiationRequested' : 'leaseRestored', ev.evId);
        this.evse.fire('scheduleAgreed', ev.evId);
        this.session.tell(ev, 'lease-restored', limit);
        return;
      case 'renegotiation':
        this.session.tell(ev, 'renegotiation', limit);
        return;
      case 'none':
        return;
    }
  }

  private handleOnlineChange(online: boolean): void {
    this.logger.info('csms-link', { chargePointId: this.chargePointId, online });
    if (!online || this.closed) return;
    // B04: after reconnecting, report the connector's status; then send what was queued (E04).
    this.ocpp.notifyStatus(this.evse.connectorStatus);
    void this.ocpp.pump();
    this.session.resendNeedsAfterReconnect();
  }

  /**
   * Logs a "power" line on a change, and once a second while an EV is connected (docs/SITE.md).
   * It says until when this power may hold without another line (`untilMs`: the replica's next
   * lease edge, when this charge point re-evaluates by itself) and the site's fail-safe power, so
   * `evpaxos verify` counts a charge point that went silent past `untilMs` (killed) as the site
   * does: at most its fail-safe power (docs/SITE.md, "Leases").
   */
  private sample(next: PowerSample, periodic: boolean, limit: PowerLimit): void {
    const last = this.lastSample;
    const changed =
      last === null ||
      last.powerW !== next.powerW ||
      last.mode !== next.mode ||
      last.evId !== next.evId;
    if (!changed && !(periodic && next.evId !== null)) return;
    this.lastSample = next;
    this.logger.info('power', {
      chargePointId: this.chargePointId,
      atMs: this.nowMs(),
      ...next,
      untilMs: limit.nextChangeAtMs,
      failSafeW: failSafePowerW(this.replica.state),
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
}

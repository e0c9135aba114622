/**
 * The central system as a CSMS: the OCPP-J server wired to the replicated site state.
 *
 * - Every central serves stations (docs/OCPP.md, "Failover"): a leader change closes no station
 *   connection. Everything a station reports that changes the site becomes a SiteCommand; on a
 *   standby it is forwarded to the leader (log-client.ts), and the station is answered once it is
 *   agreed. Calls to a station go through the central that holds it (station-calls.ts).
 * - A TransactionEvent is acknowledged only once its command is decided and applied,
 *   so a station's durable queue (E04) never drops an event the site has not agreed on.
 * - After every applied batch, each central recomputes the TxProfiles (site buildChargingProfiles)
 *   from its replica and pushes, to the stations it holds, those whose allocation changed
 *   (K15.FR.08: within 60 s of NotifyEVChargingNeeds).
 */
import {
  LEASE_MESSAGE_ID,
  LEASE_VENDOR_ID,
  callError,
  CsmsServer,
  OcppError,
  type CsmsAction,
  type CsmsToChargingStation,
  type StationPasswordLookup,
  type BootNotificationResponse,
  type NotifyEVChargingNeedsRequest,
  type NotifyEVChargingNeedsResponse,
  type StatusNotificationRequest,
} from '@evpaxos/ocpp';
import type { CallOutcome, ClusterNode, Logger } from '@evpaxos/runtime';
import {
  buildChargingProfiles,
  isoFromMs,
  type SetChargingProfile,
  type SiteCommand,
  type SiteErrorCode,
  type SiteResult,
  type SiteState,
} from '@evpaxos/site';
import {
  CHARGE_POINT_MAX_POWER_W_DEFAULT,
  CONNECTOR_COUNT_DEFAULT,
  CSMS_CALL_TIMEOUT_MS,
  HEARTBEAT_INTERVAL_S,
  PROFILE_DEADLINE_MS,
} from './constants';
import { leaseAsksForwarder, leaseAsksRoutes } from './lease-asks-route';
import { LeaseRenewals } from './lease-renewals';
import { LogClient } from './log-client';
import { needsFromRequest } from './needs';
import { gateStationsByFaults } from './partition-gate';
import { StationCalls } from './station-calls';
import { ProfileRefusals } from './profile-refusals';
import { idTokenInfoFor, StationReports } from './station-reports';
import { TransactionEvents } from './transaction-events';

/** Distributes SiteCommand over its union, so each literal keeps its own fields. */
type WithoutAtMs<T> = T extends unknown ? Omit<T, 'atMs'> : never;
export type CommandDraft = WithoutAtMs<SiteCommand>;

export interface CentralServiceOptions {
  readonly host: string;
  readonly port: number;
  /** Security Profile 2: the server certificate and key (PEM). Absent: ws://. */
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
  /** Per-station call rate limit (docs/OCPP.md, "Bad input"); defaults in @evpaxos/ocpp. */
  readonly callsPerSecondMax?: number;
  readonly callBurstMax?: number;
}

export interface CentralServiceCollaborators {
  readonly node: ClusterNode;
  /** The central's replica of the site state. */
  readonly readState: () => SiteState;
  readonly logger: Logger;
  /** Wall clock, ms (stamps `atMs`; default Date.now). */
  readonly nowMs?: () => number;
  /** Security Profile 1: each identity's password; absent: no authentication (profile 0). */
  readonly passwordOf?: StationPasswordLookup;
}

/**
 * The outcome of a submitted command, with the reducer's result when it was applied; or, with slot
 * null, the rejection of a command refused before it was proposed (parseSiteCommand: it broke a
 * rule that needs no state), so callers answer the station exactly as for a rejected one.
 */
export type SubmitOutcome =
  | { readonly ok: true; readonly slot: number | null; readonly result: SiteResult }
  | {
      readonly ok: false;
      readonly code: Exclude<Exclude<CallOutcome, { ok: true }>['code'], 'invalid-command'>;
    };

interface ProfilePush {
  /** The allocation we last got Accepted (or are sending): first period's limit + profile id. */
  signature: string;
  inFlight: boolean;
  /** A newer allocation arrived while one was in flight. */
  dirty: boolean;
}

export class CentralService {
  readonly server: CsmsServer;
  private readonly node: ClusterNode;
  private readonly readState: () => SiteState;
  private readonly logger: Logger;
  private readonly nowMs: () => number;
  private readonly unsubscribers: (() => void)[] = [];
  private readonly log: LogClient;
  private readonly stationCalls: StationCalls;
  private readonly leases: LeaseRenewals;
  /** By transactionId. */
  private readonly pushes = new Map<string, ProfilePush>();
  /**
   * By transactionId: when (performance.now) the EV's needs arrived, and whether the UpdateNeeds is
   * applied (only a profile built after that answers the needs), until that profile goes out.
   */
  private readonly needsArrivedAt = new Map<string, { atMs: number; applied: boolean }>();
  private pushScheduled = false;
  private closed = false;
  private readonly reports: StationReports;
  private readonly refusals: ProfileRefusals;
  private readonly transactionEvents: TransactionEvents;

  constructor(options: CentralServiceOptions, collaborators: CentralServiceCollaborators) {
    this.node = collaborators.node;
    this.readState = collaborators.readState;
    this.logger = collaborators.logger;
    this.nowMs = collaborators.nowMs ?? Date.now;
    this.server = new CsmsServer(
      { ...options, callTimeoutMs: CSMS_CALL_TIMEOUT_MS },
      {
        logger: this.logger,
        ...(collaborators.passwordOf === undefined ? {} : { passwordOf: collaborators.passwordOf }),
      },
    );
    const submit = (draft: CommandDraft) => this.submit(draft);
    this.log = new LogClient(this.node, this.logger);
    this.stationCalls = new StationCalls(this.server, this.node, this.logger);
    this.leases = new LeaseRenewals({
      memberIds: this.node.config.nodes.map((member) => member.id),
      readState: this.readState,
      nowMs: this.nowMs,
      submit,
      logger: this.logger,
      isLeader: () => this.node.isLeader,
      forward: leaseAsksForwarder(this.node, this.logger),
    });
    this.reports = new StationReports({ submit, readState: this.readState, logger: this.logger });
    this.refusals = new ProfileRefusals(submit, this.readState, this.logger);
    this.transactionEvents = new TransactionEvents({
      submitOrCallError: (draft) => this.submitOrCallError(draft),
      reports: this.reports,
      logger: this.logger,
      onEnded: (transactionId) => {
        this.needsArrivedAt.delete(transactionId);
        this.pushes.delete(transactionId);
      },
    });
    this.registerHandlers();
    this.reports.register(this.server);
  }

  async start(): Promise<number> {
    const port = await this.server.listen();
    this.unsubscribers.push(
      // A partition cuts a station's OCPP link too (partition-gate.ts; docs/OCPP.md, "Failover").
      gateStationsByFaults(this.server, this.node, this.logger),
      this.node.onApplied(() => this.schedulePush()),
      this.node.onEvent((event) => {
        // Leadership changes nothing for the stations we hold (docs/OCPP.md, "Failover").
        if (event.type === 'became-leader')
          this.logger.info('csms-leading', { ballot: event.ballot });
      }),
      this.server.on('connected', ({ chargePointId }) => {
        // A station that (re)connects gets its sessions' profiles again from this central.
        for (const [transactionId, push] of this.pushes) {
          if (this.readState().sessions[transactionId]?.chargePointId === chargePointId) {
            push.signature = '';
          }
        }
        this.schedulePush();
      }),
    );
    return port;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.leases.close();
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    await this.server.close();
  }

  /** The HTTP routes this service adds to the central's API (the relay between centrals). */
  routes() {
    return this.stationCalls.routes();
  }

  /** POST /lease-renewals/asks: a standby's stations' lease renewal asks (lease-asks-route.ts). */
  leaseRoutes() {
    return leaseAsksRoutes(this.leases);
  }

  /** A CSMS-initiated call to a station held by any central (station-calls.ts). */
  callStation<Action extends CsmsAction>(
    chargePointId: string,
    action: Action,
    request: CsmsToChargingStation[Action][0],
  ): Promise<CsmsToChargingStation[Action][1]> {
    return this.stationCalls.call(chargePointId, action, request);
  }

  /** Stamps `atMs`, submits (forwarded to the leader from a standby), waits until applied. */
  async submit(draft: CommandDraft): Promise<SubmitOutcome> {
    const payload = { ...draft, atMs: this.nowMs() } as SiteCommand;
    const outcome = await this.log.submit(payload);
    if (!outcome.ok && outcome.code === 'invalid-command') {
      // The node's validator is parseSiteCommand (extension.ts), so its codes are the site's.
      const code = outcome.commandCode as SiteErrorCode;
      return { ok: true, slot: null, result: { ok: false, code, reason: outcome.reason } };
    }
    if (!outcome.ok) {
      this.logger.warn('submit-failed', { type: draft.type, code: outcome.code });
      return { ok: false, code: outcome.code };
    }
    return { ok: true, slot: outcome.slot, result: outcome.result as SiteResult };
  }

  private registerHandlers(): void {
    const server = this.server;
    server.handle('BootNotification', (chargePointId, request) => {
      // B01/B11/B12: which boot this is (PowerUp, RemoteReset after an operator's Reset, …).
      this.logger.info('station-boot', { chargePointId, reason: request.reason });
      return this.boot(chargePointId);
    });
    server.handle('Heartbeat', (chargePointId) => {
      // A third-party station is no replica: it follows the profiles its central sends, so its
      // lease is the replicated view, renewed while it talks to us (OCPP K: without a CSMS it falls
      // back to its own default profile). Cluster members prove their lease by DataTransfer.
      if (!this.leases.isClusterMember(chargePointId)) {
        this.leases.askFromReplica(chargePointId);
      }
      return { currentTime: new Date(this.nowMs()).toISOString() };
    });
    // The station names the lease its own replica holds (lease.ts): only it can prove that.
    server.handle('DataTransfer', (chargePointId, request) => {
      if (request.vendorId !== LEASE_VENDOR_ID) return { status: 'UnknownVendorId' };
      if (request.messageId !== LEASE_MESSAGE_ID) return { status: 'UnknownMessageId' };
      const held = (request.data as { heldLeaseExpiresAtMs?: unknown } | undefined)
        ?.heldLeaseExpiresAtMs;
      if (held !== null && (typeof held !== 'number' || !Number.isSafeInteger(held))) {
        return { status: 'Rejected' };
      }
      this.leases.ask(chargePointId, held);
      return { status: 'Accepted' };
    });
    server.handle('StatusNotification', (chargePointId, request) =>
      this.statusNotification(chargePointId, request),
    );
    server.handle('Authorize', (_chargePointId, request) => ({
      idTokenInfo: idTokenInfoFor(request.idToken),
    }));
    server.handle('TransactionEvent', (chargePointId, request) =>
      this.transactionEvents.handle(chargePointId, request),
    );
    server.handle('NotifyEVChargingNeeds', (chargePointId, request) =>
      this.notifyEvChargingNeeds(chargePointId, request),
    );
  }

  /** B01: register an unknown station in the replicated state, then Accepted. */
  private async boot(chargePointId: string): Promise<BootNotificationResponse> {
    const answer = (status: BootNotificationResponse['status']): BootNotificationResponse => ({
      currentTime: new Date(this.nowMs()).toISOString(),
      interval: HEARTBEAT_INTERVAL_S,
      status,
    });
    if (this.readState().chargePoints[chargePointId] === undefined) {
      const outcome = await this.submit({
        type: 'RegisterChargePoint',
        chargePointId,
        connectorCount: CONNECTOR_COUNT_DEFAULT,
        maxPowerW: CHARGE_POINT_MAX_POWER_W_DEFAULT,
      });
      // B02: Pending asks the station to retry later (we could not reach agreement now).
      if (!outcome.ok) return answer('Pending');
      if (!outcome.result.ok && outcome.result.code !== 'charge-point-exists') {
        this.logger.warn('boot-rejected', { chargePointId, reason: outcome.result.reason });
        return answer('Rejected');
      }
      this.logger.info('charge-point-registered', { chargePointId, slot: outcome.slot });
    }
    return answer('Accepted');
  }

  /**
   * G01 → ChargePointFaulted / ChargePointRecovered when the agreed state differs. Unavailable
   * (G03/G04: Inoperative, e.g. a ChangeAvailability the station Scheduled until its transaction
   * ended) holds the EVSE out of service like Faulted: no power share, no new session.
   */
  private async statusNotification(
    chargePointId: string,
    request: StatusNotificationRequest,
  ): Promise<Record<string, never>> {
    const chargePoint = this.readState().chargePoints[chargePointId];
    if (chargePoint === undefined) return {};
    const connectorId = request.connectorId > 0 ? request.connectorId : request.evseId;
    const faulted =
      connectorId > 0
        ? chargePoint.faultedConnectorIds.includes(connectorId)
        : chargePoint.faultedConnectorIds.length > 0;
    const scope = connectorId > 0 ? { connectorId } : {};
    const outOfService =
      request.connectorStatus === 'Faulted' || request.connectorStatus === 'Unavailable';
    if (outOfService && !faulted) {
      await this.submitOrCallError({ type: 'ChargePointFaulted', chargePointId, ...scope });
    } else if (!outOfService && faulted) {
      await this.submitOrCallError({ type: 'ChargePointRecovered', chargePointId, ...scope });
    }
    return {};
  }

  /** K15: UpdateNeeds, then (once applied) SetChargingProfile from the push. */
  private async notifyEvChargingNeeds(
    chargePointId: string,
    request: NotifyEVChargingNeedsRequest,
  ): Promise<NotifyEVChargingNeedsResponse> {
    const arrivedAt = performance.now();
    const session = Object.values(this.readState().sessions).find(
      (candidate) =>
        candidate.chargePointId === chargePointId && candidate.connectorId === request.evseId,
    );
    if (session === undefined) {
      this.logger.warn('needs-without-transaction', { chargePointId, evseId: request.evseId });
      return { status: 'Rejected', statusInfo: { reasonCode: 'NoTransaction' } };
    }
    const fields = needsFromRequest(request, this.nowMs());
    if (typeof fields === 'string') {
      this.logger.warn('needs-rejected', {
        chargePointId,
        transactionId: session.transactionId,
        reason: fields,
      });
      return {
        status: 'Rejected',
        statusInfo: { reasonCode: 'InvalidNeeds', additionalInfo: fields.slice(0, 512) },
      };
    }
    const arrival = { atMs: arrivedAt, applied: false };
    this.needsArrivedAt.set(session.transactionId, arrival);
    const result = await this.submitOrCallError({
      type: 'UpdateNeeds',
      transactionId: session.transactionId,
      ...fields,
    });
    if (!result.ok) {
      this.needsArrivedAt.delete(session.transactionId);
      this.logger.warn('needs-rejected', {
        chargePointId,
        transactionId: session.transactionId,
        reason: result.reason,
      });
      return {
        status: 'Rejected',
        statusInfo: {
          reasonCode: result.code.slice(0, 20),
          additionalInfo: result.reason.slice(0, 512),
        },
      };
    }
    arrival.applied = true;
    // New needs change this session's allocation: make sure a profile goes out even if its first
    // period's limit happens to equal the last one sent.
    const push = this.pushes.get(session.transactionId);
    if (push !== undefined) push.signature = '';
    this.schedulePush();
    return { status: 'Accepted' };
  }

  /**
   * Submits; a submit that did not reach agreement (not leader, timeout, overloaded) becomes a
   * CALLERROR, so the station keeps the message and retries.
   */
  private async submitOrCallError(draft: CommandDraft): Promise<SiteResult> {
    const outcome = await this.submit(draft);
    if (!outcome.ok) {
      throw callError('GenericError', `not agreed (${outcome.code}): retry later`, {
        code: outcome.code,
      });
    }
    return outcome.result;
  }

  /**
   * After the current turn (so that a handler's CALLRESULT, e.g. NotifyEVChargingNeedsResponse,
   * goes out before the SetChargingProfile it causes: K15 Table 187, steps 3 then 4).
   */
  private schedulePush(): void {
    if (this.pushScheduled || this.closed) return;
    this.pushScheduled = true;
    setImmediate(() => {
      this.pushScheduled = false;
      this.pushChangedProfiles();
    });
  }

  private pushChangedProfiles(): void {
    if (this.closed) return;
    const state = this.readState();
    const profiles = buildChargingProfiles(state, this.nowMs());
    for (const profile of profiles) {
      const transactionId = profile.chargingProfile.transactionId;
      if (!this.server.isConnected(profile.chargePointId)) continue;
      if (!this.refusals.maySend(profile.chargePointId)) continue;
      const signature = signatureOf(profile);
      const push = this.pushes.get(transactionId) ?? {
        signature: '',
        inFlight: false,
        dirty: false,
      };
      this.pushes.set(transactionId, push);
      if (push.signature === signature) continue;
      if (push.inFlight) {
        push.dirty = true;
        continue;
      }
      void this.sendProfile(profile, push, signature);
    }
  }

  private async sendProfile(
    profile: SetChargingProfile,
    push: ProfilePush,
    signature: string,
  ): Promise<void> {
    const { chargePointId, evseId, chargingProfile } = profile;
    const transactionId = chargingProfile.transactionId;
    push.inFlight = true;
    push.signature = signature;
    // Built from a state that holds the needs (pushChangedProfiles runs after the apply)?
    const arrivalEntry = this.needsArrivedAt.get(transactionId);
    const arrival = arrivalEntry?.applied === true ? arrivalEntry : undefined;
    const schedule = chargingProfile.chargingSchedule[0];
    try {
      const response = await this.server.call(chargePointId, 'SetChargingProfile', {
        evseId,
        chargingProfile: {
          ...chargingProfile,
          chargingSchedule: chargingProfile.chargingSchedule.map((entry) => ({
            ...entry,
            chargingSchedulePeriod: entry.chargingSchedulePeriod.map((period) => ({ ...period })),
          })),
        },
      });
      const sentWithinMs =
        arrival === undefined ? null : Math.round(performance.now() - arrival.atMs);
      if (arrival !== undefined && this.needsArrivedAt.get(transactionId) === arrival) {
        this.needsArrivedAt.delete(transactionId);
      }
      this.logger.info('profile-sent', {
        chargePointId,
        transactionId,
        limitW: schedule?.chargingSchedulePeriod[0]?.limit ?? null,
        startSchedule: schedule?.startSchedule ?? null,
        periods: schedule?.chargingSchedulePeriod.length ?? 0,
        status: response.status,
        sentWithinMs,
      });
      if (sentWithinMs !== null && sentWithinMs > PROFILE_DEADLINE_MS) {
        this.logger.warn('profile-late', {
          chargePointId,
          transactionId,
          sentWithinMs,
          requirement: 'K15.FR.08',
        });
      }
      if (response.status === 'Accepted') {
        this.refusals.accepted(chargePointId);
      } else {
        push.signature = '';
        this.refusals.refused(
          chargePointId,
          transactionId,
          response.statusInfo?.reasonCode ?? 'Rejected',
        );
      }
    } catch (error) {
      push.signature = '';
      // A CALLERROR (NotImplemented, NotSupported, …) is a refusal; a timeout or a lost
      // connection is not (the profile goes out again on reconnect).
      if (error instanceof OcppError && error.code === 'OCPP_CALL_ERROR') {
        this.refusals.refused(chargePointId, transactionId, error.rpcErrorCode ?? 'CALLERROR');
      }
      this.logger.warn('profile-send-failed', {
        chargePointId,
        transactionId,
        code: error instanceof OcppError ? error.code : 'unknown',
        reason: (error as Error).message,
      });
    } finally {
      push.inFlight = false;
    }
    if (push.dirty) {
      push.dirty = false;
      this.schedulePush();
    }
  }
}

/** What makes a profile worth re-sending: its id and the allocation now (the first period). */
function signatureOf(profile: SetChargingProfile): string {
  const first = profile.chargingProfile.chargingSchedule[0]?.chargingSchedulePeriod[0]?.limit;
  return `${profile.chargingProfile.id}:${profile.evseId}:${String(first)}`;
}

export { isoFromMs };

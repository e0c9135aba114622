/**
 * Adapts @evpaxos/ocpp's ChargingStationClient (connection, failover between the centrals' URLs,
 * typed strict calls) to the controller's CsmsLink. What the client leaves to the station is done
 * here: BootNotification on every connection (B01; the link counts as online only once Accepted),
 * Heartbeat every HEARTBEAT_INTERVAL_MS (docs/SITE.md: 5 s, which also drives lease renewals
 * at the central), and the routing of SetChargingProfile / ReserveNow / CancelReservation.
 */
import {
  ChargingStationClient,
  deriveStationPassword,
  ocppSecurityConfigSection,
  ocppSecurityDefault,
  readCaPem,
  type ChargingProfile,
  type NotifyEVChargingNeedsRequest,
  type TransactionEventRequest as OcppTransactionEventRequest,
} from '@evpaxos/ocpp';
import { configSection, type Logger, type ProcessConfig } from '@evpaxos/runtime';
import type {
  ConnectorStatus,
  CsmsCallHandlers,
  CsmsLink,
  EvChargingNeeds,
  IdToken,
  TransactionEventRequest,
} from './csms-link';
import { LEASE_MESSAGE_ID, LEASE_VENDOR_ID } from '@evpaxos/ocpp';
import {
  BOOT_RETRY_AFTER_ERROR_MS,
  BOOT_RETRY_MS_MAX,
  BOOT_RETRY_MS_MIN,
  OFFLINE_THRESHOLD_S_DEFAULT,
  STATION_MAX_POWER_W,
} from './constants';
import { DeviceModel } from './device-model';
import { Availability, registerStationOperations } from './station-operations';

/**
 * How long to wait before the next BootNotification (OCPP 2.0.1 B02.FR.02, B03.FR.03: the interval
 * of the Rejected or Pending answer, in seconds), within [BOOT_RETRY_MS_MIN, BOOT_RETRY_MS_MAX].
 */
export function bootRetryDelayMs(intervalS: number | undefined): number {
  const askedMs = intervalS === undefined || !(intervalS > 0) ? 0 : intervalS * 1_000;
  return Math.min(BOOT_RETRY_MS_MAX, Math.max(BOOT_RETRY_MS_MIN, askedMs));
}

/** docs/SITE.md: "Heartbeat every 5 s". */
export const HEARTBEAT_INTERVAL_MS = 5_000;

/**
 * NotifyEVChargingNeeds carries AC needs as whole amperes (OCPP 2.0.1 schema: evMinCurrent and
 * evMaxCurrent are integers). We declare a three-phase 230 V connection, so W = A × 230 × 3;
 * the minimum is rounded up and the maximum down, so the site never plans outside what the EV can do.
 */
export const AC_PHASE_VOLTAGE_V = 230;
export const AC_PHASES = 3;

export function needsRequest(
  needs: EvChargingNeeds,
  isoFromMs: (ms: number) => string,
): NotifyEVChargingNeedsRequest {
  const wattsPerAmpere = AC_PHASE_VOLTAGE_V * AC_PHASES;
  return {
    evseId: needs.evseId,
    maxScheduleTuples: 3,
    chargingNeeds: {
      requestedEnergyTransfer: 'AC_three_phase',
      departureTime: isoFromMs(needs.departureAtMs),
      acChargingParameters: {
        energyAmount: needs.energyAmountWh,
        evMinCurrent: Math.ceil(needs.minPowerW / wattsPerAmpere),
        evMaxCurrent: Math.max(1, Math.floor(needs.maxPowerW / wattsPerAmpere)),
        evMaxVoltage: AC_PHASE_VOLTAGE_V,
      },
    },
  };
}

/**
 * The needs as the site records them after NotifyEVChargingNeeds: the whole amperes above turned
 * back into watts (W = A × evMaxVoltage × phases, docs/OCPP.md K15 row), the energy in whole Wh, the
 * departure as sent (ISO 8601 keeps the millisecond). The charge point compares its replica with
 * this, not with the EV's own figures, to know the site agreed on its needs.
 */
export function needsAsRecorded(needs: EvChargingNeeds): EvChargingNeeds {
  const ac = needsRequest(needs, (ms) => new Date(ms).toISOString()).chargingNeeds
    .acChargingParameters;
  if (ac === undefined) return needs;
  const wattsPerAmpere = AC_PHASE_VOLTAGE_V * AC_PHASES;
  return {
    ...needs,
    energyAmountWh: Math.round(ac.energyAmount),
    minPowerW: ac.evMinCurrent * wattsPerAmpere,
    maxPowerW: ac.evMaxCurrent * wattsPerAmpere,
  };
}

export function createOcppCsmsLink(
  config: ProcessConfig,
  urls: readonly string[],
  logger: Logger,
  preferredUrl?: () => string | undefined,
): CsmsLink {
  if (urls.length === 0)
    throw new Error(
      'No central has a servicePort in the cluster file: the OCPP client has nowhere to connect.',
    );
  // docs/OCPP.md, "Security profiles": a cluster member's password is derived from the secret.
  const security = configSection(config, ocppSecurityConfigSection) ?? ocppSecurityDefault;
  const caPem = readCaPem(security);
  return new OcppCsmsLink(config.id, urls, logger, {
    ...(security.profile === 0
      ? {}
      : { password: deriveStationPassword(config.secret, config.id) }),
    ...(caPem === undefined ? {} : { caPem }),
    ...(preferredUrl === undefined ? {} : { preferredUrl }),
  });
}

class OcppCsmsLink implements CsmsLink {
  private readonly client: ChargingStationClient;
  private readonly listeners = new Set<(online: boolean) => void>();
  private accepted = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private bootRetry: NodeJS.Timeout | undefined;
  private heartbeatIntervalMs = HEARTBEAT_INTERVAL_MS;
  /** The next BootNotification's reason: RemoteReset once after a Reset (B11/B12), else PowerUp. */
  private bootReason: 'PowerUp' | 'RemoteReset' = 'PowerUp';
  private readonly model = new DeviceModel({
    heartbeatIntervalS: HEARTBEAT_INTERVAL_MS / 1000,
    offlineThresholdS: OFFLINE_THRESHOLD_S_DEFAULT,
    maxPowerW: STATION_MAX_POWER_W,
  });
  private readonly availability = new Availability();
  /** The TxProfiles accepted and held, by evseId (GetChargingProfiles, ClearChargingProfile). */
  private readonly profiles = new Map<number, ChargingProfile>();

  constructor(
    private readonly chargePointId: string,
    urls: readonly string[],
    private readonly logger: Logger,
    link: {
      readonly password?: string;
      readonly caPem?: string;
      readonly preferredUrl?: () => string | undefined;
    } = {},
  ) {
    const { preferredUrl, ...credentials } = link;
    this.client = new ChargingStationClient(
      { identity: chargePointId, csmsUrls: urls, ...credentials },
      { logger, ...(preferredUrl === undefined ? {} : { preferredUrl }) },
    );
    this.client.on('connected', ({ url }) => void this.boot(url));
    this.client.on('disconnected', () => {
      clearTimeout(this.bootRetry);
      this.setAccepted(false);
    });
    // B05: a new HeartbeatInterval takes effect at once.
    this.model.onChange((component, name, value) => {
      if (component !== 'OCPPCommCtrlr' || name !== 'HeartbeatInterval') return;
      this.heartbeatIntervalMs = Number(value) * 1000;
      if (this.accepted) this.startHeartbeat();
    });
    this.client.start();
  }

  get online(): boolean {
    return this.accepted && this.client.isConnected;
  }

  onOnlineChange(listener: (online: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setHandlers(handlers: CsmsCallHandlers): void {
    this.client.handle('SetChargingProfile', (request) => {
      const status = handlers.setChargingProfile(request);
      if (status === 'Accepted') this.profiles.set(request.evseId, request.chargingProfile);
      return { status };
    });
    registerStationOperations(
      {
        client: this.client,
        model: this.model,
        logger: this.logger,
        chargePointId: this.chargePointId,
        view: () => handlers.view?.() ?? { transactionId: null, limitW: null },
        sendStatus: (status) => this.statusNotification(status),
        sendBoot: () => this.boot('triggered'),
        sendHeartbeat: async () => {
          await this.client.call('Heartbeat', {});
        },
        profiles: this.profiles,
        evse: handlers,
        reboot: () => this.reboot(),
      },
      this.availability,
    );
    this.client.handle('ReserveNow', (request) => ({ status: handlers.reserveNow(request) }));
    this.client.handle('CancelReservation', (request) => ({
      status: handlers.cancelReservation(request.reservationId),
    }));
  }

  async authorize(idToken: IdToken) {
    const response = await this.client.call('Authorize', { idToken });
    return response.idTokenInfo.status;
  }

  async statusNotification(connectorStatus: ConnectorStatus) {
    // G03: an Inoperative EVSE reports Unavailable (Faulted still wins) until made Operative.
    const reported =
      this.availability.inoperative && connectorStatus !== 'Faulted'
        ? 'Unavailable'
        : connectorStatus;
    this.model.setInternal('ChargingStation', 'AvailabilityState', reported);
    await this.client.call('StatusNotification', {
      timestamp: new Date().toISOString(),
      connectorStatus: reported,
      evseId: 1,
      connectorId: 1,
    });
  }

  async transactionEvent(request: TransactionEventRequest) {
    // Same OCPP field names; ours types stoppedReason as a plain string (strict mode checks the enum).
    const response = await this.client.call(
      'TransactionEvent',
      request as OcppTransactionEventRequest,
    );
    return response.idTokenInfo?.status ?? null;
  }

  get operative(): boolean {
    return !this.availability.inoperative;
  }

  async renewLease(heldLeaseExpiresAtMs: number | null): Promise<void> {
    if (!this.online) return;
    await this.client.call('DataTransfer', {
      vendorId: LEASE_VENDOR_ID,
      messageId: LEASE_MESSAGE_ID,
      data: { heldLeaseExpiresAtMs },
    });
  }

  needsAsRecorded(needs: EvChargingNeeds): EvChargingNeeds {
    return needsAsRecorded(needs);
  }

  async notifyEvChargingNeeds(needs: EvChargingNeeds) {
    const response = await this.client.call(
      'NotifyEVChargingNeeds',
      needsRequest(needs, (ms) => new Date(ms).toISOString()),
    );
    return response.status;
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    clearTimeout(this.bootRetry);
    this.setAccepted(false);
    await this.client.close();
  }

  /**
   * Reset (B11/B12): the station's OCPP side reboots — it goes offline, closes its CSMS connection
   * and connects again (the next central in its list, or the leader's), booting with reason
   * RemoteReset; going online reports the connector's status (B04). The Paxos acceptor and learner
   * in this process are the site's replica and keep running (docs/OCPP.md).
   */
  private async reboot(): Promise<void> {
    this.logger.info('station-reset', { chargePointId: this.chargePointId });
    this.bootReason = 'RemoteReset';
    clearTimeout(this.bootRetry);
    this.setAccepted(false);
    await this.client.disconnect('reset');
  }

  private async boot(url: string): Promise<void> {
    const reason = url === 'triggered' ? 'Triggered' : this.bootReason;
    try {
      const response = await this.client.call('BootNotification', {
        chargingStation: { model: 'evpaxos-cp', vendorName: 'evpaxos' },
        reason,
      });
      if (response.status !== 'Accepted') {
        // B02/B03: never give up silently; ask again after the interval the CSMS gave.
        const retryInMs = bootRetryDelayMs(response.interval);
        this.logger.warn('boot-not-accepted', {
          chargePointId: this.chargePointId,
          url,
          status: response.status,
          retryInMs,
        });
        this.retryBoot(url, retryInMs);
        return;
      }
      this.logger.info('boot-accepted', { chargePointId: this.chargePointId, url, reason });
      if (url !== 'triggered') this.bootReason = 'PowerUp';
      this.startHeartbeat();
      this.setAccepted(true);
    } catch (error) {
      this.logger.warn('boot-failed', {
        chargePointId: this.chargePointId,
        url,
        error: String(error),
        retryInMs: BOOT_RETRY_AFTER_ERROR_MS,
      });
      this.retryBoot(url, BOOT_RETRY_AFTER_ERROR_MS);
    }
  }

  /** Sends BootNotification again after `delayMs` on the same connection (a new one boots anyway). */
  private retryBoot(url: string, delayMs: number): void {
    clearTimeout(this.bootRetry);
    this.bootRetry = setTimeout(() => {
      if (this.client.isConnected && !this.accepted) void this.boot(url);
    }, delayMs);
  }

  private startHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      if (!this.client.isConnected) return;
      this.client.call('Heartbeat', {}).catch((error: unknown) =>
        this.logger.warn('heartbeat-failed', {
          chargePointId: this.chargePointId,
          error: String(error),
        }),
      );
    }, this.heartbeatIntervalMs);
  }

  private setAccepted(accepted: boolean): void {
    if (!accepted) clearInterval(this.heartbeat);
    if (this.accepted === accepted) return;
    this.accepted = accepted;
    for (const listener of this.listeners) listener(this.online);
  }
}

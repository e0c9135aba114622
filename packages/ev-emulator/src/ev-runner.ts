/**
 * One emulated EV: it walks the site's EV transition table (`evMachine`: not_connected →
 * connected_not_charging → sendNeeds → receiveScheduling → charging_with_profile |
 * charging_without_profile → … → not_connected), talking ISO 15118-2-style requests to its charge
 * point's EV link with `EvLinkClient`. Every state change goes through `transition()`, so the EV
 * can never take a step the table does not allow; a refused step is a bug here and asserts.
 *
 * Energy is integrated in scenario time from what the EVSE grants (limitW, capped by the EV's own
 * maxPowerW), so a run at `--speed 10` delivers as much energy per scenario minute as a real one.
 */
import {
  EvLinkClient,
  EvLinkError,
  type EvLinkClientOptions,
  type PowerGrant,
  type PowerMode,
} from '@evpaxos/ev-link';
import { evMachine, transition, type EvEvent, type EvState } from '@evpaxos/site';
import { MS_PER_MINUTE, type ScenarioClock } from './clock';
import { BATTERY_WH_DEFAULT, INITIAL_SOC_PERCENT_DEFAULT, type EvSpec } from './scenario';

/** The logger the emulator writes to (a winston logger fits). */
export interface EmulatorLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** The EV link as the runner uses it: `EvLinkClient`, or a twin in tests. */
export type EvLinkConnector = (url: string, options: EvLinkClientOptions) => Promise<EvLinkClient>;

export interface EvRunnerOptions {
  /** Real ms between ChargingStatusReq while charging. Default 1 000 (ISO 15118-2 AC: ≤ 2 s cycle). */
  readonly statusIntervalMs?: number;
  /** Real ms between attempts to reach a charge point that does not answer. Default 1 000. */
  readonly connectRetryMs?: number;
  /** Passed to EvLinkClient (its timeouts are real ms, never scaled). */
  readonly client?: EvLinkClientOptions;
}

export interface EvRunnerCollaborators {
  readonly clock: ScenarioClock;
  readonly logger: EmulatorLogger;
  /** Default: EvLinkClient.connect. */
  readonly connect?: EvLinkConnector;
}

/** What one EV did: logged as "ev-summary" at the end of the run. */
export interface EvSummary {
  readonly evId: string;
  readonly chargePointId: string;
  /** Every state it was in, in order, starting with not_connected. */
  readonly states: EvState[];
  readonly finalState: EvState;
  /** Energy delivered, Wh, integrated in scenario time. */
  readonly energyWh: number;
  /** Whether a schedule under the agreed profile (mode 'profile') ever reached it. */
  readonly profileReceived: boolean;
  /** Whether the link dropped under it (its charge point crashed or closed the connection). */
  readonly connectionLost: boolean;
  /** Operating problems met on the way (refused setup, timeouts, …), one sentence each. */
  readonly problems: string[];
}

export const STATUS_INTERVAL_MS_DEFAULT = 1_000;
export const CONNECT_RETRY_MS_DEFAULT = 1_000;
const MS_PER_HOUR = 3_600_000;

export class EvRunner {
  private state: EvState = evMachine.initial;
  private readonly states: EvState[] = [evMachine.initial];
  private energyWh = 0;
  private integratedAtMs = 0;
  private limitW = 0;
  private mode: PowerMode | null = null;
  private profileReceived = false;
  private connectionLost = false;
  private readonly problems: string[] = [];
  private client: EvLinkClient | null = null;
  /** Aborted when the link drops: every wait of this EV ends then. */
  private readonly lost = new AbortController();
  /** Aborted when the EVSE says stop-charging (it failed): the EV ends its session at once. */
  private readonly stoppedByStation = new AbortController();

  constructor(
    readonly spec: EvSpec,
    /** ws://host:servicePort/ev of the charge point. */
    readonly url: string,
    /** Scenario ms at which every EV still plugged in leaves (the end of the scenario). */
    private readonly scenarioEndMs: number,
    private readonly options: EvRunnerOptions,
    private readonly collaborators: EvRunnerCollaborators,
  ) {}

  get currentState(): EvState {
    return this.state;
  }

  /** Scenario ms at which the EV stops charging (PowerDeliveryReq Stop). */
  private get stopMs(): number {
    const { stopAtMinute, unplugAtMinute } = this.spec;
    const minute = stopAtMinute ?? unplugAtMinute;
    return minute === undefined ? this.scenarioEndMs : minute * MS_PER_MINUTE;
  }

  /** Scenario ms at which the cable is pulled. */
  private get unplugMs(): number {
    const { stopAtMinute, unplugAtMinute } = this.spec;
    const minute = unplugAtMinute ?? stopAtMinute;
    return Math.min(
      minute === undefined ? this.scenarioEndMs : minute * MS_PER_MINUTE,
      this.scenarioEndMs,
    );
  }

  /**
   * Runs the EV's whole visit; resolves with its summary. `end` aborts when the scenario ends (or
   * is cancelled): a plugged-in EV then unplugs at once.
   */
  async run(end: AbortSignal): Promise<EvSummary> {
    const { clock } = this.collaborators;
    const signal = AbortSignal.any([end, this.lost.signal, this.stoppedByStation.signal]);
    try {
      if (!(await clock.sleepUntil(this.spec.arriveAtMinute * MS_PER_MINUTE, end))) {
        return this.summary();
      }
      if (!(await this.plugIn(end))) return this.summary();
      await this.charge(signal);
      if (this.stoppedByStation.signal.aborted && this.isCharging()) {
        // The EVSE failed under it (ISO 15118-2 EVSENotification=StopCharging): stop, then leave.
        this.integrate();
        this.fire('stopCharging', 'station-stop');
      }
      await this.leave(signal, end);
    } catch (error) {
      // An operating error on the link ends this EV's visit, never the scenario.
      this.problems.push(describe(error));
      this.collaborators.logger.warn('ev-error', {
        evId: this.spec.id,
        chargePointId: this.spec.chargePointId,
        error: describe(error),
      });
      if (this.state !== 'not_connected') await this.unplug('error');
    }
    return this.summary();
  }

  private async plugIn(end: AbortSignal): Promise<boolean> {
    const { clock, logger } = this.collaborators;
    const connect = this.collaborators.connect ?? EvLinkClient.connect.bind(EvLinkClient);
    const retryMs = this.options.connectRetryMs ?? CONNECT_RETRY_MS_DEFAULT;
    let attempts = 0;
    for (;;) {
      attempts += 1;
      try {
        this.client = await connect(this.url, this.options.client ?? {});
        break;
      } catch (error) {
        // The charge point may be down (a fault step): the driver waits for it, up to the stop.
        if (attempts === 1) {
          logger.warn('ev-connect-failed', {
            evId: this.spec.id,
            chargePointId: this.spec.chargePointId,
            url: this.url,
            error: describe(error),
          });
        }
        if (clock.nowMs() >= this.stopMs || !(await clock.sleepReal(retryMs, end))) {
          this.problems.push(`could not reach ${this.url} (${attempts} attempts)`);
          return false;
        }
      }
    }
    const client = this.client;
    client.onClose((code, reason) => {
      if (this.state === 'not_connected') return;
      this.connectionLost = true;
      this.problems.push(`the link closed under the EV (${code}${reason ? ` ${reason}` : ''})`);
      logger.warn('ev-link-lost', {
        evId: this.spec.id,
        chargePointId: this.spec.chargePointId,
        code,
        reason,
      });
      this.fire('unplug', 'link-lost');
      this.lost.abort();
    });
    client.onNotification((notification) => {
      this.applyGrant(notification);
      if (notification.reason === 'stop-charging') this.stoppedByStation.abort();
    });
    this.integratedAtMs = clock.nowMs();
    this.fire('plugIn');
    return true;
  }

  private async charge(signal: AbortSignal): Promise<void> {
    const { clock } = this.collaborators;
    const client = this.client!;
    const setup = await this.raceStop(
      client.request({
        type: 'SessionSetupReq',
        evId: this.spec.id,
        ...(this.spec.idToken !== undefined ? { idToken: this.spec.idToken } : {}),
      }),
      signal,
    );
    if (setup === null) return;
    if (setup.responseCode !== 'OK') {
      this.problems.push(`SessionSetupReq refused: ${setup.responseCode}`);
      return;
    }
    this.fire('authorized');

    const { needs } = this.spec;
    const discovery = client.request({
      type: 'ChargeParameterDiscoveryReq',
      energyRequestedWh: needs.energyWh,
      minPowerW: needs.minPowerW,
      maxPowerW: needs.maxPowerW,
      // A wall-clock time, like every time on the wire: scenario minute → real time.
      departureAtMs: clock.wallClockAtMs(needs.departureAtMinute * MS_PER_MINUTE),
    });
    this.fire('needsSent');
    let grant: PowerGrant | null;
    try {
      grant = await this.raceStop(discovery, signal);
    } catch (error) {
      if (!(error instanceof EvLinkError && error.code === 'timeout')) throw error;
      // ISO 15118-2: no schedule in time — charge on the station's own limits.
      this.problems.push('no ChargeParameterDiscoveryRes in time');
      grant = null;
      this.fire('scheduleTimedOut');
    }
    if (this.state === 'receiveScheduling') {
      if (grant === null) return;
      this.fire(grant.mode === 'profile' ? 'scheduleReceived' : 'scheduleTimedOut');
      this.applyGrant(grant);
    }
    if (!this.isCharging()) return;

    // From here on the EV is charging, and it leaves charging through PowerDeliveryReq(Stop)
    // (stopCharging) unless its signal aborted (the link dropped, or the scenario ended: it then
    // unplugs at once). A null from raceStop only means the stop time came while a request was
    // still in flight (a slow EVSE, or a loaded machine at a high speed): the driver stops all the
    // same, so that must not skip the stop.
    const started = await this.raceStop(
      client.request({ type: 'PowerDeliveryReq', start: true }),
      signal,
    );
    if (started !== null) {
      this.applyGrant(started);
      await this.reportStatusUntilStop(client, signal);
    }
    if (this.isCharging() && !signal.aborted) {
      this.integrate();
      const stopped = await client.request({ type: 'PowerDeliveryReq', start: false });
      this.fire('stopCharging');
      this.limitW = stopped.limitW;
      this.mode = stopped.mode;
    }
  }

  /** ChargingStatusReq every statusIntervalMs until the stop time (or the signal aborts). */
  private async reportStatusUntilStop(client: EvLinkClient, signal: AbortSignal): Promise<void> {
    const { clock } = this.collaborators;
    const intervalMs = this.options.statusIntervalMs ?? STATUS_INTERVAL_MS_DEFAULT;
    while (this.isCharging() && clock.nowMs() < this.stopMs) {
      const next = Math.min(intervalMs, clock.realDelayUntilMs(this.stopMs));
      if (!(await clock.sleepReal(next, signal))) return;
      if (clock.nowMs() >= this.stopMs || !this.isCharging()) return;
      this.integrate();
      const status = await this.raceStop(
        client.request({
          type: 'ChargingStatusReq',
          energyDeliveredWh: Math.floor(this.energyWh),
          socPercent: this.socPercent(),
        }),
        signal,
      );
      // The stop time came first: the late ChargingStatusRes is dropped, the caller stops.
      if (status === null) return;
      this.applyGrant(status);
    }
  }

  /**
   * Unplugs at the scenario's time (why `scenario`), or at once when the run is cancelled first
   * (why `cancelled`: SIGTERM, Ctrl-C; `evpaxos verify` owes such an EV nothing it could not yet
   * have had).
   */
  private async leave(signal: AbortSignal, end: AbortSignal): Promise<void> {
    if (this.state === 'not_connected') return;
    const onTime = await this.collaborators.clock.sleepUntil(this.unplugMs, signal);
    await this.unplug(!onTime && end.aborted ? 'cancelled' : 'scenario');
  }

  /** SessionStopReq (best effort: the link may be gone), close, and the `unplug` transition. */
  private async unplug(why: string): Promise<void> {
    if (this.state === 'not_connected') return;
    this.integrate();
    const client = this.client;
    if (client?.open) {
      try {
        await client.request({ type: 'SessionStopReq' });
      } catch (error) {
        this.problems.push(`SessionStopReq: ${describe(error)}`);
      }
    }
    // The transition first: the close that follows is ours, not a lost link. (The state may have
    // changed while we awaited: the link can drop under the request.)
    if ((this.state as EvState) !== 'not_connected') this.fire('unplug', why);
    await client?.close();
  }

  /**
   * Resolves with the response, or null once the EV's stop time comes first (or the run ends):
   * a driver who leaves does not wait for a schedule. The request itself stays pending.
   */
  private async raceStop<T>(request: Promise<T>, signal: AbortSignal): Promise<T | null> {
    const stop = new AbortController();
    const both = AbortSignal.any([signal, stop.signal]);
    const stopAt = this.collaborators.clock.sleepUntil(this.stopMs, both).then(() => null);
    request.catch(() => undefined);
    try {
      return await Promise.race([request, stopAt]);
    } finally {
      stop.abort();
    }
  }

  private isCharging(): boolean {
    return this.state === 'charging_with_profile' || this.state === 'charging_without_profile';
  }

  /** A new grant from the EVSE (a response or a pushed EvseNotification). */
  private applyGrant(grant: PowerGrant): void {
    this.integrate();
    this.limitW = grant.limitW;
    this.mode = grant.mode;
    if (this.state === 'charging_with_profile' && grant.mode === 'fail-safe') {
      this.fire('leaseLost');
    } else if (this.state === 'charging_without_profile' && grant.mode === 'profile') {
      this.fire('scheduleReceived');
    }
  }

  /** The power the EV draws now, W: what the EVSE allows, what the EV takes, until it is full. */
  private drawW(): number {
    if (!this.isCharging()) return 0;
    if (this.energyWh >= this.spec.needs.energyWh) return 0;
    return Math.max(0, Math.min(this.limitW, this.spec.needs.maxPowerW));
  }

  /** Adds the energy drawn since the last call, in scenario time. */
  private integrate(): void {
    const now = this.collaborators.clock.nowMs();
    const elapsedMs = Math.max(0, now - this.integratedAtMs);
    this.energyWh = Math.min(
      this.spec.needs.energyWh,
      this.energyWh + (this.drawW() * elapsedMs) / MS_PER_HOUR,
    );
    this.integratedAtMs = now;
  }

  private socPercent(): number {
    const batteryWh = this.spec.batteryWh ?? BATTERY_WH_DEFAULT;
    const initial = this.spec.initialSocPercent ?? INITIAL_SOC_PERCENT_DEFAULT;
    return Math.min(100, Math.round((initial + (this.energyWh / batteryWh) * 100) * 10) / 10);
  }

  private fire(event: EvEvent, why?: string): void {
    const result = transition(evMachine, this.state, event);
    // Invariant: the runner only fires events its current state allows (a bug otherwise).
    if (!result.ok) throw new Error(`Invariant: ${result.reason}`);
    const from = this.state;
    if (event === 'plugIn' || event === 'scheduleReceived' || event === 'scheduleTimedOut') {
      this.integrate();
    }
    this.state = result.state;
    this.states.push(result.state);
    if (result.state === 'charging_with_profile') this.profileReceived = true;
    this.collaborators.logger.info('ev-transition', {
      evId: this.spec.id,
      chargePointId: this.spec.chargePointId,
      from,
      to: result.state,
      event,
      ...(why !== undefined ? { why } : {}),
      limitW: this.limitW,
      mode: this.mode,
      energyWh: Math.round(this.energyWh),
      scenarioMs: Math.round(this.collaborators.clock.nowMs()),
    });
  }

  summary(): EvSummary {
    return {
      evId: this.spec.id,
      chargePointId: this.spec.chargePointId,
      states: [...this.states],
      finalState: this.state,
      energyWh: Math.round(this.energyWh * 10) / 10,
      profileReceived: this.profileReceived,
      connectionLost: this.connectionLost,
      problems: [...this.problems],
    };
  }
}

function describe(error: unknown): string {
  if (error instanceof EvLinkError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * The charging-station side of the OCPP link: one WebSocket to one CSMS at a time, chosen from an
 * ordered list of URLs. When a connection attempt fails or an open connection closes, the client
 * moves on to the next URL (OCPP 2.0.1 B10, NetworkConnectionProfiles in priority order), waiting a capped, jittered, exponential backoff between attempts
 * (OCPP 2.0.1 Part 4 §5.3, RetryBackOff*, approximated). Calls are never queued while offline
 * (ocpp-rpc issue #53): they fail fast with OCPP_NOT_CONNECTED so the caller's durable queue decides.
 */
import {
  backoffInitialMsDefault,
  backoffJitterDefault,
  backoffMaxMsDefault,
  badMessagesMaxDefault,
  callTimeoutMsDefault,
  connectTimeoutMsDefault,
  ocppSubprotocol,
  pingIntervalMsDefault,
} from './constants';
import { OcppError } from './errors';
import { Listeners } from './listeners';
import { silentOcppLogger, type OcppLogger } from './logger';
import type {
  ChargingStationToCsms,
  CsmsAction,
  CsmsToChargingStation,
  StationAction,
} from './messages';
import { csmsActions } from './messages';
import { createRpcClient, rpcStateOpen, toOcppError, type RpcPeer } from './rpc';
import { describeValidationError, validateIdentity } from './validation';

export interface ChargingStationClientOptions {
  /** The station identity, the last URL segment (≤ 48 characters, no ':'). */
  readonly identity: string;
  /**
   * CSMS base URLs in order of preference, e.g. `ws://127.0.0.1:7201`. The client appends
   * `/<identity>`; a URL that already ends with `/<identity>` is used as is.
   */
  readonly csmsUrls: readonly string[];
  /** HTTP Basic password (Security Profile 1). Default: none. */
  readonly password?: string;
  /** PEM of the CA that a wss:// CSMS's certificate must chain to (Security Profile 2). Default: the system's CAs. */
  readonly caPem?: string;
  /** Default 30 000. */
  readonly callTimeoutMs?: number;
  /** WebSocket ping cadence; default 10 000. */
  readonly pingIntervalMs?: number;
  /** Opening handshake timeout per attempt; default 5 000. */
  readonly connectTimeoutMs?: number;
  /** First reconnect delay; default 250. Doubles per consecutive failure. */
  readonly backoffInitialMs?: number;
  /** Reconnect delay cap; default 5 000. */
  readonly backoffMaxMs?: number;
  /** Fraction of the delay randomised either way, 0 … 1; default 0.25. */
  readonly backoffJitter?: number;
  /** Invalid frames tolerated before the socket is closed; default 10. */
  readonly badMessagesMax?: number;
}

export interface ChargingStationClientCollaborators {
  readonly logger?: OcppLogger;
  /** Uniform in [0, 1); for the backoff jitter. Default Math.random. */
  readonly random?: () => number;
  /**
   * The URL to try first when (re)connecting, if the caller knows a better one (a cluster charge
   * point names the current leader's: its calls then need no forward). Undefined: list order.
   * At start the client waits up to PREFERRED_URL_WAIT_MS for one.
   */
  readonly preferredUrl?: () => string | undefined;
}

/** How long the first connection waits for `preferredUrl` to name one (then the list order). */
const PREFERRED_URL_WAIT_MS = 3_000;

export interface CallOptions {
  readonly timeoutMs?: number;
}

export interface IncomingCallContext<Action extends string> {
  readonly action: Action;
  readonly messageId: string;
}

/** Handles a CSMS-initiated call; throw an OcppCallError to answer with a CALLERROR. */
export type StationCallHandler<Action extends CsmsAction> = (
  request: CsmsToChargingStation[Action][0],
  context: IncomingCallContext<Action>,
) => CsmsToChargingStation[Action][1] | Promise<CsmsToChargingStation[Action][1]>;

export interface ChargingStationClientEvents extends Record<string, unknown> {
  connected: { readonly url: string };
  disconnected: {
    readonly url: string;
    readonly code: number | undefined;
    readonly reason: string;
  };
  /** One failed attempt: refused (503 from a standby), unreachable, timed out. */
  'connect-failed': { readonly url: string; readonly reason: string; readonly nextDelayMs: number };
}

export class ChargingStationClient {
  private readonly options: Required<Omit<ChargingStationClientOptions, 'password' | 'caPem'>> & {
    readonly password: string | undefined;
    readonly caPem: string | undefined;
  };
  private readonly logger: OcppLogger;
  private readonly random: () => number;
  private readonly preferredUrl: (() => string | undefined) | undefined;
  private readonly listeners = new Listeners<ChargingStationClientEvents>();
  private readonly handlers = new Map<
    CsmsAction,
    (request: unknown, context: IncomingCallContext<CsmsAction>) => unknown
  >();
  private readonly validationErrors = new WeakSet<object>();
  private peer: RpcPeer | null = null;
  private peerUrl: string | null = null;
  private urlIndex = 0;
  private failuresConsecutive = 0;
  private started = false;
  private closed = false;
  private loop: Promise<void> | null = null;
  private wakeSleep: (() => void) | null = null;

  constructor(
    options: ChargingStationClientOptions,
    collaborators: ChargingStationClientCollaborators = {},
  ) {
    const problems: string[] = [];
    const identityProblem = validateIdentity(options.identity);
    if (identityProblem !== null) problems.push(identityProblem);
    if (options.csmsUrls.length === 0) problems.push('csmsUrls must list at least one URL.');
    for (const url of options.csmsUrls) {
      if (!/^wss?:\/\//.test(url))
        problems.push(`csmsUrls entry ${JSON.stringify(url)} must start with ws:// or wss://.`);
    }
    const jitter = options.backoffJitter ?? backoffJitterDefault;
    if (!(jitter >= 0 && jitter <= 1)) problems.push('backoffJitter must be within 0 … 1.');
    const initial = options.backoffInitialMs ?? backoffInitialMsDefault;
    const max = options.backoffMaxMs ?? backoffMaxMsDefault;
    if (!(initial > 0 && max >= initial))
      problems.push('backoffInitialMs must be > 0 and ≤ backoffMaxMs.');
    if (problems.length > 0) throw new OcppError('OCPP_BAD_OPTIONS', problems.join(' '));
    this.options = {
      identity: options.identity,
      // ocpp-rpc appends `/<identity>`; a URL that already ends with it is taken as its base.
      csmsUrls: options.csmsUrls.map((url) => baseUrlOf(url, options.identity)),
      password: options.password,
      caPem: options.caPem,
      callTimeoutMs: options.callTimeoutMs ?? callTimeoutMsDefault,
      pingIntervalMs: options.pingIntervalMs ?? pingIntervalMsDefault,
      connectTimeoutMs: options.connectTimeoutMs ?? connectTimeoutMsDefault,
      backoffInitialMs: initial,
      backoffMaxMs: max,
      backoffJitter: jitter,
      badMessagesMax: options.badMessagesMax ?? badMessagesMaxDefault,
    };
    this.logger = collaborators.logger ?? silentOcppLogger;
    this.random = collaborators.random ?? Math.random;
    this.preferredUrl = collaborators.preferredUrl;
  }

  get identity(): string {
    return this.options.identity;
  }

  /** Whether a connection to some CSMS is open now. */
  get isConnected(): boolean {
    return this.peer !== null && this.peer.state === rpcStateOpen;
  }

  /** The base URL of the CSMS we are connected to, or null. */
  get connectedUrl(): string | null {
    return this.isConnected ? this.peerUrl : null;
  }

  /** Starts connecting (in the background, forever, until close). Idempotent. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.loop = this.runConnectLoop();
  }

  /** Resolves once connected; rejects with OCPP_TIMEOUT after timeoutMs, OCPP_CLOSED on close. */
  waitConnected(timeoutMs = 15_000): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    if (this.closed) return Promise.reject(new OcppError('OCPP_CLOSED', 'client closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new OcppError('OCPP_TIMEOUT', `not connected within ${timeoutMs} ms`));
      }, timeoutMs);
      const unsubscribe = this.listeners.on('connected', () => {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      });
    });
  }

  /** A typed CALL to the CSMS. Rejects with an OcppError (see OcppErrorCode). */
  async call<Action extends StationAction>(
    action: Action,
    request: ChargingStationToCsms[Action][0],
    options: CallOptions = {},
  ): Promise<ChargingStationToCsms[Action][1]> {
    const peer = this.peer;
    if (this.closed) throw new OcppError('OCPP_CLOSED', `${action}: client closed`);
    if (peer === null || peer.state !== rpcStateOpen) {
      throw new OcppError('OCPP_NOT_CONNECTED', `${action}: not connected to any CSMS`);
    }
    try {
      const response = await peer.call(action, request, {
        callTimeoutMs: options.timeoutMs ?? this.options.callTimeoutMs,
      });
      return response as ChargingStationToCsms[Action][1];
    } catch (error) {
      throw toOcppError(error, action, this.validationErrors);
    }
  }

  /** Registers the handler of a CSMS-initiated action (one per action; a second replaces the first). */
  handle<Action extends CsmsAction>(action: Action, handler: StationCallHandler<Action>): void {
    this.handlers.set(
      action,
      handler as (request: unknown, context: IncomingCallContext<CsmsAction>) => unknown,
    );
  }

  on<E extends keyof ChargingStationClientEvents>(
    event: E,
    listener: (payload: ChargingStationClientEvents[E]) => void,
  ): () => void {
    return this.listeners.on(event, listener);
  }

  /**
   * Closes the open connection, if any, and goes on: the client connects again as after any lost
   * connection (a station's Reset, B11/B12, reboots its link this way).
   */
  async disconnect(reason: string): Promise<void> {
    const peer = this.peer;
    if (peer === null || this.closed) return;
    await peer.close({ code: 1000, reason }).catch(() => undefined);
  }

  /** Closes the connection and stops reconnecting. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeSleep?.();
    const peer = this.peer;
    if (peer !== null) await peer.close({ code: 1000, reason: 'closing' }).catch(() => undefined);
    await this.loop;
  }

  /** Capped exponential backoff with jitter, after `failures` consecutive failures (≥ 1). */
  backoffDelayMs(failures: number): number {
    const exponent = Math.min(Math.max(failures - 1, 0), 30);
    const base = Math.min(this.options.backoffMaxMs, this.options.backoffInitialMs * 2 ** exponent);
    const spread = base * this.options.backoffJitter;
    return Math.round(
      Math.min(this.options.backoffMaxMs, base - spread + 2 * spread * this.random()),
    );
  }

  private async runConnectLoop(): Promise<void> {
    if (this.preferredUrl !== undefined) {
      const deadline = performance.now() + PREFERRED_URL_WAIT_MS;
      while (!this.closed && this.preferredUrl() === undefined && performance.now() < deadline) {
        await this.sleep(100);
      }
    }
    while (!this.closed) {
      if (this.failuresConsecutive <= 1) this.preferUrl();
      const url = this.options.csmsUrls[this.urlIndex] as string;
      const peer = this.createPeer(url);
      try {
        await peer.connect();
      } catch (error) {
        this.failuresConsecutive += 1;
        this.urlIndex = (this.urlIndex + 1) % this.options.csmsUrls.length;
        const nextDelayMs = this.backoffDelayMs(this.failuresConsecutive);
        const reason = describeConnectError(error);
        // A refused password (401) will not heal by retrying: say so where an operator looks.
        const refusedCredentials = (error as { code?: unknown }).code === 401;
        this.logger[refusedCredentials ? 'warn' : 'debug']('ocpp-connect-failed', {
          identity: this.identity,
          url,
          reason,
          nextDelayMs,
        });
        this.listeners.emit('connect-failed', { url, reason, nextDelayMs });
        peer.removeAllListeners();
        await this.sleep(nextDelayMs);
        continue;
      }
      if (this.closed) {
        await peer.close({ code: 1000, reason: 'closing' }).catch(() => undefined);
        return;
      }
      const closedEvent = new Promise<{ code?: number; reason?: string }>((resolve) => {
        peer.on('close', (event) => resolve(event));
      });
      this.peer = peer;
      this.peerUrl = url;
      this.failuresConsecutive = 0;
      this.logger.info('ocpp-connected', { identity: this.identity, url });
      this.listeners.emit('connected', { url });
      const { code, reason } = await closedEvent;
      this.peer = null;
      this.peerUrl = null;
      this.logger.info('ocpp-disconnected', {
        identity: this.identity,
        url,
        code,
        reason: reason ?? '',
      });
      this.listeners.emit('disconnected', { url, code, reason: reason ?? '' });
      if (this.closed) return;
      // The CSMS we had went away: every central serves stations (docs/OCPP.md, "Failover"), so
      // the next URL in the list is as good as any (B10: the next connection profile).
      this.failuresConsecutive = 1;
      this.urlIndex = (this.urlIndex + 1) % this.options.csmsUrls.length;
      await this.sleep(this.backoffDelayMs(1));
    }
  }

  private createPeer(url: string): RpcPeer {
    const peer = createRpcClient({
      endpoint: url,
      identity: this.options.identity,
      protocols: [ocppSubprotocol],
      strictMode: true,
      reconnect: false,
      callTimeoutMs: this.options.callTimeoutMs,
      pingIntervalMs: this.options.pingIntervalMs,
      maxBadMessages: this.options.badMessagesMax,
      callConcurrency: 1,
      respondWithDetailedErrors: false,
      ...(this.options.password === undefined ? {} : { password: this.options.password }),
      wsOpts: {
        handshakeTimeout: this.options.connectTimeoutMs,
        ...(this.options.caPem === undefined ? {} : { ca: this.options.caPem }),
      },
    });
    peer.on('strictValidationFailure', (event) => {
      this.validationErrors.add(event.error);
      this.logger.warn('ocpp-validation-failed', {
        identity: this.identity,
        action: event.method,
        messageId: event.messageId,
        direction: event.outbound ? 'out' : 'in',
        part: event.isCall ? 'request' : 'response',
        reason: describeValidationError(event.error),
      });
    });
    peer.on('badMessage', (event) => {
      this.logger.warn('ocpp-bad-message', {
        identity: this.identity,
        reason: event.error.message,
        frame: String(event.buffer).slice(0, 200),
      });
    });
    peer.on('socketError', (error) => {
      this.logger.debug('ocpp-socket-error', {
        identity: this.identity,
        url,
        reason: error.message,
      });
    });
    for (const action of csmsActions) {
      peer.handle(action, async (context) => {
        const handler = this.handlers.get(action);
        if (handler === undefined) {
          throw new OcppError('OCPP_CALL_ERROR', `no handler for ${action}`, 'NotImplemented');
        }
        return handler(context.params, { action, messageId: context.messageId });
      });
    }
    return peer;
  }

  /** Starts from the preferred URL when the caller names one of ours. */
  private preferUrl(): void {
    const preferred = this.preferredUrl?.();
    if (preferred === undefined) return;
    const index = this.options.csmsUrls.indexOf(baseUrlOf(preferred, this.options.identity));
    if (index >= 0) this.urlIndex = index;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) {
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      const wake = (): void => {
        clearTimeout(timer);
        done();
      };
      function done(): void {
        resolve();
      }
      this.wakeSleep = wake;
    });
  }
}

function baseUrlOf(url: string, identity: string): string {
  const trimmed = url.replace(/\/+$/, '');
  const suffix = `/${encodeURIComponent(identity)}`;
  return trimmed.endsWith(suffix) ? trimmed.slice(0, -suffix.length) : trimmed;
}

function describeConnectError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = (error as { code?: unknown }).code;
  return typeof status === 'number' ? `HTTP ${status} ${error.message}` : error.message;
}

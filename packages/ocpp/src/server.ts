/**
 * The CSMS side of the OCPP link: an HTTP(S) server whose WebSocket upgrades (`ws[s]://host:port/<id>`,
 * subprotocol ocpp2.0.1) become charging-station connections, strict-validated both ways.
 * docs/OCPP.md, "Security profiles" and "Bad input": Basic auth (profile 1) and TLS (profile 2) are
 * checked at the upgrade (upgrade-gate.ts), frames are capped, each station's calls are
 * rate-limited, and a second connection of an identity replaces the first.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  badMessagesMaxDefault,
  callTimeoutMsDefault,
  frameBytesMaxDefault,
  ocppSubprotocol,
  pingIntervalMsDefault,
  stationCallBurstMaxDefault,
  stationCallsPerSecondMaxDefault,
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
import { stationActions } from './messages';
import { TokenBucket } from './rate-limit';
import { createRpcServer, rpcStateOpen, toOcppError, type RpcPeer, type RpcServer } from './rpc';
import type { StationPasswordLookup } from './station-auth';
import {
  closeWithoutSubprotocol,
  createBareServer,
  guardUpgradeSocket,
  judgeUpgrade,
  refuseUpgrade,
} from './upgrade-gate';
import { describeValidationError } from './validation';
import type { CallOptions, IncomingCallContext } from './client';

export interface CsmsServerOptions {
  /** Default '0.0.0.0'. */
  readonly host?: string;
  /** 0 picks a free port (see `port` after `listen`). */
  readonly port: number;
  /** Default 30 000. */
  readonly callTimeoutMs?: number;
  /** WebSocket ping cadence; default 10 000. */
  readonly pingIntervalMs?: number;
  /** Invalid frames tolerated per connection before it is closed; default 10. */
  readonly badMessagesMax?: number;
  /** Log every call in and out as "ocpp" {chargePointId, direction, action} at info. Default true. */
  readonly logTraffic?: boolean;
  /** Security Profile 2: serve wss:// with this certificate (chain) and key, PEM. Default ws://. */
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
  /** The largest message read; larger closes with 1009. Default 256 KiB. */
  readonly frameBytesMax?: number;
  /** Per-station calls: sustained rate and burst; over it, a CALLERROR. Defaults 50/s, 100. */
  readonly callsPerSecondMax?: number;
  readonly callBurstMax?: number;
}

export interface CsmsServerCollaborators {
  readonly logger?: OcppLogger;
  /**
   * Security Profile 1: the password of each identity; an upgrade without the right Basic
   * credentials is refused with 401. Absent: no authentication (profile 0, tests and labs only).
   */
  readonly passwordOf?: StationPasswordLookup;
  /** Wall clock for the rate limit, ms. Default performance.now. */
  readonly nowMs?: () => number;
}

export interface UpgradeRequest {
  readonly chargePointId: string;
  readonly remoteAddress: string | undefined;
}

/** true accepts; a string refuses with HTTP 503 and that reason (checked after authentication). */
export type UpgradePredicate = (request: UpgradeRequest) => true | string;

/** Handles a station-initiated call; throw `callError(...)` to answer with a specific CALLERROR. */
export type CsmsCallHandler<Action extends StationAction> = (
  chargePointId: string,
  request: ChargingStationToCsms[Action][0],
  context: IncomingCallContext<Action>,
) => ChargingStationToCsms[Action][1] | Promise<ChargingStationToCsms[Action][1]>;

export interface CsmsServerEvents extends Record<string, unknown> {
  connected: { readonly chargePointId: string; readonly remoteAddress: string | undefined };
  disconnected: {
    readonly chargePointId: string;
    readonly code: number | undefined;
    readonly reason: string;
  };
  refused: { readonly chargePointId: string; readonly status: number; readonly reason: string };
}

type AnyHandler = (
  chargePointId: string,
  request: unknown,
  context: IncomingCallContext<StationAction>,
) => unknown;

type ResolvedOptions = Required<Omit<CsmsServerOptions, 'host' | 'tls'>> &
  Pick<CsmsServerOptions, 'tls'> & { readonly host: string };

export class CsmsServer {
  private readonly options: ResolvedOptions;
  private readonly logger: OcppLogger;
  private readonly passwordOf: StationPasswordLookup | undefined;
  private readonly nowMs: () => number;
  private readonly bareServer = createBareServer();
  private readonly listeners = new Listeners<CsmsServerEvents>();
  private readonly handlers = new Map<StationAction, AnyHandler>();
  private readonly peers = new Map<string, RpcPeer>();
  private readonly validationErrors = new WeakSet<object>();
  private readonly rpcServer: RpcServer;
  private readonly httpServer: http.Server | https.Server;
  private predicate: UpgradePredicate = () => true;
  private boundPort = 0;
  private closed = false;

  constructor(options: CsmsServerOptions, collaborators: CsmsServerCollaborators = {}) {
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535) {
      throw new OcppError('OCPP_BAD_OPTIONS', 'port must be an integer within 0 … 65535.');
    }
    this.options = {
      host: options.host ?? '0.0.0.0',
      port: options.port,
      callTimeoutMs: options.callTimeoutMs ?? callTimeoutMsDefault,
      pingIntervalMs: options.pingIntervalMs ?? pingIntervalMsDefault,
      badMessagesMax: options.badMessagesMax ?? badMessagesMaxDefault,
      logTraffic: options.logTraffic ?? true,
      tls: options.tls,
      frameBytesMax: options.frameBytesMax ?? frameBytesMaxDefault,
      callsPerSecondMax: options.callsPerSecondMax ?? stationCallsPerSecondMaxDefault,
      callBurstMax: options.callBurstMax ?? stationCallBurstMaxDefault,
    };
    this.logger = collaborators.logger ?? silentOcppLogger;
    this.passwordOf = collaborators.passwordOf;
    this.nowMs = collaborators.nowMs ?? (() => performance.now());
    this.rpcServer = createRpcServer({
      protocols: [ocppSubprotocol],
      strictMode: true,
      callTimeoutMs: this.options.callTimeoutMs,
      pingIntervalMs: this.options.pingIntervalMs,
      maxBadMessages: this.options.badMessagesMax,
      callConcurrency: 1,
      respondWithDetailedErrors: false,
      wssOptions: { maxPayload: this.options.frameBytesMax },
    });
    // Everything was decided in onUpgrade before ocpp-rpc saw the request.
    this.rpcServer.auth((accept) => accept({}, ocppSubprotocol));
    this.rpcServer.on('client', (peer) => this.adopt(peer));
    this.rpcServer.on('error', (error) =>
      this.logger.warn('ocpp-server-error', { reason: error.message }),
    );
    this.rpcServer.on('upgradeAborted', (event) => {
      this.logger.debug('ocpp-upgrade-aborted', {
        chargePointId: event.identity,
        reason: event.error?.message,
      });
    });
    const plain = (_request: http.IncomingMessage, response: http.ServerResponse): void => {
      response.writeHead(426, { 'content-type': 'text/plain' });
      response.end(
        `OCPP-J endpoint: connect with a WebSocket to /<chargePointId>, subprotocol ${ocppSubprotocol}\n`,
      );
    };
    const tls = this.options.tls;
    this.httpServer =
      tls === undefined
        ? http.createServer(plain)
        : https.createServer({ cert: tls.certPem, key: tls.keyPem }, plain);
    this.httpServer.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) =>
      this.onUpgrade(request, socket, head),
    );
    // A TLS handshake that fails (a station that does not trust our CA) is logged, not thrown.
    this.httpServer.on('tlsClientError', (error: Error) =>
      this.logger.warn('ocpp-tls-error', { reason: error.message }),
    );
  }

  /** "wss" with Security Profile 2, else "ws". */
  get scheme(): 'ws' | 'wss' {
    return this.options.tls === undefined ? 'ws' : 'wss';
  }

  private onUpgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    guardUpgradeSocket(socket, (error) =>
      this.logger.debug('ocpp-upgrade-socket-error', {
        reason: error.message,
        remoteAddress: request.socket.remoteAddress,
      }),
    );
    const verdict = judgeUpgrade(request, this.passwordOf);
    const chargePointId = verdict.identity;
    const refused = (status: number, reason: string): void => {
      // The reason says what was wrong (unknown identity, wrong password), never a credential.
      this.logger.warn('ocpp-upgrade-refused', {
        chargePointId,
        status,
        reason,
        remoteAddress: request.socket.remoteAddress,
      });
      this.listeners.emit('refused', { chargePointId, status, reason });
    };
    if (verdict.kind === 'refuse') {
      refused(verdict.status, verdict.reason);
      refuseUpgrade(socket, verdict.status, verdict.reason);
      return;
    }
    if (verdict.kind === 'no-subprotocol') {
      refused(101, verdict.reason);
      closeWithoutSubprotocol(this.bareServer, request, socket, head, verdict.reason);
      return;
    }
    let accepted: true | string;
    try {
      accepted = this.predicate({ chargePointId, remoteAddress: request.socket.remoteAddress });
    } catch (error) {
      accepted = `accept predicate failed: ${(error as Error).message}`;
    }
    if (accepted !== true) {
      refused(503, accepted);
      refuseUpgrade(socket, 503, accepted);
      return;
    }
    this.rpcServer.handleUpgrade(request, socket, head);
  }

  /** Binds host:port; resolves with the port (useful with port 0). */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(
          new OcppError(
            'OCPP_LISTEN_FAILED',
            `cannot listen on ${this.options.host}:${this.options.port}: ${error.message}`,
          ),
        );
      };
      this.httpServer.once('error', onError);
      this.httpServer.listen(this.options.port, this.options.host, () => {
        this.httpServer.off('error', onError);
        resolve();
      });
    });
    this.boundPort = (this.httpServer.address() as AddressInfo).port;
    this.logger.info('ocpp-listening', { host: this.options.host, port: this.boundPort });
    return this.boundPort;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Decides every later upgrade (existing connections are not affected; see closeAll). */
  accept(predicate: UpgradePredicate): void {
    this.predicate = predicate;
  }

  /** Registers the handler of a station-initiated action; unhandled actions get NotImplemented. */
  handle<Action extends StationAction>(action: Action, handler: CsmsCallHandler<Action>): void {
    this.handlers.set(action, handler as AnyHandler);
  }

  /** A typed CALL to a connected station. Rejects with an OcppError. */
  async call<Action extends CsmsAction>(
    chargePointId: string,
    action: Action,
    request: CsmsToChargingStation[Action][0],
    options: CallOptions = {},
  ): Promise<CsmsToChargingStation[Action][1]> {
    const peer = this.peers.get(chargePointId);
    if (peer === undefined || peer.state !== rpcStateOpen) {
      throw new OcppError('OCPP_NOT_CONNECTED', `${action}: ${chargePointId} is not connected`);
    }
    if (this.options.logTraffic)
      this.logger.info('ocpp', { chargePointId, direction: 'out', action });
    try {
      const response = await peer.call(action, request, {
        callTimeoutMs: options.timeoutMs ?? this.options.callTimeoutMs,
      });
      return response as CsmsToChargingStation[Action][1];
    } catch (error) {
      throw toOcppError(error, action, this.validationErrors);
    }
  }

  connectedIds(): string[] {
    return [...this.peers.keys()].sort();
  }

  isConnected(chargePointId: string): boolean {
    return this.peers.get(chargePointId)?.state === rpcStateOpen;
  }

  on<E extends keyof CsmsServerEvents>(
    event: E,
    listener: (payload: CsmsServerEvents[E]) => void,
  ): () => void {
    return this.listeners.on(event, listener);
  }

  /** Closes every station connection with `code` (e.g. 1012 on step-down); keeps listening. */
  async closeAll(code: number, reason = ''): Promise<void> {
    const peers = [...this.peers.values()];
    await Promise.all(peers.map((peer) => peer.close({ code, reason }).catch(() => undefined)));
  }

  /** Closes one station's connection, if open, with `code` and `reason`; keeps listening. */
  async disconnect(chargePointId: string, code: number, reason: string): Promise<void> {
    const peer = this.peers.get(chargePointId);
    if (peer === undefined) return;
    await peer.close({ code, reason }).catch(() => undefined);
  }

  /** Closes every connection and the listening socket. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.rpcServer.close({ code: 1001, reason: 'server closing' }).catch(() => undefined);
    this.bareServer.close();
    await new Promise<void>((resolve) => {
      this.httpServer.close(() => resolve());
      this.httpServer.closeAllConnections();
    });
  }

  private adopt(peer: RpcPeer): void {
    const chargePointId = peer.identity ?? '';
    const previous = this.peers.get(chargePointId);
    if (previous !== undefined) {
      // docs/OCPP.md, "Bad input": the newer (authenticated) connection wins — a station that lost
      // its network reconnects before we see its old socket close.
      this.logger.info('ocpp-replaced-connection', { chargePointId });
      previous.removeAllListeners();
      void previous
        .close({ code: 1000, reason: 'replaced by a newer connection' })
        .catch(() => undefined);
    }
    this.peers.set(chargePointId, peer);
    peer.on('strictValidationFailure', (event) => {
      this.validationErrors.add(event.error);
      this.logger.warn('ocpp-validation-failed', {
        chargePointId,
        action: event.method,
        messageId: event.messageId,
        direction: event.outbound ? 'out' : 'in',
        part: event.isCall ? 'request' : 'response',
        reason: describeValidationError(event.error),
      });
    });
    peer.on('badMessage', (event) => {
      this.logger.warn('ocpp-bad-message', {
        chargePointId,
        reason: event.error.message,
        frame: String(event.buffer).slice(0, 200),
      });
    });
    peer.on('socketError', (error) => {
      // ws closes with 1009 when a frame exceeds maxPayload (docs/OCPP.md, "Bad input").
      if ((error as { code?: unknown }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        this.logger.warn('ocpp-frame-too-large', {
          chargePointId,
          frameBytesMax: this.options.frameBytesMax,
        });
        return;
      }
      this.logger.debug('ocpp-socket-error', { chargePointId, reason: error.message });
    });
    peer.on('close', (event) => {
      if (this.peers.get(chargePointId) === peer) this.peers.delete(chargePointId);

      this.logger.info('ocpp-disconnected', {
        chargePointId,
        code: event.code,
        reason: event.reason ?? '',
      });
      this.listeners.emit('disconnected', {
        chargePointId,
        code: event.code,
        reason: event.reason ?? '',
      });
    });
    const bucket = new TokenBucket(
      this.options.callsPerSecondMax,
      this.options.callBurstMax,
      this.nowMs,
    );
    let refusedInRow = 0;
    for (const action of stationActions) {
      peer.handle(action, async (context) => {
        if (this.options.logTraffic)
          this.logger.info('ocpp', { chargePointId, direction: 'in', action });
        if (!bucket.take()) {
          refusedInRow += 1;
          // One line per burst of refusals, not one per call: the log must survive the flood.
          if (refusedInRow === 1 || refusedInRow % 1000 === 0) {
            this.logger.warn('ocpp-rate-limited', { chargePointId, action, refusedInRow });
          }
          throw new OcppError(
            'OCPP_CALL_ERROR',
            `rate limit: more than ${this.options.callsPerSecondMax} calls/s; retry later`,
            'GenericError',
            { retryAfterMs: bucket.retryAfterMs() },
          );
        }
        refusedInRow = 0;
        const handler = this.handlers.get(action);
        if (handler === undefined) {
          throw new OcppError('OCPP_CALL_ERROR', `${action} is not implemented`, 'NotImplemented');
        }
        return handler(chargePointId, context.params, { action, messageId: context.messageId });
      });
    }
    this.logger.info('ocpp-connected', { chargePointId });
    this.listeners.emit('connected', { chargePointId, remoteAddress: undefined });
  }
}

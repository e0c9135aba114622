/**
 * The EVSE's EV link endpoint: a WebSocket server on host:port, path /ev, one EV session per
 * connection. It owns framing and validation; what a request means is the handler's business (the
 * charge point's EVSE controller). Untrusted input is answered, never trusted: a bad frame gets an
 * error frame and a log line, and too many of them close the connection — the process never throws.
 */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { decodeFrame, encodeFrame, errorMessage, type CodecLimits } from './codec';
import {
  BAD_FRAMES_MAX_DEFAULT,
  CLOSE_GOING_AWAY,
  CLOSE_MESSAGE_TOO_BIG,
  CLOSE_NORMAL,
  CLOSE_POLICY_VIOLATION,
  CLOSE_TRY_AGAIN_LATER,
  CONNECTIONS_MAX_DEFAULT,
  EV_LINK_PATH,
  FRAME_BYTES_MAX_DEFAULT,
  PENDING_REQUESTS_MAX_DEFAULT,
} from './constants';
import { EvLinkError } from './errors';
import {
  responseTypeOf,
  type EvLinkMessage,
  type EvRequest,
  type EvseNotification,
  type ResponseBody,
} from './messages';

/** The logger the server writes to (a winston logger fits). */
export interface EvLinkLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

const silent: EvLinkLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** User options; every one has a default in constants.ts. */
export interface EvLinkServerOptions {
  /** Address to bind (default 127.0.0.1). */
  readonly host?: string;
  /** Port to bind; 0 picks a free one (see `port` after listen). */
  readonly port: number;
  /** WebSocket path (default /ev); other paths are refused with HTTP 404. */
  readonly path?: string;
  /** Largest frame, bytes (default 16 KiB). Larger ones get an error frame; 4× larger close the socket. */
  readonly frameBytesMax?: number;
  /** Connections at once (default 16); more are closed with 1013 (try again later). */
  readonly connectionsMax?: number;
  /** Bad frames tolerated per connection before it is closed with 1008 (default 8). */
  readonly badFramesMax?: number;
  /** Requests of one session being handled at once (default 16); more get an `overloaded` error. */
  readonly pendingRequestsMax?: number;
}

/** Handles one request; returns the matching response without `requestId` (the server adds it). */
export type EvRequestHandler = (request: EvRequest) => Promise<ResponseBody> | ResponseBody;

/** One EV's connection, as the EVSE controller sees it. */
export interface EvLinkSession {
  /** Unique per server, increasing. */
  readonly id: number;
  readonly remoteAddress: string;
  /** True until the connection closes. */
  readonly open: boolean;
  /**
   * Sets the request handler. Requests are passed on as they arrive (not serialised: a
   * SessionStopReq must be able to overtake a ChargeParameterDiscoveryReq waiting for a profile).
   * A request that arrives before a handler is set gets an `internal-error` error frame.
   */
  handle(handler: EvRequestHandler): void;
  /** Pushes an EvseNotification. Returns false if the connection is closed. */
  notify(notification: Omit<EvseNotification, 'type'>): boolean;
  /** Calls `listener` once when the connection closes (the EV is gone: treat as unplugged). */
  onClose(listener: (code: number, reason: string) => void): void;
  close(code?: number, reason?: string): void;
}

export interface EvLinkServerCollaborators {
  readonly logger?: EvLinkLogger;
  /** Called once per accepted connection, before its first frame is read. */
  readonly onSession: (session: EvLinkSession) => void;
}

export class EvLinkServer {
  private readonly sessions = new Set<Session>();
  private nextSessionId = 1;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly wss: WebSocketServer,
    /** The bound port (the real one when 0 was asked). */
    readonly port: number,
    readonly host: string,
    readonly path: string,
  ) {}

  /** ws://host:port/ev */
  get url(): string {
    return `ws://${this.host}:${this.port}${this.path}`;
  }

  /** Binds and resolves once listening; rejects if the port cannot be bound. */
  static listen(
    options: EvLinkServerOptions,
    collaborators: EvLinkServerCollaborators,
  ): Promise<EvLinkServer> {
    const host = options.host ?? '127.0.0.1';
    const path = options.path ?? EV_LINK_PATH;
    const frameBytesMax = options.frameBytesMax ?? FRAME_BYTES_MAX_DEFAULT;
    const limits: SessionLimits = {
      frameBytesMax,
      badFramesMax: options.badFramesMax ?? BAD_FRAMES_MAX_DEFAULT,
      pendingRequestsMax: options.pendingRequestsMax ?? PENDING_REQUESTS_MAX_DEFAULT,
    };
    const connectionsMax = options.connectionsMax ?? CONNECTIONS_MAX_DEFAULT;
    const logger = collaborators.logger ?? silent;
    return new Promise((resolve, reject) => {
      const wss = new WebSocketServer({
        host,
        port: options.port,
        path,
        // The socket-level cap: frames up to 4× the limit are read and answered with an error
        // frame; beyond that ws closes with 1009 without buffering the rest.
        maxPayload: frameBytesMax * 4,
        clientTracking: false,
        perMessageDeflate: false,
      });
      const onListenError = (error: Error) => reject(error);
      wss.once('error', onListenError);
      wss.once('listening', () => {
        wss.off('error', onListenError);
        wss.on('error', (error) => logger.error('ev-link-server-error', { error: error.message }));
        const port = (wss.address() as AddressInfo).port;
        const server = new EvLinkServer(wss, port, host, path);
        wss.on('connection', (socket, request) =>
          server.accept(socket, request, limits, connectionsMax, logger, collaborators.onSession),
        );
        logger.info('ev-link-listening', { url: server.url });
        resolve(server);
      });
    });
  }

  private accept(
    socket: WebSocket,
    request: IncomingMessage,
    limits: SessionLimits,
    connectionsMax: number,
    logger: EvLinkLogger,
    onSession: (session: EvLinkSession) => void,
  ): void {
    const remoteAddress = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? '?'}`;
    if (this.closing !== undefined || this.sessions.size >= connectionsMax) {
      logger.warn('ev-link-refused', { remoteAddress, reason: 'too many connections' });
      socket.close(CLOSE_TRY_AGAIN_LATER, 'too many connections');
      return;
    }
    const session = new Session(this.nextSessionId++, remoteAddress, socket, limits, logger);
    this.sessions.add(session);
    session.onClose(() => this.sessions.delete(session));
    logger.info('ev-link-connected', { sessionId: session.id, remoteAddress });
    try {
      onSession(session);
    } catch (error) {
      // A programming error in the EVSE: close this connection, keep serving the others.
      logger.error('ev-link-session-setup-failed', { sessionId: session.id, error: String(error) });
      session.close(CLOSE_POLICY_VIOLATION, 'internal error');
    }
  }

  /** Closes every connection (1001, going away) and the listener. Safe to call more than once. */
  close(): Promise<void> {
    return (this.closing ??= new Promise<void>((resolve) => {
      for (const session of this.sessions) session.close(CLOSE_GOING_AWAY, 'EVSE shutting down');
      for (const session of this.sessions) session.terminate();
      this.wss.close(() => resolve());
    }));
  }
}

interface SessionLimits extends CodecLimits {
  readonly badFramesMax: number;
  readonly pendingRequestsMax: number;
}

class Session implements EvLinkSession {
  private handler: EvRequestHandler | undefined;
  private readonly closeListeners: ((code: number, reason: string) => void)[] = [];
  private badFrames = 0;
  private pending = 0;
  private closed = false;

  constructor(
    readonly id: number,
    readonly remoteAddress: string,
    private readonly socket: WebSocket,
    private readonly limits: SessionLimits,
    private readonly logger: EvLinkLogger,
  ) {
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('error', (error) => {
      // ws closes the socket after this (e.g. 1009 for a payload above maxPayload).
      logger.warn('ev-link-socket-error', { sessionId: id, error: error.message });
    });
    socket.on('close', (code, reason) => {
      this.closed = true;
      const text = reason.toString('utf8');
      logger.info('ev-link-closed', { sessionId: id, code, reason: text });
      for (const listener of this.closeListeners.splice(0)) {
        try {
          listener(code, text);
        } catch (error) {
          logger.error('ev-link-close-listener-failed', { sessionId: id, error: String(error) });
        }
      }
    });
  }

  get open(): boolean {
    return !this.closed && this.socket.readyState === WebSocket.OPEN;
  }

  handle(handler: EvRequestHandler): void {
    this.handler = handler;
  }

  notify(notification: Omit<EvseNotification, 'type'>): boolean {
    return this.send({ type: 'EvseNotification', ...notification });
  }

  onClose(listener: (code: number, reason: string) => void): void {
    if (this.closed) listener(CLOSE_NORMAL, '');
    else this.closeListeners.push(listener);
  }

  close(code: number = CLOSE_NORMAL, reason = ''): void {
    if (
      this.socket.readyState === WebSocket.OPEN ||
      this.socket.readyState === WebSocket.CONNECTING
    ) {
      this.socket.close(code, reason);
    }
  }

  terminate(): void {
    this.socket.terminate();
  }

  private send(message: EvLinkMessage): boolean {
    if (!this.open) return false;
    try {
      this.socket.send(encodeFrame(message, this.limits));
      return true;
    } catch (error) {
      // Our own message failed our own validation: a programming error in the EVSE, logged loudly;
      // the EV gets an error frame instead so it does not wait for a response that never comes.
      this.logger.error('ev-link-send-refused', {
        sessionId: this.id,
        type: message.type,
        error: error instanceof Error ? error.message : String(error),
      });
      if (message.type !== 'Error' && message.type !== 'EvseNotification') {
        this.sendError(
          new EvLinkError(
            'internal-error',
            'The EVSE built an invalid response.',
            message.requestId,
          ),
        );
      }
      return false;
    }
  }

  private sendError(error: EvLinkError): void {
    this.send(errorMessage(error));
  }

  private refuse(error: EvLinkError): void {
    this.badFrames += 1;
    this.logger.warn('ev-link-bad-frame', {
      sessionId: this.id,
      code: error.code,
      reason: error.message,
      badFrames: this.badFrames,
    });
    this.sendError(error);
    if (this.badFrames >= this.limits.badFramesMax) {
      this.close(CLOSE_POLICY_VIOLATION, 'too many bad frames');
    } else if (error.code === 'frame-too-large') {
      // The EV ignores the frame limit; it would only send more of them.
      this.close(CLOSE_MESSAGE_TOO_BIG, 'frame too large');
    }
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    if (!isBinary) {
      this.refuse(new EvLinkError('malformed-frame', 'Frames must be binary (MessagePack).'));
      return;
    }
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    let message: EvLinkMessage;
    try {
      message = decodeFrame(bytes, this.limits);
    } catch (error) {
      if (error instanceof EvLinkError) {
        this.refuse(error);
        return;
      }
      throw error; // decodeFrame throws EvLinkError only: anything else is a bug (STYLE rule 4).
    }
    switch (message.type) {
      case 'SessionSetupReq':
      case 'ChargeParameterDiscoveryReq':
      case 'PowerDeliveryReq':
      case 'ChargingStatusReq':
      case 'SessionStopReq':
        this.dispatch(message);
        return;
      case 'Error':
        this.logger.warn('ev-link-ev-error', {
          sessionId: this.id,
          code: message.code,
          reason: message.reason,
        });
        return;
      case 'SessionSetupRes':
      case 'ChargeParameterDiscoveryRes':
      case 'PowerDeliveryRes':
      case 'ChargingStatusRes':
      case 'SessionStopRes':
      case 'EvseNotification':
        this.refuse(
          new EvLinkError(
            'unexpected-message',
            `The EVSE does not accept ${message.type} (EVSE → EV only).`,
            message.type === 'EvseNotification' ? null : message.requestId,
          ),
        );
        return;
    }
  }

  private dispatch(request: EvRequest): void {
    const handler = this.handler;
    if (handler === undefined) {
      this.sendError(
        new EvLinkError('internal-error', 'The EVSE is not ready.', request.requestId),
      );
      return;
    }
    if (this.pending >= this.limits.pendingRequestsMax) {
      this.refuse(
        new EvLinkError(
          'overloaded',
          `More than ${this.limits.pendingRequestsMax} requests waiting.`,
          request.requestId,
        ),
      );
      return;
    }
    this.pending += 1;
    const expected = responseTypeOf[request.type];
    Promise.resolve()
      .then(() => handler(request))
      .then((response) => {
        if (response.type !== expected) {
          throw new Error(`the handler answered ${request.type} with ${response.type}`);
        }
        this.send({ ...response, requestId: request.requestId } as EvLinkMessage);
      })
      .catch((error: unknown) => {
        this.logger.error('ev-link-handler-failed', {
          sessionId: this.id,
          type: request.type,
          error: error instanceof Error ? error.message : String(error),
        });
        this.sendError(
          new EvLinkError(
            'internal-error',
            `The EVSE failed to handle ${request.type}.`,
            request.requestId,
          ),
        );
      })
      .finally(() => {
        this.pending -= 1;
      });
  }
}

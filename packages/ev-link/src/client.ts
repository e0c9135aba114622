/**
 * The EV's side of the EV link: connect to an EVSE's ws://host:port/ev, send typed requests, get
 * the matching typed responses. Timeouts are real milliseconds (a scenario's time scale never
 * shortens a protocol timeout). Used by the EV emulator and by tests.
 */
import { WebSocket, type RawData } from 'ws';
import { decodeFrame, encodeFrame, type CodecLimits } from './codec';
import {
  CHARGE_PARAMETER_DISCOVERY_TIMEOUT_MS_DEFAULT,
  CLOSE_NORMAL,
  FRAME_BYTES_MAX_DEFAULT,
  PENDING_REQUESTS_MAX_DEFAULT,
  REQUEST_ID_MAX,
  REQUEST_TIMEOUT_MS_DEFAULT,
} from './constants';
import { EvLinkError } from './errors';
import {
  responseTypeOf,
  type EvLinkMessage,
  type EvRequest,
  type EvseNotification,
  type EvseResponse,
  type RequestBody,
  type ResponseFor,
} from './messages';

/** User options; every one has a default in constants.ts. */
export interface EvLinkClientOptions {
  /** How long `connect` waits for the WebSocket to open, ms (default 5 000). */
  readonly connectTimeoutMs?: number;
  /** Default response timeout, ms (default 10 000). */
  readonly requestTimeoutMs?: number;
  /** Response timeout for ChargeParameterDiscoveryReq, ms (default 65 000: K15.FR.08's 60 s + 5 s). */
  readonly chargeParameterDiscoveryTimeoutMs?: number;
  /** Largest frame, bytes, both ways (default 16 KiB). */
  readonly frameBytesMax?: number;
  /** Requests waiting for a response at once (default 16); more are refused with `overloaded`. */
  readonly pendingRequestsMax?: number;
}

export interface RequestOptions {
  /** Overrides the client's timeout for this request, ms. */
  readonly timeoutMs?: number;
}

interface Pending {
  readonly expected: EvseResponse['type'];
  readonly resolve: (response: EvseResponse) => void;
  readonly reject: (error: EvLinkError) => void;
  readonly timer: NodeJS.Timeout;
}

const CONNECT_TIMEOUT_MS_DEFAULT = 5_000;

export class EvLinkClient {
  private readonly pending = new Map<number, Pending>();
  private readonly notificationListeners = new Set<(notification: EvseNotification) => void>();
  private readonly closeListeners = new Set<(code: number, reason: string) => void>();
  private readonly protocolErrorListeners = new Set<(error: EvLinkError) => void>();
  private nextRequestId = 1;
  private closed = false;
  private readonly limits: CodecLimits;

  private constructor(
    private readonly socket: WebSocket,
    private readonly options: EvLinkClientOptions,
  ) {
    this.limits = { frameBytesMax: options.frameBytesMax ?? FRAME_BYTES_MAX_DEFAULT };
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('error', () => {
      // 'close' follows; pending requests are failed there.
    });
    socket.on('close', (code, reason) => {
      this.closed = true;
      const text = reason.toString('utf8');
      for (const [requestId, call] of this.pending) {
        clearTimeout(call.timer);
        call.reject(
          new EvLinkError(
            'not-connected',
            `The connection closed (${code}) before the response.`,
            requestId,
          ),
        );
      }
      this.pending.clear();
      for (const listener of this.closeListeners) listener(code, text);
    });
  }

  /** Opens a connection to an EVSE (url: ws://host:port/ev). Rejects with EvLinkError('not-connected'). */
  static connect(url: string, options: EvLinkClientOptions = {}): Promise<EvLinkClient> {
    const frameBytesMax = options.frameBytesMax ?? FRAME_BYTES_MAX_DEFAULT;
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, {
        maxPayload: frameBytesMax * 4,
        perMessageDeflate: false,
        handshakeTimeout: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT,
      });
      const fail = (error: Error) => {
        socket.off('open', opened);
        socket.terminate();
        reject(new EvLinkError('not-connected', `Cannot connect to ${url}: ${error.message}`));
      };
      const opened = () => {
        socket.off('error', fail);
        resolve(new EvLinkClient(socket, options));
      };
      socket.once('error', fail);
      socket.once('open', opened);
    });
  }

  /** True while the connection is open. */
  get open(): boolean {
    return !this.closed && this.socket.readyState === WebSocket.OPEN;
  }

  /**
   * Sends a request and resolves with its response. Rejects with EvLinkError: `timeout`,
   * `not-connected`, `overloaded`, `remote-error` (the EVSE sent an Error frame; see `remoteCode`),
   * `invalid-message` (the request itself is invalid; nothing was sent).
   */
  request<B extends RequestBody>(
    body: B,
    options: RequestOptions = {},
  ): Promise<ResponseFor[B['type']]> {
    if (!this.open) {
      return Promise.reject(new EvLinkError('not-connected', 'The connection is not open.'));
    }
    const pendingMax = this.options.pendingRequestsMax ?? PENDING_REQUESTS_MAX_DEFAULT;
    if (this.pending.size >= pendingMax) {
      return Promise.reject(
        new EvLinkError('overloaded', `${pendingMax} requests are already waiting.`),
      );
    }
    const requestId = this.takeRequestId();
    const request = { ...body, requestId } as EvRequest;
    let frame: Buffer;
    try {
      frame = encodeFrame(request, this.limits);
    } catch (error) {
      return Promise.reject(error);
    }
    const timeoutMs =
      options.timeoutMs ??
      (request.type === 'ChargeParameterDiscoveryReq'
        ? (this.options.chargeParameterDiscoveryTimeoutMs ??
          CHARGE_PARAMETER_DISCOVERY_TIMEOUT_MS_DEFAULT)
        : (this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT));
    return new Promise<EvseResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(
          new EvLinkError(
            'timeout',
            `No ${responseTypeOf[request.type]} within ${timeoutMs} ms.`,
            requestId,
          ),
        );
      }, timeoutMs);
      this.pending.set(requestId, {
        expected: responseTypeOf[request.type],
        resolve,
        reject,
        timer,
      });
      this.socket.send(frame);
    }) as Promise<ResponseFor[B['type']]>;
  }

  /** Listens for EvseNotification pushes (a new grant: renegotiation, lease lost or restored). */
  onNotification(listener: (notification: EvseNotification) => void): () => void {
    this.notificationListeners.add(listener);
    return () => this.notificationListeners.delete(listener);
  }

  /** Listens for the connection's close. */
  onClose(listener: (code: number, reason: string) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Listens for frames from the EVSE that were bad or answered nothing we asked (dropped). */
  onProtocolError(listener: (error: EvLinkError) => void): () => void {
    this.protocolErrorListeners.add(listener);
    return () => this.protocolErrorListeners.delete(listener);
  }

  /** Closes the connection (the EV is unplugged) and waits until it is closed. */
  close(code: number = CLOSE_NORMAL, reason = ''): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      if (this.socket.readyState !== WebSocket.CLOSING) this.socket.close(code, reason);
    });
  }

  private takeRequestId(): number {
    // Skip ids still waiting (possible only after 2^32 requests; cheap to be exact).
    for (;;) {
      const id = this.nextRequestId;
      this.nextRequestId = id >= REQUEST_ID_MAX ? 1 : id + 1;
      if (!this.pending.has(id)) return id;
    }
  }

  private protocolError(error: EvLinkError): void {
    for (const listener of this.protocolErrorListeners) listener(error);
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (!isBinary) {
      this.protocolError(new EvLinkError('malformed-frame', 'The EVSE sent a text frame.'));
      return;
    }
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    let message: EvLinkMessage;
    try {
      message = decodeFrame(bytes, this.limits);
    } catch (error) {
      if (error instanceof EvLinkError) {
        this.protocolError(error);
        return;
      }
      throw error;
    }
    switch (message.type) {
      case 'EvseNotification':
        for (const listener of this.notificationListeners) listener(message);
        return;
      case 'Error': {
        const call = message.requestId === null ? undefined : this.pending.get(message.requestId);
        const error = new EvLinkError(
          'remote-error',
          `The EVSE answered with ${message.code}: ${message.reason}`,
          message.requestId,
          message.code,
        );
        if (call === undefined || message.requestId === null) {
          this.protocolError(error);
          return;
        }
        this.settle(message.requestId, call);
        call.reject(error);
        return;
      }
      case 'SessionSetupRes':
      case 'ChargeParameterDiscoveryRes':
      case 'PowerDeliveryRes':
      case 'ChargingStatusRes':
      case 'SessionStopRes': {
        const call = this.pending.get(message.requestId);
        if (call === undefined || call.expected !== message.type) {
          this.protocolError(
            new EvLinkError(
              'unexpected-message',
              `${message.type} answers no waiting request.`,
              message.requestId,
            ),
          );
          return;
        }
        this.settle(message.requestId, call);
        call.resolve(message);
        return;
      }
      case 'SessionSetupReq':
      case 'ChargeParameterDiscoveryReq':
      case 'PowerDeliveryReq':
      case 'ChargingStatusReq':
      case 'SessionStopReq':
        this.protocolError(
          new EvLinkError(
            'unexpected-message',
            `The EV does not accept ${message.type}.`,
            message.requestId,
          ),
        );
        return;
    }
  }

  private settle(requestId: number, call: Pending): void {
    clearTimeout(call.timer);
    this.pending.delete(requestId);
  }
}

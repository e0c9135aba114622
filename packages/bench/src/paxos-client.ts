import { Packr } from 'msgpackr';
import WebSocket from 'ws';

/** The /client protocol's MessagePack settings (packages/runtime/src/http-api.ts). */
export const clientPackr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  moreTypes: false,
  structuredClone: false,
  bundleStrings: false,
  useTimestamp32: false,
  copyBuffers: true,
});

/**
 * Requests in one /client frame, at most: the server's `clientFrameRequestsMax`
 * (packages/runtime/src/constants.ts), copied like the Packr settings above.
 */
const frameRequestsMax = 4096;

/** A /client answer (contract.md); a frame holds one, or an array of them (docs/PROTOCOL-WIRE.md). */
export type ClientReply =
  | { readonly type: 'result'; readonly requestId: number; readonly slot: number }
  | {
      readonly type: 'error';
      readonly requestId: number;
      readonly code: string;
      readonly leaderId?: string | null;
    };

export class ConnectionLost extends Error {
  readonly code = 'connection-lost';
}

interface SubmitRequest {
  readonly type: 'submit';
  readonly requestId: number;
  readonly clientId: string;
  readonly seq: number;
  readonly payload: unknown;
}

/**
 * A pipelined client of a central's WebSocket /client API: any number of submits in flight on one
 * connection, each answered by requestId. The submits of one turn of the event loop leave as one
 * frame (an array of requests; a lone one as a plain map), and a frame of answers may hold one or
 * many. Noise-free on purpose: no retries, no logging.
 */
export class PaxosClient {
  private readonly pending = new Map<number, (reply: ClientReply | ConnectionLost) => void>();
  /** Submits of this turn, sent together by flush (a microtask queued by the first of them). */
  private outgoing: SubmitRequest[] = [];
  private flushQueued = false;
  private nextRequestId = 1;
  private closed = false;

  private constructor(
    private readonly socket: WebSocket,
    /** False: one map per request frame, for a central built before array frames (--compare). */
    private readonly arrayFrames: boolean,
  ) {
    socket.on('message', (data: Buffer) => {
      const frame = clientPackr.unpack(data) as ClientReply | ClientReply[];
      if (Array.isArray(frame)) for (const reply of frame) this.settle(reply);
      else this.settle(frame);
    });
    socket.on('close', () => this.fail());
    socket.on('error', () => this.fail());
  }

  /** Connects to ws://host:port/client; rejects if the connection is refused or times out. */
  static connect(url: string, timeoutMs = 2_000, arrayFrames = true): Promise<PaxosClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, {
        perMessageDeflate: false,
        handshakeTimeout: timeoutMs,
        // No masking (an all-zero key): a benchmark tool on loopback, like etcd's gRPC client.
        generateMask: (mask: Buffer) => mask.fill(0),
      });
      socket.once('open', () => resolve(new PaxosClient(socket, arrayFrames)));
      socket.once('error', reject);
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Resolves with the answer, or with ConnectionLost if the connection drops first. */
  submit(clientId: string, seq: number, payload: unknown): Promise<ClientReply | ConnectionLost> {
    if (this.closed) return Promise.resolve(new ConnectionLost('closed'));
    const requestId = this.nextRequestId;
    this.nextRequestId += 1;
    return new Promise((resolve) => {
      this.pending.set(requestId, resolve);
      this.outgoing.push({ type: 'submit', requestId, clientId, seq, payload });
      if (this.flushQueued) return;
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    });
  }

  close(): void {
    this.socket.terminate();
    this.fail();
  }

  private flush(): void {
    this.flushQueued = false;
    const requests = this.outgoing;
    this.outgoing = [];
    // Closed in the meantime: fail() has answered these with ConnectionLost already.
    if (this.closed) return;
    const perFrame = this.arrayFrames ? frameRequestsMax : 1;
    for (let start = 0; start < requests.length; start += perFrame) {
      const frame = requests.slice(start, start + perFrame);
      this.socket.send(clientPackr.pack(frame.length === 1 ? frame[0] : frame));
    }
  }

  private settle(reply: ClientReply): void {
    const resolve = this.pending.get(reply.requestId);
    if (resolve === undefined) return;
    this.pending.delete(reply.requestId);
    resolve(reply);
  }

  private fail(): void {
    if (this.closed) return;
    this.closed = true;
    this.outgoing = [];
    for (const resolve of this.pending.values()) resolve(new ConnectionLost('connection lost'));
    this.pending.clear();
  }
}

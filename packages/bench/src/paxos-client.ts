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

/** A /client answer (contract.md). */
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

/**
 * A pipelined client of a central's WebSocket /client API: any number of submits in flight on one
 * connection, each answered by requestId. Noise-free on purpose: no retries, no logging.
 */
export class PaxosClient {
  private readonly pending = new Map<number, (reply: ClientReply | ConnectionLost) => void>();
  private nextRequestId = 1;
  private closed = false;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const reply = clientPackr.unpack(data) as ClientReply;
      const resolve = this.pending.get(reply.requestId);
      if (resolve === undefined) return;
      this.pending.delete(reply.requestId);
      resolve(reply);
    });
    socket.on('close', () => this.fail());
    socket.on('error', () => this.fail());
  }

  /** Connects to ws://host:port/client; rejects if the connection is refused or times out. */
  static connect(url: string, timeoutMs = 2_000): Promise<PaxosClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      socket.once('open', () => resolve(new PaxosClient(socket)));
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
      this.socket.send(clientPackr.pack({ type: 'submit', requestId, clientId, seq, payload }));
    });
  }

  close(): void {
    this.socket.terminate();
    this.fail();
  }

  private fail(): void {
    if (this.closed) return;
    this.closed = true;
    for (const resolve of this.pending.values()) resolve(new ConnectionLost('connection lost'));
    this.pending.clear();
  }
}

import WebSocket from 'ws';
// The submodule, not the package index: the client process stays free of the node's modules.
import { ClientFrameBatch, apiAuthHeaders, clientPackr } from '@evpaxos/runtime';

/** A /client answer (docs/CLUSTER.md); a frame holds one, or an array of them (docs/PROTOCOL-WIRE.md). */
export type ClientReply =
  | {
      readonly type: 'result';
      readonly requestId: number;
      readonly slot: number;
      /** Applied before (a retry): the state was not changed again. */
      readonly duplicate: boolean;
    }
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

/** A version 2 request: `[requestId, clientId, seq, payload]` (docs/PROTOCOL-WIRE.md). */
type PositionalRequest = readonly [number, string, number, unknown];

/** The /client protocol version this client asks for; a central that answers without it speaks 1. */
const askedVersion = 2;
const versionHeader = 'x-evpaxos-client-version';

/**
 * A pipelined client of a central's WebSocket /client API: any number of submits in flight on one
 * connection, each answered by requestId. It asks for the protocol's version 2 (positional
 * requests and answers) and speaks version 1 (maps) to a central that does not confirm it. The
 * submits of one turn of the event loop leave as one frame (an array of requests; in version 1 a
 * lone one as a plain map), and a frame of answers may hold one or many. Noise-free on purpose: no
 * retries, no logging.
 */
export class PaxosClient {
  private readonly pending = new Map<number, (reply: ClientReply | ConnectionLost) => void>();
  /** Submits of this turn, sent together as one frame. */
  private readonly outgoing: ClientFrameBatch<SubmitRequest | PositionalRequest>;
  private nextRequestId = 1;
  private closed = false;

  private constructor(
    private readonly socket: WebSocket,
    /** False: one map per request frame, for a central built before array frames (--compare). */
    arrayFrames: boolean,
    /** The protocol version the central confirmed at the upgrade. */
    readonly version: 1 | 2,
  ) {
    this.outgoing = new ClientFrameBatch((frame) => {
      // Closed in the meantime: fail() has answered these with ConnectionLost already.
      if (!this.closed) socket.send(frame);
    });
    if (version === 2) this.outgoing.arraysOnly();
    else if (arrayFrames) this.outgoing.allowArrays();
    socket.on('message', (data: Buffer) => {
      const frame = clientPackr.unpack(data) as unknown;
      if (!Array.isArray(frame)) return this.settle(frame as ClientReply);
      for (const reply of frame as unknown[]) {
        // Version 2: a result is [requestId, slot, ballot, result, duplicate]; an error a map.
        if (Array.isArray(reply)) {
          const [requestId, slot, , , duplicate] = reply as [number, number, 0, 0, boolean];
          this.settle({ type: 'result', requestId, slot, duplicate });
        } else this.settle(reply as ClientReply);
      }
    });
    socket.on('close', () => this.fail());
    socket.on('error', () => this.fail());
  }

  /**
   * Connects to ws://host:port/client?version=2 with the cluster's API token (docs/CLUSTER.md,
   * "Authentication"); rejects if the connection is refused or times out.
   */
  static connect(
    url: string,
    timeoutMs = 2_000,
    arrayFrames = true,
    token?: string,
  ): Promise<PaxosClient> {
    return new Promise((resolve, reject) => {
      const versioned = new URL(url); // a malformed url rejects, as the WebSocket's would
      versioned.searchParams.set('version', String(askedVersion));
      const socket = new WebSocket(versioned, {
        headers: apiAuthHeaders(token),
        perMessageDeflate: false,
        handshakeTimeout: timeoutMs,
        // No masking (an all-zero key): a benchmark tool on loopback, like etcd's gRPC client.
        generateMask: (mask: Buffer) => mask.fill(0),
      });
      let version: 1 | 2 = 1;
      socket.once('upgrade', (response) => {
        if (response.headers[versionHeader] === String(askedVersion)) version = askedVersion;
      });
      socket.once('open', () => resolve(new PaxosClient(socket, arrayFrames, version)));
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
      this.outgoing.push(
        this.version === 2
          ? [requestId, clientId, seq, payload]
          : { type: 'submit', requestId, clientId, seq, payload },
      );
    });
  }

  close(): void {
    this.socket.terminate();
    this.fail();
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
    this.outgoing.clear();
    for (const resolve of this.pending.values()) resolve(new ConnectionLost('connection lost'));
    this.pending.clear();
  }
}

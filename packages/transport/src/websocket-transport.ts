import type { AddressInfo } from 'node:net';
import {
  WireError,
  concatFrames,
  createClusterCodec,
  type ClusterEnvelope,
  type EnvelopeCodec,
  type ClusterKinds,
  type Message,
  type NodeId,
} from '@evpaxos/wire';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { reconnectDelayMs } from './backoff';
import {
  clusterSecretBytesMin,
  defaultWebSocketLimits,
  idLengthMax,
  type WebSocketLimits,
} from './constants';
import { TransportError } from './errors';
import { computeProof, createNonce, verifyProof } from './handshake';
import { TransportCore } from './transport-core';
import type {
  FaultRule,
  MessageHandler,
  PeerChangeHandler,
  PeerState,
  PeerStatus,
  RejectionCode,
  Transport,
  TransportCollaborators,
  TransportStats,
} from './types';

export interface WebSocketTransportOptions extends Partial<WebSocketLimits> {
  readonly nodeId: NodeId;
  /** Members of other clusters are refused even if they share the secret. */
  readonly clusterId: string;
  /** Shared by all members; at least 16 bytes (32 random bytes recommended). Never sent, never logged. */
  readonly clusterSecret: string;
  /** Where to accept connections from peers; port 0 picks a free port (see `port`). */
  readonly listen: { readonly host: string; readonly port: number };
  /**
   * Every other member and the ws:// (or wss://) URL it listens at. A null URL means "not known
   * yet": the member may connect to us, and we dial it once `setPeerUrl` gives the address.
   */
  readonly peers: Readonly<Record<NodeId, string | null>>;
}

type Step =
  // Inbound (we listen): hello → challenge sent → proof → welcome sent → open.
  | 'await-hello'
  | 'await-proof'
  // Outbound (we dial): hello sent → challenge → proof sent → welcome → open.
  | 'await-challenge'
  | 'await-welcome'
  | 'open'
  | 'closed';

interface Connection {
  readonly socket: WebSocket;
  readonly direction: 'in' | 'out';
  /** For logs: the remote address (inbound) or the URL dialled (outbound). */
  readonly remote: string;
  step: Step;
  /** Outbound: the peer dialled. Inbound: the id its hello claimed (authenticated once open). */
  peerId: NodeId | null;
  dialerNonce: Uint8Array | null;
  listenerNonce: Uint8Array | null;
  /** False once pinged; set again by a pong or any frame. */
  alive: boolean;
  handshakeTimer: NodeJS.Timeout | null;
  graceTimer: NodeJS.Timeout | null;
}

interface PeerLink {
  readonly id: NodeId;
  url: string | null;
  state: PeerState;
  /** The link we send on. */
  outbound: Connection | null;
  /** The link we receive on (the peer's outbound), once authenticated. */
  inbound: Connection | null;
  /** Reconnect attempts since the last successful handshake: the backoff exponent. */
  attempt: number;
  reconnectTimer: NodeJS.Timeout | null;
  lastSeenMs: number | null;
  /**
   * Messages encoded during this turn, sent as one frame when it ends (a queued microtask): a
   * leader's Decide and Accept, or an acceptor's Accepteds, cost one write and one wake-up of the
   * peer instead of one each. Measured in docs/BENCHMARKS.md.
   */
  batch: { bytes: Uint8Array; type: string }[];
  batchBytes: number;
}

/**
 * An all-zero masking key, which ws recognises and skips (the copy included). RFC 6455 §10.3 masks
 * client frames so that a browser script cannot make a proxy misread them; this link is node to
 * node, behind the HMAC handshake, and masking cost the leader ~5 % of its CPU under load
 * (docs/BENCHMARKS.md). Any RFC 6455 server reads an unmasked-by-zero frame.
 */
function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

/** WebSocket close codes (RFC 6455 §7.4.1) for each reason we close a connection. */
const closeCodeByRejection: Readonly<Record<RejectionCode, number>> = {
  'frame-too-large': 1009,
  'malformed-frame': 1007,
  'unsupported-version': 1007,
  'unknown-type': 1007,
  'invalid-body': 1007,
  'text-frame': 1003,
  'unauthenticated-frame': 1008,
  'unexpected-frame': 1002,
  'cluster-id-mismatch': 1008,
  'unknown-node': 1008,
  'peer-id-mismatch': 1008,
  'bad-proof': 1008,
  'handshake-timeout': 1008,
  'liveness-timeout': 1001,
  'too-many-handshakes': 1013,
};

/**
 * The cluster mesh over WebSocket (ws), binary frames only.
 *
 * Connection direction: every node dials every peer and sends only on its own outbound link;
 * what arrives on an inbound link is only received. So each pair has two connections, one per
 * direction, and there is never a race over which of two simultaneous connections to keep: each
 * side owns the link it sends on, messages on it stay in order, and a restarted node simply
 * replaces its old inbound link (the newer authenticated one wins).
 *
 * Handshake (mutual): hello → challenge → proof → welcome, HMAC-SHA256 over both nonces; see
 * handshake.ts and docs/PROTOCOL-WIRE.md. Anything unexpected closes that connection with a
 * logged reason, changes no state, and is counted in `stats().rejectionsByCode`.
 */
export class WebSocketTransport implements Transport {
  readonly nodeId: NodeId;
  private readonly options: WebSocketTransportOptions;
  private readonly limits: WebSocketLimits;
  private readonly core: TransportCore;
  private readonly codec: EnvelopeCodec<ClusterKinds>;
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly connections = new Set<Connection>();
  private server: WebSocketServer | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private boundPort: number | null = null;
  private started = false;
  private closing: Promise<void> | null = null;

  constructor(options: WebSocketTransportOptions, collaborators: TransportCollaborators = {}) {
    this.limits = Object.freeze({ ...defaultWebSocketLimits, ...definedOnly(options) });
    checkOptions(options, this.limits);
    this.options = options;
    this.nodeId = options.nodeId;
    this.core = new TransportCore(collaborators);
    this.codec = createClusterCodec({ maxFrameBytes: this.limits.maxFrameBytes });
    for (const [id, url] of Object.entries(options.peers)) {
      this.links.set(id, {
        id,
        url,
        state: 'down',
        outbound: null,
        inbound: null,
        attempt: 0,
        reconnectTimer: null,
        lastSeenMs: null,
        batch: [],
        batchBytes: 0,
      });
    }
  }

  /** The port we listen on (useful with `listen.port: 0`). */
  get port(): number {
    if (this.boundPort === null)
      throw new TransportError('not-started', 'The transport is not listening.');
    return this.boundPort;
  }

  async start(): Promise<void> {
    if (this.started || this.closing)
      throw new TransportError('already-started', 'start() was called before.');
    this.started = true;
    const server = new WebSocketServer({
      host: this.options.listen.host,
      port: this.options.listen.port,
      maxPayload: this.limits.maxFrameBytes,
      // Compression costs CPU per frame and opens the door to decompression bombs; MessagePack
      // frames are already compact.
      perMessageDeflate: false,
      // We track our own connections (with their handshake state).
      clientTracking: false,
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    server.on('error', (error) =>
      this.core.logger.error('transport: server error', { error: error.message }),
    );
    server.on('connection', (socket, request) => {
      const remote = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? '?'}`;
      this.acceptConnection(socket, remote);
    });
    this.boundPort = (server.address() as AddressInfo).port;
    this.core.logger.info('transport: listening', { nodeId: this.nodeId, port: this.boundPort });
    this.pingTimer = setInterval(() => this.checkLiveness(), this.limits.pingIntervalMs);
    for (const link of this.links.values()) this.dial(link);
  }

  /** Sets or changes the URL of a member; its link is redialled at once. */
  setPeerUrl(peerId: NodeId, url: string): void {
    const link = this.linkOf(peerId);
    const problem = urlProblem(url);
    if (problem) throw new TransportError('invalid-options', `Peer ${peerId}: ${problem}`);
    link.url = url;
    if (!this.started || this.core.closed) return;
    if (link.outbound) {
      this.closeConnection(link.outbound, 1000, 'peer-address-changed', false);
      return;
    }
    if (link.reconnectTimer) clearTimeout(link.reconnectTimer);
    link.reconnectTimer = null;
    this.dial(link);
  }

  send(to: NodeId, message: Message): void {
    if (to === this.nodeId) {
      setImmediate(() => this.core.receiveLoopback(this.nodeId, message));
      return;
    }
    const link = this.linkOf(to);
    this.core.send(to, () => this.transmit(link, message));
  }

  broadcast(message: Message): void {
    for (const link of this.links.values()) this.send(link.id, message);
  }

  flush(): void {
    for (const link of this.links.values()) this.flushBatch(link);
  }

  onMessage(handler: MessageHandler): () => void {
    return this.core.onMessage(handler);
  }

  onPeerChange(handler: PeerChangeHandler): () => void {
    return this.core.onPeerChange(handler);
  }

  peers(): PeerStatus[] {
    return [...this.links.values()].map(statusOf);
  }

  setFaultRules(rules: readonly FaultRule[]): void {
    this.core.setFaultRules(rules);
  }

  clearFaultRules(): void {
    this.core.clearFaultRules();
  }

  stats(): TransportStats {
    return this.core.stats();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.core.close();
    if (this.pingTimer) clearInterval(this.pingTimer);
    for (const link of this.links.values()) {
      if (link.reconnectTimer) clearTimeout(link.reconnectTimer);
      link.reconnectTimer = null;
      link.outbound = null;
      link.inbound = null;
      link.state = 'down';
    }
    for (const connection of this.connections) {
      clearConnectionTimers(connection);
      connection.step = 'closed';
      connection.socket.terminate();
    }
    this.connections.clear();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.core.logger.info('transport: closed', { nodeId: this.nodeId });
  }

  private linkOf(peerId: NodeId): PeerLink {
    const link = this.links.get(peerId);
    if (!link) throw new TransportError('unknown-peer', `${peerId} is not a member.`);
    return link;
  }

  private transmit(link: PeerLink, message: Message): void {
    const connection = link.outbound;
    if (
      !connection ||
      connection.step !== 'open' ||
      connection.socket.readyState !== WebSocket.OPEN
    ) {
      this.core.countDrop('peer-down');
      return;
    }
    if (connection.socket.bufferedAmount > this.limits.sendBufferBytesMax) {
      this.core.countDrop('send-buffer-full');
      this.core.logger.debug('transport: send buffer full, message dropped', { peer: link.id });
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = this.codec.encodeOnce('paxos', message);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      this.core.countDrop('frame-too-large');
      this.core.logger.error('transport: message too large to send', {
        peer: link.id,
        code: error.code,
        type: message.type,
      });
      return;
    }
    if (link.batchBytes + bytes.length > this.limits.maxFrameBytes) this.flushBatch(link);
    if (link.batch.length === 0) queueMicrotask(() => this.flushBatch(link));
    link.batch.push({ bytes, type: message.type });
    link.batchBytes += bytes.length;
  }

  /** Writes the messages queued for a peer this turn as one frame (in order: one TCP stream). */
  private flushBatch(link: PeerLink): void {
    const batch = link.batch;
    if (batch.length === 0) return;
    link.batch = [];
    link.batchBytes = 0;
    const connection = link.outbound;
    if (
      !connection ||
      connection.step !== 'open' ||
      connection.socket.readyState !== WebSocket.OPEN
    ) {
      for (let i = 0; i < batch.length; i += 1) this.core.countDrop('peer-down');
      return;
    }
    const frame = concatFrames(batch.map((queued) => queued.bytes));
    connection.socket.send(frame, { binary: true });
    this.core.countWrite();
    for (const queued of batch) this.core.countFrameOut(queued.type, queued.bytes.length);
  }

  private sendFrame(connection: Connection, envelope: ClusterEnvelope): void {
    if (connection.socket.readyState !== WebSocket.OPEN) return;
    const bytes = this.codec.encode(envelope);
    connection.socket.send(bytes, { binary: true });
    this.core.countWrite();
    this.core.countFrameOut(envelope.kind, bytes.length);
  }

  private track(
    socket: WebSocket,
    direction: 'in' | 'out',
    remote: string,
    peerId: NodeId | null,
  ): Connection {
    const connection: Connection = {
      socket,
      direction,
      remote,
      step: direction === 'in' ? 'await-hello' : 'await-challenge',
      peerId,
      dialerNonce: null,
      listenerNonce: null,
      alive: true,
      handshakeTimer: null,
      graceTimer: null,
    };
    this.connections.add(connection);
    connection.handshakeTimer = setTimeout(
      () => this.reject(connection, 'handshake-timeout'),
      this.limits.handshakeTimeoutMs,
    );
    socket.on('message', (data, isBinary) => this.handleFrame(connection, data, isBinary));
    socket.on('pong', () => this.markAlive(connection));
    socket.on('error', (error) => this.handleSocketError(connection, error));
    socket.on('close', (code, reason) =>
      this.handleSocketClose(connection, code, reason.toString()),
    );
    return connection;
  }

  private acceptConnection(socket: WebSocket, remote: string): void {
    if (this.core.closed) {
      socket.terminate();
      return;
    }
    let pending = 0;
    for (const connection of this.connections) {
      if (
        connection.direction === 'in' &&
        connection.step !== 'open' &&
        connection.step !== 'closed'
      )
        pending += 1;
    }
    const connection = this.track(socket, 'in', remote, null);
    if (pending >= this.limits.pendingHandshakesMax) this.reject(connection, 'too-many-handshakes');
  }

  private dial(link: PeerLink): void {
    link.reconnectTimer = null;
    if (this.core.closed || link.url === null || link.outbound) return;
    this.setState(link, 'connecting');
    const socket = new WebSocket(link.url, {
      maxPayload: this.limits.maxFrameBytes,
      perMessageDeflate: false,
      handshakeTimeout: this.limits.handshakeTimeoutMs,
      generateMask: zeroMask,
    });
    const connection = this.track(socket, 'out', link.url, link.id);
    link.outbound = connection;
    socket.on('open', () => {
      if (connection.step === 'closed') return;
      connection.dialerNonce = createNonce();
      this.sendFrame(connection, {
        v: 1,
        kind: 'hello',
        body: {
          clusterId: this.options.clusterId,
          nodeId: this.nodeId,
          peerId: link.id,
          nonce: connection.dialerNonce,
        },
      });
    });
  }

  private scheduleReconnect(link: PeerLink): void {
    if (this.core.closed || link.url === null || link.reconnectTimer || link.outbound) return;
    const delayMs = reconnectDelayMs(
      link.attempt,
      this.limits.reconnectDelayMinMs,
      this.limits.reconnectDelayMaxMs,
      this.core.random,
    );
    link.attempt += 1;
    link.reconnectTimer = setTimeout(() => this.dial(link), delayMs);
  }

  private setState(link: PeerLink, state: PeerState): void {
    if (link.state === state) return;
    link.state = state;
    this.core.emitPeerChange(statusOf(link));
  }

  private markAlive(connection: Connection): void {
    connection.alive = true;
    if (connection.step === 'open' && connection.peerId !== null) {
      const link = this.links.get(connection.peerId);
      if (link) link.lastSeenMs = this.core.now();
    }
  }

  /** Every ping interval: terminate links silent since the last ping, ping the others. */
  private checkLiveness(): void {
    for (const connection of this.connections) {
      if (connection.step === 'closed' || connection.socket.readyState !== WebSocket.OPEN) continue;
      if (!connection.alive) {
        this.reject(connection, 'liveness-timeout', undefined, true);
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }

  private handleFrame(connection: Connection, data: RawData, isBinary: boolean): void {
    if (connection.step === 'closed' || this.core.closed) return;
    if (!isBinary) {
      this.reject(connection, 'text-frame');
      return;
    }
    const bytes = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    let envelopes: ClusterEnvelope[];
    try {
      envelopes = this.codec.decodeAll(bytes);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      this.reject(connection, error.code, error.message);
      return;
    }
    this.core.countRead();
    this.markAlive(connection);
    let frameBytes = bytes.length;
    for (const envelope of envelopes) {
      // A rejection mid-frame closes the connection: nothing after it is handled.
      if (this.stopped(connection)) return;
      const kind = envelope.kind === 'paxos' ? envelope.body.type : envelope.kind;
      this.core.countFrameIn(kind, frameBytes); // the frame's bytes, counted once
      frameBytes = 0;
      if (connection.direction === 'in') this.handleInbound(connection, envelope);
      else this.handleOutbound(connection, envelope);
    }
  }

  /** A connection closed (or a transport closed) by what an earlier envelope caused. */
  private stopped(connection: Connection): boolean {
    return connection.step === 'closed' || this.core.closed;
  }

  /** The listener's side of the handshake, then Paxos frames from the authenticated peer. */
  private handleInbound(connection: Connection, envelope: ClusterEnvelope): void {
    const clusterId = this.options.clusterId;
    switch (connection.step) {
      case 'await-hello': {
        if (envelope.kind !== 'hello') return this.rejectBeforeAuthentication(connection, envelope);
        const hello = envelope.body;
        connection.peerId = hello.nodeId;
        if (hello.clusterId !== clusterId) {
          return this.reject(
            connection,
            'cluster-id-mismatch',
            `hello for cluster ${hello.clusterId}`,
          );
        }
        if (hello.nodeId === this.nodeId || !this.links.has(hello.nodeId)) {
          return this.reject(connection, 'unknown-node', `hello from ${hello.nodeId}`);
        }
        if (hello.peerId !== this.nodeId) {
          return this.reject(connection, 'peer-id-mismatch', `hello meant for ${hello.peerId}`);
        }
        connection.dialerNonce = hello.nonce;
        connection.listenerNonce = createNonce();
        const proof = computeProof(this.options.clusterSecret, {
          role: 'listener',
          clusterId,
          proverId: this.nodeId,
          verifierId: hello.nodeId,
          dialerNonce: hello.nonce,
          listenerNonce: connection.listenerNonce,
        });
        connection.step = 'await-proof';
        this.sendFrame(connection, {
          v: 1,
          kind: 'challenge',
          body: { nodeId: this.nodeId, nonce: connection.listenerNonce, proof },
        });
        return;
      }
      case 'await-proof': {
        if (envelope.kind !== 'proof') return this.rejectBeforeAuthentication(connection, envelope);
        const peerId = connection.peerId ?? '';
        const valid = verifyProof(
          this.options.clusterSecret,
          {
            role: 'dialer',
            clusterId,
            proverId: peerId,
            verifierId: this.nodeId,
            dialerNonce: connection.dialerNonce ?? new Uint8Array(),
            listenerNonce: connection.listenerNonce ?? new Uint8Array(),
          },
          envelope.body.proof,
        );
        if (!valid) return this.reject(connection, 'bad-proof', `proof from ${peerId}`);
        this.authenticated(connection);
        const link = this.linkOf(peerId);
        const previous = link.inbound;
        link.inbound = connection;
        link.lastSeenMs = this.core.now();
        // A newer authenticated link from the same peer means it redialled (a restart, or it saw
        // the old link die first): the old one is half-open at best.
        if (previous) this.closeConnection(previous, 1000, 'replaced', false);
        this.sendFrame(connection, { v: 1, kind: 'welcome', body: {} });
        this.core.logger.info('transport: inbound link authenticated', {
          peer: peerId,
          remote: connection.remote,
        });
        return;
      }
      case 'open': {
        if (envelope.kind !== 'paxos')
          return this.reject(
            connection,
            'unexpected-frame',
            `${envelope.kind} after the handshake`,
          );
        const peerId = connection.peerId ?? '';
        this.core.receive(peerId, envelope.body);
        return;
      }
      default:
        return this.reject(
          connection,
          'unexpected-frame',
          `${envelope.kind} in step ${connection.step}`,
        );
    }
  }

  /** The dialer's side of the handshake. The listener sends nothing on our link after welcome. */
  private handleOutbound(connection: Connection, envelope: ClusterEnvelope): void {
    const peerId = connection.peerId ?? '';
    switch (connection.step) {
      case 'await-challenge': {
        if (envelope.kind !== 'challenge' || connection.dialerNonce === null) {
          return this.reject(
            connection,
            'unexpected-frame',
            `${envelope.kind} instead of a challenge`,
          );
        }
        const challenge = envelope.body;
        if (challenge.nodeId !== peerId) {
          return this.reject(
            connection,
            'peer-id-mismatch',
            `dialled ${peerId}, reached ${challenge.nodeId}`,
          );
        }
        const proofInput = {
          clusterId: this.options.clusterId,
          dialerNonce: connection.dialerNonce,
          listenerNonce: challenge.nonce,
        };
        const valid = verifyProof(
          this.options.clusterSecret,
          { ...proofInput, role: 'listener', proverId: peerId, verifierId: this.nodeId },
          challenge.proof,
        );
        if (!valid) return this.reject(connection, 'bad-proof', `challenge from ${peerId}`);
        const proof = computeProof(this.options.clusterSecret, {
          ...proofInput,
          role: 'dialer',
          proverId: this.nodeId,
          verifierId: peerId,
        });
        connection.step = 'await-welcome';
        this.sendFrame(connection, { v: 1, kind: 'proof', body: { proof } });
        return;
      }
      case 'await-welcome': {
        if (envelope.kind !== 'welcome') {
          return this.reject(connection, 'unexpected-frame', `${envelope.kind} instead of welcome`);
        }
        this.authenticated(connection);
        const link = this.linkOf(peerId);
        link.attempt = 0;
        link.lastSeenMs = this.core.now();
        this.setState(link, 'connected');
        this.core.logger.info('transport: link up', { peer: peerId, url: connection.remote });
        return;
      }
      default:
        return this.reject(connection, 'unexpected-frame', `${envelope.kind} on our outbound link`);
    }
  }

  private rejectBeforeAuthentication(connection: Connection, envelope: ClusterEnvelope): void {
    if (envelope.kind === 'paxos')
      this.reject(
        connection,
        'unauthenticated-frame',
        `${envelope.body.type} before authentication`,
      );
    else this.reject(connection, 'unexpected-frame', `${envelope.kind} in step ${connection.step}`);
  }

  private authenticated(connection: Connection): void {
    connection.step = 'open';
    if (connection.handshakeTimer) clearTimeout(connection.handshakeTimer);
    connection.handshakeTimer = null;
  }

  /**
   * Closes a connection for cause: logged with the code, counted, and nothing else changes (the
   * close handler below tidies up the link, as for any other close).
   */
  private reject(
    connection: Connection,
    code: RejectionCode,
    detail?: string,
    terminate = false,
  ): void {
    if (connection.step === 'closed' || this.core.closed) return;
    this.core.countRejection(code);
    this.core.logger.warn(
      `transport: closing ${connection.direction === 'in' ? 'inbound' : 'outbound'} connection: ${code}`,
      {
        code,
        peer: connection.peerId,
        remote: connection.remote,
        ...(detail === undefined ? {} : { detail: detail.slice(0, 200) }),
      },
    );
    this.closeConnection(connection, closeCodeByRejection[code], code, terminate);
  }

  private closeConnection(
    connection: Connection,
    closeCode: number,
    reason: string,
    terminate: boolean,
  ): void {
    if (connection.step === 'closed') return;
    connection.step = 'closed';
    clearConnectionTimers(connection);
    if (terminate || connection.socket.readyState === WebSocket.CONNECTING) {
      connection.socket.terminate();
      return;
    }
    connection.socket.close(closeCode, reason);
    // The peer may never answer our close frame; do not keep its socket for ws's 30 s default.
    connection.graceTimer = setTimeout(
      () => connection.socket.terminate(),
      this.limits.closeGraceMs,
    );
  }

  private handleSocketError(connection: Connection, error: Error & { code?: string }): void {
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.reject(connection, 'frame-too-large', error.message);
    } else if (typeof error.code === 'string' && error.code.startsWith('WS_ERR_')) {
      this.reject(connection, 'malformed-frame', error.message);
    } else {
      // Refused, reset, DNS, an HTTP answer instead of an upgrade: the close handler redials.
      this.core.logger.debug('transport: socket error', {
        peer: connection.peerId,
        remote: connection.remote,
        error: error.message,
      });
    }
  }

  private handleSocketClose(connection: Connection, code: number, reason: string): void {
    const wasOpen = connection.step === 'open';
    connection.step = 'closed';
    clearConnectionTimers(connection);
    this.connections.delete(connection);
    if (this.core.closed || connection.peerId === null) return;
    const link = this.links.get(connection.peerId);
    if (!link) return;
    if (connection.direction === 'in') {
      if (link.inbound === connection) link.inbound = null;
      return;
    }
    if (link.outbound !== connection) return;
    link.outbound = null;
    const meta = { peer: link.id, code, reason };
    if (wasOpen) this.core.logger.info('transport: link down', meta);
    else if (reason !== '') this.core.logger.warn('transport: peer refused our link', meta);
    else this.core.logger.debug('transport: could not connect', meta);
    this.setState(link, 'down');
    this.scheduleReconnect(link);
  }
}

function statusOf(link: PeerLink): PeerStatus {
  return { id: link.id, state: link.state, lastSeenMs: link.lastSeenMs };
}

function clearConnectionTimers(connection: Connection): void {
  if (connection.handshakeTimer) clearTimeout(connection.handshakeTimer);
  if (connection.graceTimer) clearTimeout(connection.graceTimer);
  connection.handshakeTimer = null;
  connection.graceTimer = null;
}

function definedOnly(options: Partial<WebSocketLimits>): Partial<WebSocketLimits> {
  const limits: Record<string, number> = {};
  for (const key of Object.keys(defaultWebSocketLimits) as (keyof WebSocketLimits)[]) {
    const value = options[key];
    if (value !== undefined) limits[key] = value;
  }
  return limits;
}

function urlProblem(url: string): string | null {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:')
      return `URL ${url} must be ws:// or wss://.`;
    return null;
  } catch {
    return `URL ${url} does not parse.`;
  }
}

/** Bad configuration throws at construction, one sentence per broken rule (docs/STYLE.md rule 4). */
function checkOptions(options: WebSocketTransportOptions, limits: WebSocketLimits): void {
  const problems: string[] = [];
  const checkId = (name: string, id: unknown) => {
    if (typeof id !== 'string' || id.length === 0 || id.length > idLengthMax) {
      problems.push(`${name} must be a non-empty string of at most ${idLengthMax} characters.`);
    }
  };
  checkId('nodeId', options.nodeId);
  checkId('clusterId', options.clusterId);
  if (
    typeof options.clusterSecret !== 'string' ||
    Buffer.byteLength(options.clusterSecret) < clusterSecretBytesMin
  ) {
    problems.push(`clusterSecret must be at least ${clusterSecretBytesMin} bytes.`);
  }
  const port = options.listen?.port;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    problems.push('listen.port must be an integer in [0, 65535].');
  if (typeof options.listen?.host !== 'string') problems.push('listen.host must be a string.');
  for (const [id, url] of Object.entries(options.peers ?? {})) {
    checkId(`Peer id ${id}`, id);
    if (id === options.nodeId) problems.push(`peers must not include this node (${id}).`);
    if (url !== null) {
      const problem = urlProblem(url);
      if (problem) problems.push(`Peer ${id}: ${problem}`);
    }
  }
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0)
      problems.push(`${name} must be a positive integer.`);
  }
  if (limits.reconnectDelayMinMs > limits.reconnectDelayMaxMs) {
    problems.push('reconnectDelayMinMs must not exceed reconnectDelayMaxMs.');
  }
  if (limits.sendBufferBytesMax < limits.maxFrameBytes) {
    problems.push(
      'sendBufferBytesMax must be at least maxFrameBytes, or a maximum-size frame could never be sent.',
    );
  }
  if (problems.length > 0) throw new TransportError('invalid-options', problems.join(' '));
}

import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import {
  WireError,
  createClusterCodec,
  type ClusterEnvelope,
  type Message,
  type NodeId,
} from '@evpaxos/wire';
import { WebSocketServer, type RawData } from 'ws';
import type { WebSocketLimits } from './constants';
import { bytesOf, type Connection } from './connection';
import { Dialer } from './dialer';
import { TransportError } from './errors';
import { acceptConnection, handleInbound } from './listener';
import { LivenessWatch } from './liveness';
import { Mesh } from './mesh';
import { resolveLimits, urlProblem, type WebSocketTransportOptions } from './options';
import { createPeerLink, currentState, statusOf } from './peer-link';
import { SendQueue } from './send-queue';
import { TransportCore } from './transport-core';
import type {
  FaultRule,
  MessageHandler,
  PeerChangeHandler,
  PeerStatus,
  Transport,
  TransportCollaborators,
  TransportStats,
} from './types';

export type { WebSocketTransportOptions } from './options';

/**
 * The cluster mesh over WebSocket (ws), binary frames only.
 *
 * Connection direction: every node dials every peer (those in `dialOnDemand` at the first
 * message for them, send-queue.ts) and sends only on its own outbound link;
 * what arrives on an inbound link is only received. So each pair has two connections, one per
 * direction, and there is never a race over which of two simultaneous connections to keep: each
 * side owns the link it sends on, messages on it stay in order, and a restarted node simply
 * replaces its old inbound link (the newer authenticated one wins).
 *
 * Handshake (mutual): hello → challenge → proof → welcome, HMAC-SHA256 over both nonces; see
 * handshake.ts, listener.ts, dialer.ts and docs/PROTOCOL-WIRE.md. Anything unexpected closes that
 * connection with a logged reason, changes no state, and is counted in
 * `stats().rejectionsByCode`. Liveness (pings, `silent` links, `liveness-timeout`): liveness.ts.
 */
export class WebSocketTransport implements Transport {
  readonly nodeId: NodeId;
  private readonly options: WebSocketTransportOptions;
  private readonly limits: WebSocketLimits;
  private readonly core: TransportCore;
  private readonly mesh: Mesh;
  private readonly dialer: Dialer;
  private readonly sendQueue: SendQueue;
  private readonly liveness: LivenessWatch;
  private server: WebSocketServer | null = null;
  private boundPort: number | null = null;
  private started = false;
  private closing: Promise<void> | null = null;

  constructor(options: WebSocketTransportOptions, collaborators: TransportCollaborators = {}) {
    this.limits = resolveLimits(options);
    this.options = options;
    this.nodeId = options.nodeId;
    this.core = new TransportCore(collaborators);
    const codec = createClusterCodec({ maxFrameBytes: this.limits.maxFrameBytes });
    this.mesh = new Mesh(
      options,
      this.limits,
      this.core,
      codec,
      {
        frame: (connection, data, isBinary) => this.handleFrame(connection, data, isBinary),
        opened: (connection) => this.opened(connection),
        outboundLost: (link) => {
          this.sendQueue.dropHeld(link);
          this.dialer.scheduleReconnect(link);
        },
        peerDialledUs: (link, replaced) => this.dialer.peerDialledUs(link, replaced),
      },
      () => performance.now(),
    );
    this.dialer = new Dialer(this.mesh);
    this.sendQueue = new SendQueue(this.mesh, (link) => this.dialer.dial(link));
    this.liveness = new LivenessWatch(this.mesh);
    const onDemand = new Set(options.dialOnDemand ?? []);
    for (const [id, url] of Object.entries(options.peers)) {
      this.mesh.links.set(id, createPeerLink(id, url, onDemand.has(id)));
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
      acceptConnection(this.mesh, socket, remote);
    });
    this.boundPort = (server.address() as AddressInfo).port;
    this.core.logger.info('transport: listening', { nodeId: this.nodeId, port: this.boundPort });
    for (const link of this.mesh.links.values()) if (!link.onDemand) this.dialer.dial(link);
  }

  /** Sets or changes the URL of a member; its link is redialled at once. */
  setPeerUrl(peerId: NodeId, url: string): void {
    const link = this.mesh.linkOf(peerId);
    const problem = urlProblem(url);
    if (problem) throw new TransportError('invalid-options', `Peer ${peerId}: ${problem}`);
    link.url = url;
    if (!this.started || this.core.closed || (link.onDemand && !link.dialled)) return;
    this.dialer.redial(link);
  }

  send(to: NodeId, message: Message): void {
    if (to === this.nodeId) {
      setImmediate(() => this.core.receiveLoopback(this.nodeId, message));
      return;
    }
    const link = this.mesh.linkOf(to);
    this.core.send(to, () => this.sendQueue.enqueue(link, message));
  }

  broadcast(message: Message): void {
    for (const link of this.mesh.links.values()) this.send(link.id, message);
  }

  flush(): void {
    for (const link of this.mesh.links.values()) this.sendQueue.flush(link);
  }

  onMessage(handler: MessageHandler): () => void {
    return this.core.onMessage(handler);
  }

  onPeerChange(handler: PeerChangeHandler): () => void {
    return this.core.onPeerChange(handler);
  }

  /**
   * Each link's state as of now, read from the clock: a cut shows here before any timer fires. An
   * on-demand peer we never dialled has no link to report and is left out.
   */
  peers(): PeerStatus[] {
    const nowMs = this.mesh.monotonicNowMs();
    const links = [...this.mesh.links.values()].filter((link) => !link.onDemand || link.dialled);
    return links.map((link) => statusOf(link, currentState(link, nowMs, this.limits)));
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
    this.liveness.stop();
    this.mesh.closeAll();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.core.logger.info('transport: closed', { nodeId: this.nodeId });
  }

  private opened(connection: Connection): void {
    this.liveness.watch(connection);
    const peerId = connection.peerId;
    if (connection.direction === 'out' && peerId !== null)
      this.sendQueue.release(this.mesh.linkOf(peerId));
  }

  private handleFrame(connection: Connection, data: RawData, isBinary: boolean): void {
    if (connection.step === 'closed' || this.core.closed) return;
    if (!isBinary) {
      this.mesh.reject(connection, 'text-frame');
      return;
    }
    const bytes = bytesOf(data);
    let envelopes: ClusterEnvelope[];
    try {
      envelopes = this.mesh.codec.decodeAll(bytes);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      this.mesh.reject(connection, error.code, error.message);
      return;
    }
    this.core.countRead();
    this.mesh.heard(connection);
    let frameBytes = bytes.length;
    for (const envelope of envelopes) {
      // A rejection mid-frame closes the connection: nothing after it is handled.
      if (this.stopped(connection)) return;
      const kind = envelope.kind === 'paxos' ? envelope.body.type : envelope.kind;
      this.core.countFrameIn(kind, frameBytes); // the frame's bytes, counted once
      frameBytes = 0;
      if (connection.direction === 'in') handleInbound(this.mesh, connection, envelope);
      else this.dialer.handleOutbound(connection, envelope);
    }
  }

  /** A connection closed (or a transport closed) by what an earlier envelope caused. */
  private stopped(connection: Connection): boolean {
    return connection.step === 'closed' || this.core.closed;
  }
}

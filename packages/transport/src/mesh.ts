import type { ClusterEnvelope, ClusterKinds, EnvelopeCodec, NodeId } from '@evpaxos/wire';
import { WebSocket, type RawData } from 'ws';
import type { WebSocketLimits } from './constants';
import {
  clearConnectionTimers,
  closeCodeByRejection,
  createConnection,
  type Connection,
} from './connection';
import { TransportError } from './errors';
import type { WebSocketTransportOptions } from './options';
import { statusOf, type PeerLink } from './peer-link';
import type { TransportCore } from './transport-core';
import type { PeerState, RejectionCode } from './types';
import { WarningThrottle } from './warning-throttle';

/** What the mesh hands back to the transport: frames to decode, links opened and lost. */
export interface MeshHooks {
  frame(connection: Connection, data: RawData, isBinary: boolean): void;
  opened(connection: Connection): void;
  outboundLost(link: PeerLink): void;
  /** The peer's own link to us just authenticated, replacing `replaced` (null: it had none). */
  peerDialledUs(link: PeerLink, replaced: Connection | null): void;
}

/**
 * The table of peer links and live connections, and the operations every part of the transport
 * shares on them: tracking a socket, writing a handshake frame, closing for cause (logged,
 * counted, rate-limited), and reporting a link's state.
 */
export class Mesh {
  readonly links = new Map<NodeId, PeerLink>();
  readonly connections = new Set<Connection>();
  private readonly warnings: WarningThrottle;

  constructor(
    readonly options: WebSocketTransportOptions,
    readonly limits: WebSocketLimits,
    readonly core: TransportCore,
    readonly codec: EnvelopeCodec<ClusterKinds>,
    private readonly hooks: MeshHooks,
    /** Monotonic ms, for liveness deadlines (a wall-clock step must not cut links). */
    readonly monotonicNowMs: () => number,
  ) {
    this.warnings = new WarningThrottle(
      core.logger,
      {
        warningsPerCauseMax: limits.rejectionWarningsPerIntervalMax,
        intervalMs: limits.rejectionWarningIntervalMs,
      },
      monotonicNowMs,
    );
  }

  get nodeId(): NodeId {
    return this.options.nodeId;
  }

  linkOf(peerId: NodeId): PeerLink {
    const link = this.links.get(peerId);
    if (!link) throw new TransportError('unknown-peer', `${peerId} is not a member.`);
    return link;
  }

  setState(link: PeerLink, state: PeerState): void {
    if (link.state === state) return;
    link.state = state;
    this.core.emitPeerChange(statusOf(link));
  }

  track(
    socket: WebSocket,
    direction: 'in' | 'out',
    remote: string,
    peerId: NodeId | null,
  ): Connection {
    const connection = createConnection(socket, direction, remote, peerId, this.monotonicNowMs());
    this.connections.add(connection);
    connection.handshakeTimer = setTimeout(
      () => this.reject(connection, 'handshake-timeout'),
      this.limits.handshakeTimeoutMs,
    );
    socket.on('message', (data, isBinary) => this.hooks.frame(connection, data, isBinary));
    socket.on('pong', () => this.heard(connection));
    // The dialer pings its link every quiet interval: the listener hears the peer by those pings.
    socket.on('ping', () => this.heard(connection));
    socket.on('error', (error) => this.handleSocketError(connection, error));
    socket.on('close', (code, reason) =>
      this.handleSocketClose(connection, code, reason.toString()),
    );
    return connection;
  }

  /**
   * Something — a frame, a pong or a ping — arrived: the connection and its peer are alive. On the path of
   * every frame, so it only stores clocks; a silent link turns connected again at once.
   */
  heard(connection: Connection): void {
    connection.heardAtMs = this.monotonicNowMs();
    connection.unansweredPingAtMs = null;
    if (connection.step !== 'open' || connection.peerId === null) return;
    const link = this.links.get(connection.peerId);
    if (!link) return;
    link.lastSeenMs = this.core.now();
    if (link.state === 'silent' && link.outbound === connection) {
      this.setState(link, 'connected');
      this.core.logger.info('transport: link answers again', { peer: link.id });
    }
  }

  /** Either side, once the handshake is through: the connection is open and starts being heard. */
  authenticated(connection: Connection): void {
    connection.step = 'open';
    if (connection.handshakeTimer) clearTimeout(connection.handshakeTimer);
    connection.handshakeTimer = null;
    const nowMs = this.monotonicNowMs();
    connection.heardAtMs = nowMs;
    connection.pingedAtMs = nowMs;
    this.hooks.opened(connection);
  }

  /** A peer's link to us authenticated: our link to it may point at its previous life. */
  peerDialledUs(link: PeerLink, replaced: Connection | null): void {
    this.hooks.peerDialledUs(link, replaced);
  }

  /** Inbound connections still in the handshake. */
  pendingHandshakes(): number {
    let pending = 0;
    for (const connection of this.connections) {
      if (
        connection.direction === 'in' &&
        connection.step !== 'open' &&
        connection.step !== 'closed'
      )
        pending += 1;
    }
    return pending;
  }

  sendFrame(connection: Connection, envelope: ClusterEnvelope): void {
    if (connection.socket.readyState !== WebSocket.OPEN) return;
    const bytes = this.codec.encode(envelope);
    connection.socket.send(bytes, { binary: true });
    this.core.countWrite();
    this.core.countFrameOut(envelope.kind, bytes.length);
  }

  /**
   * Closes a connection for cause: logged with the code (a few lines a second per code at most,
   * then a count), counted, and nothing else changes (the close handler tidies up the link, as
   * for any other close).
   */
  reject(connection: Connection, code: RejectionCode, detail?: string, terminate = false): void {
    if (connection.step === 'closed' || this.core.closed) return;
    this.core.countRejection(code);
    this.warnings.warn(
      code,
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

  closeConnection(
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

  /** At shutdown: every socket terminated, every link down, summaries of throttled warnings written. */
  closeAll(): void {
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
    this.warnings.flush();
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
    this.hooks.outboundLost(link);
  }
}

import { WIRE_VERSION, type ClusterEnvelope } from '@evpaxos/wire';
import { WebSocket } from 'ws';
import { reconnectDelayMs } from './backoff';
import { createNonce, computeProof, verifyProof } from './handshake';
import { zeroMask, type Connection } from './connection';
import type { Mesh } from './mesh';
import type { PeerLink } from './peer-link';

type Challenge = Extract<ClusterEnvelope, { kind: 'challenge' }>['body'];

/**
 * The dialer's side: one outbound link per peer, redialled after a loss with capped exponential
 * backoff and jitter (backoff.ts), and the dialer's half of the handshake
 * (docs/PROTOCOL-WIRE.md). We send on this link; the peer sends nothing back on it but the
 * handshake and pongs.
 */
export class Dialer {
  constructor(private readonly mesh: Mesh) {}

  dial(link: PeerLink): void {
    const mesh = this.mesh;
    link.reconnectTimer = null;
    if (mesh.core.closed || link.url === null || link.outbound) return;
    link.dialled = true;
    mesh.setState(link, 'connecting');
    const socket = new WebSocket(link.url, {
      maxPayload: mesh.limits.maxFrameBytes,
      perMessageDeflate: false,
      handshakeTimeout: mesh.limits.handshakeTimeoutMs,
      generateMask: zeroMask,
    });
    const connection = mesh.track(socket, 'out', link.url, link.id);
    link.outbound = connection;
    socket.on('open', () => {
      if (connection.step === 'closed') return;
      connection.dialerNonce = createNonce();
      mesh.sendFrame(connection, {
        v: WIRE_VERSION,
        kind: 'hello',
        body: {
          clusterId: mesh.options.clusterId,
          nodeId: mesh.nodeId,
          peerId: link.id,
          nonce: connection.dialerNonce,
        },
      });
    });
  }

  /** The peer's address changed: drop the link we have (its close redials) or dial now. */
  redial(link: PeerLink): void {
    if (link.outbound) {
      this.mesh.closeConnection(link.outbound, 1000, 'peer-address-changed', false);
      return;
    }
    if (link.reconnectTimer) clearTimeout(link.reconnectTimer);
    link.reconnectTimer = null;
    this.dial(link);
  }

  /**
   * The peer has just dialled us and proved who it is, so it is up and listening now. Our own
   * link to it must not wait for that news:
   * - none (we wait out a backoff that grew while it was down): dial now, from the first delay;
   * - an open link, when the peer's new link replaced an older one (it restarted, or lost its
   *   link to us): ours may be half-open to a process that is gone — a replaced container sends
   *   no FIN or RST — silently swallowing what we send until liveness drops it
   *   (livenessTimeoutMs), and a restarted central that hears no leader campaigns meanwhile.
   *   Dial again now (resolving its name afresh: a new container has a new address), unless
   *   ours is younger than a handshake can take: then it answers the peer's own redial, and
   *   both sides redialling on each other's news would never end.
   * An on-demand peer we never dialled is not dialled back: we dial it once we have something
   * to send it (send-queue.ts).
   * A dial in progress is left alone: redialling it on every link of the peer's would race two
   * simultaneous dialers against each other, and the handshake timeout bounds it.
   */
  peerDialledUs(link: PeerLink, replaced: Connection | null): void {
    const mesh = this.mesh;
    // An on-demand peer is dialled when we have something for it (its request's answer), not back.
    if (link.onDemand && !link.dialled) return;
    const outbound = link.outbound;
    if (outbound !== null) {
      const stale =
        outbound.step === 'open' &&
        replaced !== null &&
        mesh.monotonicNowMs() - outbound.createdAtMs >= mesh.limits.handshakeTimeoutMs;
      if (!stale) return;
      // Detached first: its close must not schedule a reconnect of its own.
      link.outbound = null;
      mesh.closeConnection(outbound, 1001, 'peer-redialled', true);
      mesh.core.logger.info('transport: redialling a peer that dialled us', { peer: link.id });
    }
    if (link.reconnectTimer) clearTimeout(link.reconnectTimer);
    link.reconnectTimer = null;
    link.attempt = 0;
    this.dial(link);
  }

  scheduleReconnect(link: PeerLink): void {
    const mesh = this.mesh;
    if (mesh.core.closed || link.url === null || link.reconnectTimer || link.outbound) return;
    const delayMs = reconnectDelayMs(
      link.attempt,
      mesh.limits.reconnectDelayMinMs,
      mesh.limits.reconnectDelayMaxMs,
      mesh.core.random,
    );
    link.attempt += 1;
    link.reconnectTimer = setTimeout(() => this.dial(link), delayMs);
  }

  handleOutbound(connection: Connection, envelope: ClusterEnvelope): void {
    const mesh = this.mesh;
    switch (connection.step) {
      case 'await-challenge':
        if (envelope.kind !== 'challenge' || connection.dialerNonce === null) {
          return mesh.reject(
            connection,
            'unexpected-frame',
            `${envelope.kind} instead of a challenge`,
          );
        }
        return this.onChallenge(connection, connection.dialerNonce, envelope.body);
      case 'await-welcome':
        if (envelope.kind !== 'welcome') {
          return mesh.reject(connection, 'unexpected-frame', `${envelope.kind} instead of welcome`);
        }
        return this.onWelcome(connection);
      default:
        return mesh.reject(connection, 'unexpected-frame', `${envelope.kind} on our outbound link`);
    }
  }

  private onChallenge(connection: Connection, dialerNonce: Uint8Array, challenge: Challenge): void {
    const mesh = this.mesh;
    const peerId = connection.peerId ?? '';
    if (challenge.nodeId !== peerId) {
      return mesh.reject(
        connection,
        'peer-id-mismatch',
        `dialled ${peerId}, reached ${challenge.nodeId}`,
      );
    }
    const secret = mesh.options.clusterSecret;
    const proofInput = {
      clusterId: mesh.options.clusterId,
      dialerNonce,
      listenerNonce: challenge.nonce,
    };
    const valid = verifyProof(
      secret,
      { ...proofInput, role: 'listener', proverId: peerId, verifierId: mesh.nodeId },
      challenge.proof,
    );
    if (!valid) return mesh.reject(connection, 'bad-proof', `challenge from ${peerId}`);
    const proof = computeProof(secret, {
      ...proofInput,
      role: 'dialer',
      proverId: mesh.nodeId,
      verifierId: peerId,
    });
    connection.step = 'await-welcome';
    mesh.sendFrame(connection, { v: WIRE_VERSION, kind: 'proof', body: { proof } });
  }

  private onWelcome(connection: Connection): void {
    const mesh = this.mesh;
    const peerId = connection.peerId ?? '';
    mesh.authenticated(connection);
    const link = mesh.linkOf(peerId);
    link.attempt = 0;
    link.lastSeenMs = mesh.core.now();
    mesh.setState(link, 'connected');
    mesh.core.logger.info('transport: link up', { peer: peerId, url: connection.remote });
  }
}

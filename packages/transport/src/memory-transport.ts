import { WireError, clusterCodec, type Message, type NodeId } from '@evpaxos/wire';
import { TransportError } from './errors';
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

export interface MemoryNetworkOptions {
  /**
   * Send every message through the wire codec (encode, then decode and validate on arrival),
   * as the WebSocket transport does. Default true: the twin then refuses exactly what the wire
   * refuses, and no receiver shares an object with its sender. Turn off only for raw speed.
   */
  readonly serialize?: boolean;
}

/**
 * The in-memory twin of the cluster network: the transports attached to it reach one another.
 * Delivery is asynchronous (setImmediate, FIFO per link), never re-entrant inside `send`.
 */
export class MemoryNetwork {
  private readonly attached = new Map<NodeId, MemoryTransport>();
  private readonly serialize: boolean;

  constructor(options: MemoryNetworkOptions = {}) {
    this.serialize = options.serialize ?? true;
  }

  /** @internal */
  attach(transport: MemoryTransport): void {
    if (this.attached.has(transport.nodeId)) {
      throw new TransportError(
        'already-started',
        `Node ${transport.nodeId} is already on this network.`,
      );
    }
    this.attached.set(transport.nodeId, transport);
    for (const other of this.attached.values()) {
      if (other !== transport && other.knows(transport.nodeId)) other.peerChanged(transport.nodeId);
      if (other !== transport && transport.knows(other.nodeId)) transport.peerChanged(other.nodeId);
    }
  }

  /** @internal */
  detach(transport: MemoryTransport): void {
    if (this.attached.get(transport.nodeId) !== transport) return;
    this.attached.delete(transport.nodeId);
    for (const other of this.attached.values()) {
      if (other.knows(transport.nodeId)) other.peerChanged(transport.nodeId);
    }
  }

  /** @internal */
  isAttached(nodeId: NodeId): boolean {
    return this.attached.has(nodeId);
  }

  /** @internal Carries one message from `from` to `to`, asynchronously. */
  transmit(from: MemoryTransport, to: NodeId, message: Message): void {
    const target = this.attached.get(to);
    if (target === undefined || this.attached.get(from.nodeId) !== from) {
      from.core.countDrop('peer-down');
      return;
    }
    if (!this.serialize) {
      from.core.countWrite();
      from.core.countFrameOut(message.type, 0);
      setImmediate(() => {
        if (this.attached.get(to) === target) target.deliver(from.nodeId, message, 0);
      });
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = clusterCodec.encodeOnce('paxos', message);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      from.core.countDrop('frame-too-large');
      from.core.logger.error('transport: message not sent', {
        code: error.code,
        to,
        reason: error.message,
      });
      return;
    }
    from.core.countWrite();
    from.core.countFrameOut(message.type, bytes.length);
    setImmediate(() => {
      if (this.attached.get(to) !== target) return;
      let decoded: Message;
      try {
        const envelope = clusterCodec.decode(bytes);
        if (envelope.kind !== 'paxos') return;
        decoded = envelope.body;
      } catch (error) {
        if (!(error instanceof WireError)) throw error;
        target.core.countRejection(error.code);
        return;
      }
      target.deliver(from.nodeId, decoded, bytes.length);
    });
  }
}

export interface MemoryTransportOptions {
  readonly nodeId: NodeId;
  /** The other members (our own id is ignored if listed). */
  readonly peers: readonly NodeId[];
}

export interface MemoryTransportCollaborators extends TransportCollaborators {
  readonly network: MemoryNetwork;
}

/** A Transport over a MemoryNetwork: a peer is connected while it is started and attached. */
export class MemoryTransport implements Transport {
  readonly nodeId: NodeId;
  /** @internal */
  readonly core: TransportCore;
  private readonly network: MemoryNetwork;
  private readonly peerIds: readonly NodeId[];
  private readonly lastSeenMs = new Map<NodeId, number>();
  private started = false;
  private closing: Promise<void> | null = null;

  constructor(options: MemoryTransportOptions, collaborators: MemoryTransportCollaborators) {
    this.nodeId = options.nodeId;
    this.peerIds = [...new Set(options.peers)].filter((id) => id !== options.nodeId);
    this.network = collaborators.network;
    this.core = new TransportCore(collaborators);
  }

  async start(): Promise<void> {
    if (this.started || this.closing)
      throw new TransportError('already-started', `Node ${this.nodeId} was started before.`);
    this.started = true;
    this.network.attach(this);
  }

  send(to: NodeId, message: Message): void {
    if (to === this.nodeId) {
      // Loopback skips fault rules and the codec: nothing crosses a network.
      setImmediate(() => this.core.receiveLoopback(this.nodeId, message));
      return;
    }
    if (!this.knows(to)) throw new TransportError('unknown-peer', `${to} is not a member.`);
    this.core.send(to, () => this.network.transmit(this, to, message));
  }

  broadcast(message: Message): void {
    for (const peer of this.peerIds) this.send(peer, message);
  }

  flush(): void {
    // Nothing waits here: each message is handed to the network as it is sent.
  }

  onMessage(handler: MessageHandler): () => void {
    return this.core.onMessage(handler);
  }

  onPeerChange(handler: PeerChangeHandler): () => void {
    return this.core.onPeerChange(handler);
  }

  peers(): PeerStatus[] {
    return this.peerIds.map((id) => this.statusOf(id));
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
    this.closing ??= Promise.resolve().then(() => {
      this.core.close();
      this.network.detach(this);
    });
    return this.closing;
  }

  /** @internal */
  knows(peer: NodeId): boolean {
    return this.peerIds.includes(peer);
  }

  /** @internal */
  peerChanged(peer: NodeId): void {
    // A peer joining the network is as good as a frame from it: the link just came up.
    if (this.network.isAttached(peer) && !this.core.closed)
      this.lastSeenMs.set(peer, this.core.now());
    this.core.emitPeerChange(this.statusOf(peer));
  }

  /** @internal */
  deliver(from: NodeId, message: Message, bytes: number): void {
    if (this.core.closed) return;
    this.lastSeenMs.set(from, this.core.now());
    this.core.countRead();
    this.core.countFrameIn(message.type, bytes);
    this.core.receive(from, message);
  }

  private statusOf(id: NodeId): PeerStatus {
    const connected =
      this.started &&
      !this.core.closed &&
      this.network.isAttached(id) &&
      this.network.isAttached(this.nodeId);
    return {
      id,
      state: connected ? 'connected' : 'down',
      lastSeenMs: this.lastSeenMs.get(id) ?? null,
    };
  }
}

import type { Message, NodeId } from '@evpaxos/wire';
import { parseFaultRules, planDelivery } from './faults';
import type {
  DropReason,
  FaultRule,
  Logger,
  MessageHandler,
  PeerChangeHandler,
  PeerStatus,
  RejectionCode,
  TransportCollaborators,
  TransportStats,
} from './types';
import { silentLogger } from './types';

interface MutableStats {
  framesInByKind: Record<string, number>;
  framesOutByKind: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
  framesIn: number;
  framesOut: number;
  rejectionsByCode: Partial<Record<RejectionCode, number>>;
  dropsByReason: Partial<Record<DropReason, number>>;
}

function increment<Key extends string>(
  counts: Partial<Record<Key, number>>,
  key: Key,
  by = 1,
): void {
  counts[key] = (counts[key] ?? 0) + by;
}

/**
 * What both transports share: handlers, fault rules, stats and the timers of delayed messages.
 * Fault rules are applied here and only here, so the in-memory and WebSocket transports inject
 * faults identically.
 */
export class TransportCore {
  readonly logger: Logger;
  readonly random: () => number;
  readonly now: () => number;
  private readonly messageHandlers = new Set<MessageHandler>();
  private readonly peerHandlers = new Set<PeerChangeHandler>();
  private readonly delayTimers = new Set<NodeJS.Timeout>();
  private rules: readonly FaultRule[] = [];
  private readonly counters: MutableStats = {
    framesInByKind: {},
    framesOutByKind: {},
    bytesIn: 0,
    bytesOut: 0,
    framesIn: 0,
    framesOut: 0,
    rejectionsByCode: {},
    dropsByReason: {},
  };
  closed = false;

  constructor(collaborators: TransportCollaborators) {
    this.logger = collaborators.logger ?? silentLogger;
    this.random = collaborators.random ?? Math.random;
    this.now = collaborators.now ?? Date.now;
  }

  onMessage(handler: MessageHandler): () => void {
    this.messageHandlers.add(handler);
    return () => this.messageHandlers.delete(handler);
  }

  onPeerChange(handler: PeerChangeHandler): () => void {
    this.peerHandlers.add(handler);
    return () => this.peerHandlers.delete(handler);
  }

  emitPeerChange(status: PeerStatus): void {
    if (this.closed) return;
    for (const handler of [...this.peerHandlers]) handler(status);
  }

  setFaultRules(rules: readonly FaultRule[]): void {
    this.rules = parseFaultRules(rules);
  }

  clearFaultRules(): void {
    this.rules = [];
  }

  /** Applies 'out' rules, then calls `transmit` once per copy to send (possibly later). */
  send(to: NodeId, transmit: () => void): void {
    if (this.closed) {
      this.countDrop('closed');
      return;
    }
    this.schedule(planDelivery(this.rules, to, 'out', this.random), transmit);
  }

  /** Applies 'in' rules to a message that arrived from `from`, then hands it to the handlers. */
  receive(from: NodeId, message: Message): void {
    if (this.closed) return;
    this.schedule(planDelivery(this.rules, from, 'in', this.random), () =>
      this.dispatch(from, message),
    );
  }

  /** A message to ourselves: no network, so no fault rules. */
  receiveLoopback(self: NodeId, message: Message): void {
    this.dispatch(self, message);
  }

  private schedule(plan: readonly number[], deliver: () => void): void {
    if (plan.length === 0) {
      this.countDrop('fault-rule');
      return;
    }
    for (const delayMs of plan) {
      if (delayMs === 0) {
        deliver();
        continue;
      }
      const timer = setTimeout(() => {
        this.delayTimers.delete(timer);
        if (!this.closed) deliver();
      }, delayMs);
      this.delayTimers.add(timer);
    }
  }

  private dispatch(from: NodeId, message: Message): void {
    if (this.closed) return;
    for (const handler of [...this.messageHandlers]) handler(from, message);
  }

  /** One frame read (it may hold several messages, each counted by countFrameIn). */
  countRead(): void {
    this.counters.framesIn += 1;
  }

  /** One frame written (it may hold several messages, each counted by countFrameOut). */
  countWrite(): void {
    this.counters.framesOut += 1;
  }

  countFrameIn(kind: string, bytes: number): void {
    increment(this.counters.framesInByKind, kind);
    this.counters.bytesIn += bytes;
  }

  countFrameOut(kind: string, bytes: number): void {
    increment(this.counters.framesOutByKind, kind);
    this.counters.bytesOut += bytes;
  }

  countRejection(code: RejectionCode): void {
    increment(this.counters.rejectionsByCode, code);
  }

  countDrop(reason: DropReason): void {
    increment(this.counters.dropsByReason, reason);
  }

  stats(): TransportStats {
    const counters = this.counters;
    return {
      framesInByKind: { ...counters.framesInByKind },
      framesOutByKind: { ...counters.framesOutByKind },
      bytesIn: counters.bytesIn,
      bytesOut: counters.bytesOut,
      framesIn: counters.framesIn,
      framesOut: counters.framesOut,
      rejectionsByCode: { ...counters.rejectionsByCode },
      dropsByReason: { ...counters.dropsByReason },
    };
  }

  /** Stops handlers and delayed deliveries. */
  close(): void {
    this.closed = true;
    for (const timer of this.delayTimers) clearTimeout(timer);
    this.delayTimers.clear();
    this.messageHandlers.clear();
    this.peerHandlers.clear();
  }
}

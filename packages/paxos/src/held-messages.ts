import type { Accept, Decide } from './messages';
import type { Outbox } from './outbox';
import type { NodeId } from './types';

/** Messages held for one acceptor by thrifty Accepts, at most, before they are sent anyway. */
const heldMessagesMax = 256;

/**
 * What thrifty Accepts hold back per acceptor until the next tick (the proposer's `held`): an
 * Accept outside the bare quorum, and the notices behind it, in order.
 */
export class HeldMessages {
  private readonly byAcceptor = new Map<NodeId, (Accept | Decide)[]>();

  constructor(private readonly out: Outbox) {}

  /** Acceptors with something held. */
  get size(): number {
    return this.byAcceptor.size;
  }

  has(to: NodeId): boolean {
    return this.byAcceptor.has(to);
  }

  hold(to: NodeId, message: Accept | Decide): void {
    const queue = this.byAcceptor.get(to);
    if (queue === undefined) this.byAcceptor.set(to, [message]);
    else queue.push(message);
    // A limit on everything: a tick that does not come (a blocked event loop) holds no more.
    if ((queue?.length ?? 1) >= heldMessagesMax) this.flush();
  }

  /** Sends what thrifty Accepts held back, in order: each Accept before the notices about it. */
  flush(): void {
    if (this.byAcceptor.size === 0) return;
    for (const [to, messages] of this.byAcceptor)
      for (const message of messages) this.out.send(to, message);
    this.byAcceptor.clear();
  }
}

import type { Accept, Decide } from './messages';
import type { Outbox } from './outbox';
import type { NodeId } from './types';

/** Messages held for one acceptor by thrifty Accepts, at most, before they are sent anyway. */
const heldMessagesMax = 256;

/**
 * Thrifty Accepts at low load (the Proposer's). A slot proposed while no other is in flight goes to
 * a bare phase-2 quorum at once; the other acceptors' copies of its Accept, and the commit notices
 * that follow it, wait here until the next tick (or until load brings a broadcast), then leave as
 * one frame — so at one command in flight those acceptors sync and wake once per tick instead of
 * once per command. Safe for any subset (an Accept to fewer acceptors only makes the quorum smaller
 * to reach); live because a silent target is covered at the next tick by the others
 * (docs/PROTOCOL.md, docs/BENCHMARKS.md). Bounded: heldMessagesMax per acceptor.
 */
export class HeldMessages {
  private readonly held = new Map<NodeId, (Accept | Decide)[]>();

  constructor(private readonly out: Outbox) {}

  /** Acceptors with something held (the proposer's ticksUntilDue: they wait for the next tick). */
  get size(): number {
    return this.held.size;
  }

  has(to: NodeId): boolean {
    return this.held.has(to);
  }

  hold(to: NodeId, message: Accept | Decide): void {
    const queue = this.held.get(to);
    if (queue === undefined) this.held.set(to, [message]);
    else queue.push(message);
    // A limit on everything: a tick that does not come (a blocked event loop) holds no more.
    if ((queue?.length ?? 1) >= heldMessagesMax) this.flush();
  }

  /** Sends what thrifty Accepts held back, in order: each Accept before the notices about it. */
  flush(): void {
    if (this.held.size === 0) return;
    for (const [to, messages] of this.held)
      for (const message of messages) this.out.send(to, message);
    this.held.clear();
  }
}

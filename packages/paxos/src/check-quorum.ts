import type { NodeId } from './types';

/**
 * CheckQuorum, a leader's half of leader stickiness (docs/PAXOS.md, "CheckQuorum"; Raft §6.2's
 * leader that steps down when it cannot reach a majority, §9.6): a leader that has not heard from a
 * phase-2 quorum of acceptors within the last `windowTicks` ticks steps down. A leader cut off in a
 * minority then stops proposing and stops naming itself leader, so its clients and the stations on
 * its central look for the majority's leader instead of waiting on one that cannot decide.
 *
 * The Proposer's window is two election timeouts, as etcd raft's check every election timeout
 * of who was heard since the last check looks back up to two: with heartbeats every few ticks, a
 * quorum's acks then all have to be lost or late many times over before a healthy leader steps
 * down (the simulator's lossy seeds, 25 % loss and reordering, made a one-timeout window depose
 * healthy leaders), while a cut-off leader still stops within 2T.
 *
 * Counted in the leader's own ticks (docs/STYLE.md rule 2): a leader whose process stalled counts
 * no ticks while stalled, so its own stall never makes it step down; only acceptors silent while
 * it ran do.
 */
export class QuorumCheck {
  private nowTicks = 0;
  /** The tick at which each acceptor last answered this leader's ballot. Bounded by the cluster. */
  private readonly lastHeard = new Map<NodeId, number>();

  constructor(private readonly windowTicks: number) {}

  /** A new leadership: those that promised were heard just now; no one else yet. */
  restart(heard: Iterable<NodeId>): void {
    this.nowTicks = 0;
    this.lastHeard.clear();
    for (const id of heard) this.lastHeard.set(id, 0);
  }

  heard(id: NodeId): void {
    this.lastHeard.set(id, this.nowTicks);
  }

  /**
   * Ticks until `tick` could answer false (PaxosNode.ticksUntilDue): the end of a fresh leader's
   * first window, else the tick at which the quorum-th most recently heard acceptor falls out of
   * the window. ≥ 1.
   */
  ticksUntilDue(acceptors: readonly NodeId[], quorum: number): number {
    if (this.nowTicks < this.windowTicks) return Math.max(1, this.windowTicks - this.nowTicks);
    const heardAt = acceptors
      .map((id) => this.lastHeard.get(id))
      .filter((at): at is number => at !== undefined)
      .sort((a, b) => b - a);
    const at = heardAt[quorum - 1];
    // tick() first increments nowTicks, then counts `at` while nowTicks - at < windowTicks.
    return at === undefined ? 1 : Math.max(1, at + this.windowTicks - this.nowTicks);
  }

  /**
   * One leader tick. False once fewer than `quorum` of `acceptors` answered within the window; a
   * fresh leader gets one window before the first verdict (nothing was asked of the others yet).
   */
  tick(acceptors: readonly NodeId[], quorum: number): boolean {
    this.nowTicks += 1;
    if (this.nowTicks < this.windowTicks) return true;
    let heard = 0;
    for (const id of acceptors) {
      const at = this.lastHeard.get(id);
      if (at !== undefined && this.nowTicks - at < this.windowTicks) heard += 1;
    }
    return heard >= quorum;
  }
}

import { compareBallots, type Ballot } from './ballot';
import type { NodeId } from './types';

/**
 * Leader stickiness, an acceptor's half (Raft §9.6: "if a server receives a RequestVote request
 * within the minimum election timeout of hearing from a current leader, it does not update its
 * term or grant its vote"; PreVote and CheckQuorum together). An acceptor that heard from the
 * leader of the ballot it promised within the last `leaseTicks` ticks refuses to promise a higher
 * ballot to any other proposer: a restarted central, or a standby whose own process stalled, does
 * not depose a leader that a quorum still hears.
 *
 * Never needed for safety: refusing a Prepare is what a lost message does, and nothing reads
 * state on the strength of a lease. It only gates elections. Counted in ticks (docs/STYLE.md rule
 * 2): a stalled acceptor counts no ticks while stalled, so a stall of its own never ends a lease.
 */
export class LeaderLease {
  /** The proposer this acceptor last heard lead, at a ballot it had promised or could promise. */
  private holder: NodeId | undefined;
  /** Ticks since the holder was last heard; at leaseTicks or more the lease has lapsed. */
  private silentTicks: number;

  constructor(private readonly leaseTicks: number) {
    // A (re)started acceptor knows of no leader: it grants the first candidate, as before.
    this.silentTicks = leaseTicks;
  }

  /**
   * The leader of `ballot` was heard (a Heartbeat or an Accept that was honoured: its ballot is at
   * least the promised one), so the lease starts again from now.
   */
  renew(ballot: Ballot, promised: Ballot): void {
    if (compareBallots(ballot, promised) < 0) return;
    this.holder = ballot.proposerId;
    this.silentTicks = 0;
  }

  /**
   * The transport reported `id`'s connection closed (its process died, or its host closed the
   * link): a lease it holds ends now, so a standby's pre-vote is granted without waiting out the
   * lease sized for stalls. A stalled leader keeps its connections, and so its lease.
   */
  lapseIfHeldBy(id: NodeId): void {
    if (this.holder === id) this.silentTicks = this.leaseTicks;
  }

  tick(): void {
    // Bounded: past the lease the count stops (no overflow in a node that runs for years).
    if (this.silentTicks < this.leaseTicks) this.silentTicks += 1;
  }

  /**
   * Ticks until the lease lapses (Infinity when none is live): a deadline for a runtime that arms
   * its timer for the next one instead of ticking at a fixed rate (ClusterNode), so the lapse is
   * counted by a timer that fires on time, never by a stalled process catching up.
   */
  ticksUntilLapse(): number {
    return this.holder !== undefined && this.silentTicks < this.leaseTicks
      ? this.leaseTicks - this.silentTicks
      : Number.POSITIVE_INFINITY;
  }

  /**
   * A Prepare from `candidate` must be refused now: the lease is live and held by another
   * proposer. The holder itself may always campaign again (a restarted leader recovering its own
   * slots disturbs no one).
   */
  refuses(candidate: NodeId): boolean {
    return (
      this.holder !== undefined && this.holder !== candidate && this.silentTicks < this.leaseTicks
    );
  }

  get leaderId(): NodeId | undefined {
    return this.holder;
  }
}

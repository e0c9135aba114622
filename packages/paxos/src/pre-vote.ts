import { compareBallots, type Ballot } from './ballot';
import type { PaxosOptions } from './config';
import type { NodeId } from './types';

/**
 * A standby's pre-vote (Raft §9.6 PreVote; docs/PAXOS.md, "Pre-vote"): before it raises its ballot
 * it asks the acceptors whether they would promise, and campaigns only once a phase-1 quorum says
 * yes. An acceptor says yes only when it has not heard from another leader within its lease
 * (leader-lease.ts), so a standby that missed heartbeats for a reason of its own (its process
 * stalled, its links were cut) raises no promise anywhere and never makes the leader's Accepts
 * fail.
 *
 * Also the fast path of a crash: when the transport reports the leader's connection closed (its
 * process died: the kernel closed its sockets), the standby asks at once instead of waiting out an
 * election timeout sized for stalls, and asks again every `retryTicks` until someone leads.
 */
export class PreVote {
  private round: Ballot | undefined;
  private readonly grants = new Set<NodeId>();
  /** The leader this proposer followed was reported gone and no leader has been heard since. */
  private leaderGone = false;

  /**
   * Ticks before the first pre-vote of a process that has heard no leader yet. A pre-vote disturbs
   * no one, so a fresh or restarted proposer asks soon (a new cluster elects a leader in a few
   * ticks, not a timeout sized for stalls); where a leader lives, the acceptors say no and its
   * first heartbeat ends this.
   */
  startupTicks: number | undefined;

  /**
   * Spreads the first pre-vote by the election timeout's own draw, so two proposers started
   * together rarely ask at once: heartbeatTicks plus a quarter of the drawn jitter.
   */
  armStartup(options: PaxosOptions, drawnTimeoutTicks: number): void {
    const jitterTicks = drawnTimeoutTicks - options.electionTimeoutTicks;
    this.startupTicks = options.heartbeatTicks + Math.floor(jitterTicks / 4);
  }

  /**
   * A new round: the replies that count are those naming `ballot`. After a crash report, a retry
   * with the same ballot keeps the grants already in: on a loaded host one round's answers came
   * in over more than the retry interval, and clearing them at each retry took 3 rounds to see a
   * quorum (measured, docs/LIMITS.md). Only then: the leader's link closed, so no acceptor's grant
   * can be for a leader it still hears. A standby whose timeout fired keeps none — a grant from
   * before the acceptor heard a leader again would let it campaign against a stable leader (the
   * simulator's sticky-leader check caught exactly that).
   */
  start(ballot: Ballot): void {
    const retry = this.round !== undefined && compareBallots(ballot, this.round) === 0;
    if (!retry || !this.leaderGone) this.grants.clear();
    this.round = ballot;
    this.startupTicks = undefined;
  }

  /** A leader was heard: no round is needed, and the crash path ends. */
  cancel(): void {
    this.round = undefined;
    this.grants.clear();
    this.leaderGone = false;
    this.startupTicks = undefined;
  }

  /** Records a grant for the current round; returns the grants so far, or undefined if stale. */
  grant(from: NodeId, ballot: Ballot): ReadonlySet<NodeId> | undefined {
    if (this.round === undefined || compareBallots(ballot, this.round) !== 0) return undefined;
    this.grants.add(from);
    return this.grants;
  }

  markLeaderGone(): void {
    this.leaderGone = true;
  }

  get isLeaderGone(): boolean {
    return this.leaderGone;
  }
}

import { compareBallots, type Ballot } from './ballot';
import type { Accept, Heartbeat, Prepare, PreVote } from './messages';
import type { Outbox } from './outbox';
import type { ResolvedConfig } from './config';
import { promises, type AcceptorStanding } from './acceptor-standing';
import { LeaderLease } from './leader-lease';
import { estimateValueBytes } from './size';
import type { AcceptedEntry, NodeId, PersistedState, Slot } from './types';

/**
 * The acceptor: one promise for all slots, and the accepted (ballot, value) per slot.
 * Every change is handed to the outbox for persistence before the reply it justifies, which the
 * caller sends only once the persist is durable (Paxos Made Simple §2.2, "an acceptor must remember
 * this information even if it fails and then restarts").
 */
export class Acceptor {
  private promised: Ballot;
  private readonly accepted = new Map<Slot, AcceptedEntry>();
  /** Slots below this were decided, applied and compacted away (see Learner snapshots). */
  private truncatedBelow: Slot;
  /** Leader stickiness: the leader this acceptor hears, and for how long it refuses others. */
  private readonly lease: LeaderLease;
  /** The latest pre-vote refused for the lease, granted if the holder's link closes (peerDown). */
  private refusedPreVote: { readonly from: NodeId; readonly ballot: Ballot } | undefined;
  /** The ballot of the last heartbeat answered, and the ticks since (heartbeatAckTicks). */
  private ackedBallot: Ballot | undefined;
  private ackElapsedTicks = 0;

  /**
   * @param appliedBelow the first slot this node's learner has not applied: a candidate preparing
   * from far below it is told to catch up first (Nack.decidedBelow).
   */
  constructor(
    private readonly config: ResolvedConfig,
    private readonly out: Outbox,
    persisted: PersistedState,
    private readonly appliedBelow: () => Slot = () => 0,
    /** Whether it may vote, and from which slot (acceptor-standing.ts). Default: always, from 0. */
    private readonly standing: () => AcceptorStanding = () => ({
      votes: true,
      fromSlot: 0,
    }),
  ) {
    this.promised = persisted.promised;
    // Raft §9.6: the lease lasts the minimum election timeout, so a standby that waited its own
    // timeout without a heartbeat finds the acceptors that also heard nothing willing to promise.
    this.lease = new LeaderLease(config.options.electionTimeoutTicks);
    this.truncatedBelow = persisted.snapshot ? persisted.snapshot.appliedThrough + 1 : 0;
    for (const entry of persisted.accepted) {
      if (entry.slot >= this.truncatedBelow) this.accepted.set(entry.slot, entry);
    }
  }

  get promisedBallot(): Ballot {
    return this.promised;
  }

  get acceptedCount(): number {
    return this.accepted.size;
  }

  acceptedAt(slot: Slot): AcceptedEntry | undefined {
    return this.accepted.get(slot);
  }

  private promise(ballot: Ballot): void {
    if (compareBallots(ballot, this.promised) <= 0) return;
    this.promised = ballot;
    // Planted bug: the promise lives only in memory, so a restart forgets it.
    if (this.config.plantedBug !== 'acceptor-forgets-promise') this.out.persistPromise(ballot);
  }

  /** Would this acceptor promise `from` a higher ballot now (pre-vote.ts)? Changes nothing. */
  handlePreVote(from: NodeId, message: PreVote): void {
    // Only a node that would promise says whether it would (acceptor-standing.ts).
    if (!promises(this.standing())) return;
    const granted = !this.refusesForLease(from);
    this.refusedPreVote = granted ? undefined : { from, ballot: message.ballot };
    this.out.send(from, { type: 'pre-vote-reply', ballot: message.ballot, granted });
  }

  /**
   * `id`'s connection closed: a lease it holds ends (leader-lease.ts), and a pre-vote refused for
   * that lease is granted now, unasked: a standby that saw the link close before this acceptor did
   * would otherwise wait a Prepare retry to ask again (the same answer a new pre-vote gets now).
   */
  peerDown(id: NodeId): void {
    this.lease.lapseIfHeldBy(id);
    const refused = this.refusedPreVote;
    if (refused === undefined || this.refusesForLease(refused.from)) return;
    if (!promises(this.standing())) return;
    this.refusedPreVote = undefined;
    this.out.send(refused.from, { type: 'pre-vote-reply', ballot: refused.ballot, granted: true });
  }

  handlePrepare(from: NodeId, message: Prepare): void {
    // Joining and re-admission (docs/PAXOS.md): a node that lost its state stays silent, as a
    // slow acceptor would; the candidate counts the others. One that is joining promises: it kept
    // every promise and value (acceptor-standing.ts).
    const standing = this.standing();
    if (!promises(standing)) return;
    const votesFrom = standing.votes ? standing.fromSlot : 0;
    // Paxos Made Simple §2.2 (P1a): promise only a ballot higher than any promised. Not an equal
    // one: a proposer keeps no state (a central), so a restarted one may campaign again with the
    // ballot it led with before, while its old Accepts are still out; two values could then be
    // accepted in one slot under one ballot. The nack tells it to go above (Proposer.handleNack).
    const refused =
      this.config.plantedBug === 'acceptor-repromises-equal-ballot'
        ? compareBallots(message.ballot, this.promised) < 0
        : compareBallots(message.ballot, this.promised) <= 0;
    if (refused) {
      this.out.send(from, { type: 'nack', ballot: message.ballot, promised: this.promised });
      return;
    }
    if (this.refusesForLease(message.ballot.proposerId)) {
      this.out.send(from, {
        type: 'nack',
        ballot: message.ballot,
        promised: this.promised,
        leaseLive: true,
      });
      return;
    }
    const appliedBelow = this.appliedBelow();
    if (appliedBelow - message.fromSlot > this.config.options.windowSlotsMax) {
      // Promise nothing yet: the candidate learns the decided slots by catch-up (bounded replies)
      // and prepares again from further on, so no Promise has to carry a backlog of values.
      this.out.send(from, {
        type: 'nack',
        ballot: message.ballot,
        promised: this.promised,
        decidedBelow: appliedBelow,
      });
      return;
    }
    this.promise(message.ballot);
    const reported: AcceptedEntry[] = [];
    for (const entry of this.accepted.values()) {
      if (entry.slot >= message.fromSlot && entry.slot >= votesFrom) reported.push(entry);
    }
    reported.sort((a, b) => a.slot - b.slot);
    const chunks = chunkByBytes(reported, this.config.options.catchupBytesMax);
    chunks.forEach((accepted, part) => {
      this.out.send(from, {
        type: 'promise',
        ballot: message.ballot,
        accepted,
        // Below votesFrom this node knows the slots as decided, not what it accepted there.
        truncatedBelow: Math.max(this.truncatedBelow, votesFrom),
        ...(chunks.length > 1 ? { part, parts: chunks.length } : {}),
      });
    });
  }

  handleAccept(from: NodeId, message: Accept): void {
    // A slot below the one it votes from is decided by others: an answer here could complete a
    // quorum for a stale ballot's value that this node, before it lost its state, had refused. A
    // joining node accepts nothing until it has caught up (acceptor-standing.ts): staying silent
    // is what a slow acceptor does, so it is always safe.
    const standing = this.standing();
    const silent = !standing.votes || message.slot < standing.fromSlot;
    if (silent) return;
    const belowPromise = compareBallots(message.ballot, this.promised) < 0;
    // Paxos Made Simple §2.2 (P1a): accept unless a higher ballot was promised.
    if (belowPromise && this.config.plantedBug !== 'acceptor-accepts-lower-ballot') {
      this.out.send(from, { type: 'nack', ballot: message.ballot, promised: this.promised });
      return;
    }
    if (!belowPromise) {
      this.promise(message.ballot);
      this.lease.renew(message.ballot, this.promised);
    }
    if (message.slot >= this.truncatedBelow) {
      const entry: AcceptedEntry = {
        slot: message.slot,
        ballot: message.ballot,
        value: message.value,
      };
      this.accepted.set(message.slot, entry);
      this.out.persistAccepted(entry);
    }
    // Below truncatedBelow the slot is already chosen, and by P2c any higher-ballot proposal for it
    // carries the chosen value, so acknowledging without storing is safe and lets the leader finish.
    this.out.send(from, { type: 'accepted', ballot: message.ballot, slot: message.slot });
  }

  handleHeartbeat(from: NodeId, message: Heartbeat): void {
    // A leader whose ballot this acceptor has outgrown learns it here, even when idle.
    if (compareBallots(message.ballot, this.promised) < 0) {
      this.out.send(from, { type: 'nack', ballot: message.ballot, promised: this.promised });
    } else {
      this.lease.renew(message.ballot, this.promised);
      // The ack counts toward the leader's CheckQuorum, which asks whether it can reach a phase-2
      // quorum: only a node that would accept may answer (acceptor-standing.ts), or a leader
      // with no quorum of voters would keep leading on the word of learners.
      if (!this.standing().votes) return;
      // Paced (heartbeatAckTicks): the answer only feeds the leader's check quorum over 2 × T.
      const sameLeader =
        this.ackedBallot !== undefined && compareBallots(this.ackedBallot, message.ballot) === 0;
      if (sameLeader && this.ackElapsedTicks < this.config.options.heartbeatAckTicks) return;
      this.ackedBallot = message.ballot;
      this.ackElapsedTicks = 0;
      this.out.send(from, { type: 'heartbeat-ack', ballot: message.ballot });
    }
  }

  /** One unit of logical time: the leader's lease runs down. */
  tick(): void {
    this.lease.tick();
    // Bounded: the count stops once an answer is due anyway.
    if (this.ackElapsedTicks < this.config.options.heartbeatAckTicks) this.ackElapsedTicks += 1;
  }

  /** Ticks until a tick changes anything here (PaxosNode.ticksUntilDue). */
  ticksUntilDue(): number {
    return this.lease.ticksUntilLapse();
  }

  /** A higher ballot from another proposer, while this acceptor still hears its leader. */
  private refusesForLease(candidate: NodeId): boolean {
    if (this.config.plantedBug === 'acceptor-ignores-lease') return false;
    return this.lease.refuses(candidate);
  }

  /** The learner persisted a snapshot through `appliedThrough`: those slots need no acceptor state. */
  compact(appliedThrough: Slot): void {
    if (appliedThrough + 1 <= this.truncatedBelow) return;
    this.truncatedBelow = appliedThrough + 1;
    for (const slot of this.accepted.keys()) {
      if (slot < this.truncatedBelow) this.accepted.delete(slot);
    }
  }
}

/** Consecutive runs of entries within `bytesMax` estimated bytes each (one entry at least). */
function chunkByBytes(entries: readonly AcceptedEntry[], bytesMax: number): AcceptedEntry[][] {
  const chunks: AcceptedEntry[][] = [[]];
  let bytes = 0;
  for (const entry of entries) {
    const entryBytes = estimateValueBytes(entry.value);
    const current = chunks[chunks.length - 1] as AcceptedEntry[];
    if (current.length > 0 && bytes + entryBytes > bytesMax) {
      chunks.push([entry]);
      bytes = entryBytes;
    } else {
      current.push(entry);
      bytes += entryBytes;
    }
  }
  return chunks;
}

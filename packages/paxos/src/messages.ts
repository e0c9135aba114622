import type { Ballot } from './ballot';
import type { AcceptedEntry, DecideEntry, DecidedEntry, Slot, Snapshot, Value } from './types';

/**
 * Every message between Paxos roles, in one place (docs/STYLE.md rule 5). The sender is not a field:
 * the transport knows who sent a frame, and `Node.step(from, message)` receives it.
 * Names follow Paxos Made Simple: prepare = phase 1a, promise = 1b, accept = 2a, accepted = 2b.
 */
export type Message =
  | PreVote
  | PreVoteReply
  | Prepare
  | Promise
  | Accept
  | Accepted
  | Nack
  | Decide
  | Heartbeat
  | HeartbeatAck
  | CatchupRequest
  | CatchupReply;

/**
 * Proposer → acceptors, before it campaigns (Raft §9.6, PreVote; docs/PAXOS.md, "Pre-vote"): would
 * you promise a higher ballot from me now? It changes nothing at the acceptor, so a standby whose
 * own process stalled, or one cut off in a minority, asks as often as it likes without raising
 * anyone's promise, and the leader's Accepts are never refused because of it.
 */
export interface PreVote {
  readonly type: 'pre-vote';
  /** The ballot the proposer would campaign with: names the round the replies answer. */
  readonly ballot: Ballot;
}

/** Acceptor → that proposer, in reply to a PreVote. */
export interface PreVoteReply {
  readonly type: 'pre-vote-reply';
  readonly ballot: Ballot;
  /**
   * True unless this acceptor heard from another leader within its lease (leader-lease.ts). No
   * promised ballot: the campaign learns it from Phase 1's nacks, exactly as without a pre-vote.
   */
  readonly granted: boolean;
}

/** Proposer → acceptors. Phase 1a for every slot >= fromSlot at once (Multi-Paxos). */
export interface Prepare {
  readonly type: 'prepare';
  readonly ballot: Ballot;
  /** The proposer's first undecided slot: acceptors report what they accepted from here on. */
  readonly fromSlot: Slot;
}

/** Acceptor → proposer, in reply to a Prepare it granted. Phase 1b. */
export interface Promise {
  readonly type: 'promise';
  readonly ballot: Ballot;
  /** Everything this acceptor accepted in slots >= the Prepare's fromSlot, one entry per slot. */
  readonly accepted: readonly AcceptedEntry[];
  /**
   * Slots below this were decided and compacted away by this acceptor: the proposer must learn them
   * (catch-up), never propose in them.
   */
  readonly truncatedBelow: Slot;
  /**
   * A Promise too big for one frame goes in parts (each within catchupBytesMax estimated bytes of
   * entries): this is part `part` of `parts`, and the promise counts once all have arrived. Absent:
   * the whole promise in one message.
   */
  readonly part?: number;
  readonly parts?: number;
}

/** Leader → acceptors. Phase 2a for one slot. */
export interface Accept {
  readonly type: 'accept';
  readonly ballot: Ballot;
  readonly slot: Slot;
  readonly value: Value;
}

/** Acceptor → leader, in reply to an Accept it granted. Phase 2b. */
export interface Accepted {
  readonly type: 'accepted';
  readonly ballot: Ballot;
  readonly slot: Slot;
}

/**
 * Acceptor → proposer, in reply to a Prepare, Accept or Heartbeat with a ballot below its promise;
 * or to a Prepare from a candidate far behind (decidedBelow set, nothing promised).
 */
export interface Nack {
  readonly type: 'nack';
  /** The ballot the message carried. */
  readonly ballot: Ballot;
  /** The ballot this acceptor has promised: a higher one makes the proposer step down. */
  readonly promised: Ballot;
  /**
   * Set when the Prepare's fromSlot is more than windowSlotsMax below what this node has applied:
   * slots below this are decided, so the candidate catches up first and prepares again from
   * further on. Its Promise would otherwise report every slot in between, values and all, which
   * under load outgrows a frame (a fresh central after a busy hour).
   */
  readonly decidedBelow?: Slot;
  /**
   * Set on a refused Prepare whose ballot is above the promise: this acceptor heard from the leader
   * of `promised` within its lease, so it promises no other proposer yet (leader stickiness,
   * leader-lease.ts). The candidate stands down once too few acceptors are left to promise it.
   */
  readonly leaseLive?: true;
}

/**
 * Leader → learners: these slots are chosen. To a learner that is not an acceptor, at once and with
 * the values; to acceptors, without the values and deferred until the next Accept proposed while
 * another slot is in flight goes out to them (the transport puts both in one frame), or the next
 * tick.
 */
export interface Decide {
  readonly type: 'decide';
  readonly entries: readonly DecideEntry[];
}

/** Leader → everyone, every heartbeatTicks: I lead with this ballot; slots < decidedBelow are decided. */
export interface Heartbeat {
  readonly type: 'heartbeat';
  readonly ballot: Ballot;
  readonly decidedBelow: Slot;
}

/** Acceptor → leader, in reply to a Heartbeat it honours: lets the leader see it still has a quorum. */
export interface HeartbeatAck {
  readonly type: 'heartbeat-ack';
  readonly ballot: Ballot;
}

/** Learner → a peer learner: send me what was decided from fromSlot on. */
export interface CatchupRequest {
  readonly type: 'catchup-request';
  readonly fromSlot: Slot;
}

/** Learner → learner, in reply to a CatchupRequest. */
export interface CatchupReply {
  readonly type: 'catchup-reply';
  /** Present when fromSlot was compacted away: the applied state up to snapshot.appliedThrough. */
  readonly snapshot?: Snapshot;
  /** Decided entries after the snapshot (or from fromSlot), in slot order, bounded in count. */
  readonly entries: readonly DecidedEntry[];
}

export type MessageType = Message['type'];

export const messageTypes: readonly MessageType[] = [
  'pre-vote',
  'pre-vote-reply',
  'prepare',
  'promise',
  'accept',
  'accepted',
  'nack',
  'decide',
  'heartbeat',
  'heartbeat-ack',
  'catchup-request',
  'catchup-reply',
];

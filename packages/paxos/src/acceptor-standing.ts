import type { ConfigurationHistory } from './membership';
import type { NodeId, Slot } from './types';

/**
 * Whether this node's acceptor may vote (answer Accept, acknowledge heartbeats: count toward a
 * phase-2 quorum and CheckQuorum), whether it may promise (answer Prepare and PreVote), and from
 * which slot on (docs/PAXOS.md, "Joining and re-admission"). An acceptor that votes from slot F
 * answers nothing for a slot below F and reports every slot below F as truncated in its Promise:
 * those slots are decided (it has applied them), and what it accepted there, if anything, is not
 * known.
 */
export type AcceptorStanding =
  | { readonly votes: true; readonly fromSlot: Slot }
  | {
      readonly votes: false;
      /**
       * awaiting-readmission: its state was lost (a new incarnation) and no decided in-place
       * replace names this incarnation yet; catching-up: one does, but its learner has not applied
       * every slot before the one it takes effect at. Neither promises: what it promised before
       * the loss is gone. joining: its state is intact, a decided change adds it, and its learner
       * has not yet applied every slot before the one the change takes effect at; spare: its state
       * is intact and the configuration at its applied point does not name it (never added, or
       * removed). Both promise (they keep every promise and accepted value), neither accepts.
       */
      readonly reason: 'awaiting-readmission' | 'catching-up' | 'joining' | 'spare';
      readonly promises: boolean;
    };

export interface StandingInput {
  readonly id: NodeId;
  /** The data dir's incarnation: 1 for the acceptor created with it, more after a disk loss. */
  readonly incarnation: number;
  readonly history: ConfigurationHistory;
  /** The first slot this node's learner has not applied. */
  readonly firstUnapplied: Slot;
}

/**
 * The voting rule. A node that lost its state votes only as the incarnation a decided in-place
 * replace names, and only from that change's slot — Paxos Made Live §5.1: an acceptor that forgot
 * its promises must not answer as if it had made none. A node with its state intact votes while
 * the configuration of the first slot it has not applied names it: a new acceptor catches up
 * before it votes (Raft thesis §4.2.1), since every slot it could be asked to accept lies at or
 * beyond its change's slot + α, and it has applied everything before that. Until then it still
 * promises: a candidate whose window reaches the new configuration needs its promise before any
 * leader can decide the slots it is catching up on (docs/PAXOS.md, "Catching up before voting").
 */
export function acceptorStanding(input: StandingInput): AcceptorStanding {
  const { id, incarnation, history, firstUnapplied } = input;
  if (incarnation > 1) {
    const admission = history.admissionOf(id);
    if (admission === undefined || admission.incarnation !== incarnation) {
      return { votes: false, reason: 'awaiting-readmission', promises: false };
    }
    if (firstUnapplied < admission.fromSlot) {
      return { votes: false, reason: 'catching-up', promises: false };
    }
    return { votes: true, fromSlot: admission.fromSlot };
  }
  if (history.configurationFor(firstUnapplied).acceptors.includes(id)) {
    return { votes: true, fromSlot: 0 };
  }
  const joining = history.latest.acceptors.includes(id);
  return { votes: false, reason: joining ? 'joining' : 'spare', promises: true };
}

/** Whether the standing answers a Prepare or a PreVote (a voter always does). */
export function promises(standing: AcceptorStanding): boolean {
  return standing.votes || standing.promises;
}

/** The standing as one word, for status and logs. */
export function describeStanding(standing: AcceptorStanding): string {
  return standing.votes ? 'voting' : standing.reason;
}

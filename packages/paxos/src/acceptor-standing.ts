import type { ConfigurationHistory } from './membership';
import type { NodeId, Slot } from './types';

/**
 * Whether this node's acceptor may vote (answer Prepare and Accept), and from which slot on
 * (docs/PAXOS.md, "Joining and re-admission"). An acceptor that may vote from slot F answers
 * nothing for a slot below F and reports every slot below F as truncated in its Promise: those
 * slots are decided (it has applied them), and what it accepted there, if anything, is not known.
 */
export type AcceptorStanding =
  | { readonly votes: true; readonly fromSlot: Slot }
  | {
      readonly votes: false;
      /**
       * awaiting-readmission: its state was lost (a new incarnation) and no decided in-place
       * replace names this incarnation yet; catching-up: a configuration names it, but its learner
       * has not applied every slot before the one it takes effect at; spare: no configuration
       * decided so far names it.
       */
      readonly reason: 'awaiting-readmission' | 'catching-up' | 'spare';
    };

export interface StandingInput {
  readonly id: NodeId;
  /** The data dir's incarnation: 1 for the acceptor created with it, more after a disk loss. */
  readonly incarnation: number;
  /** In the cluster's first configuration (the cluster file's acceptors). */
  readonly founding: boolean;
  /** This acceptor has promised or accepted something: it was admitted once, state intact. */
  readonly votedBefore: boolean;
  readonly history: ConfigurationHistory;
  /** The first slot this node's learner has not applied. */
  readonly firstUnapplied: Slot;
}

/**
 * The voting rule. A node with its state intact votes if it founded the cluster or voted before;
 * a spare votes once it has caught up to a configuration that names it (a new acceptor is not
 * counted before it holds the log up to the slot it joins at); a node that lost its state votes
 * only as the incarnation a decided in-place replace names, and only from that change's slot —
 * Paxos Made Live §5.1: an acceptor that forgot its promises must not answer as if it had made none.
 */
export function acceptorStanding(input: StandingInput): AcceptorStanding {
  const { id, incarnation, founding, votedBefore, history, firstUnapplied } = input;
  if (incarnation > 1) {
    const admission = history.admissionOf(id);
    if (admission === undefined || admission.incarnation !== incarnation) {
      return { votes: false, reason: 'awaiting-readmission' };
    }
    if (firstUnapplied < admission.fromSlot) return { votes: false, reason: 'catching-up' };
    return { votes: true, fromSlot: admission.fromSlot };
  }
  if (founding || votedBefore) return { votes: true, fromSlot: 0 };
  if (history.configurationFor(firstUnapplied).acceptors.includes(id)) {
    return { votes: true, fromSlot: 0 };
  }
  return { votes: false, reason: history.latest.acceptors.includes(id) ? 'catching-up' : 'spare' };
}

/** The standing as one word, for status and logs. */
export function describeStanding(standing: AcceptorStanding): string {
  return standing.votes ? 'voting' : standing.reason;
}

import type { NodeId } from './types';

/**
 * A ballot number: totally ordered by round, then by proposer id.
 * Paxos Made Simple §2.2: proposals are numbered from disjoint sets, one per proposer, so no two
 * proposers ever issue the same number; the (round, proposerId) pair gives that for free.
 */
export interface Ballot {
  readonly round: number;
  readonly proposerId: NodeId;
}

/** The ballot below every real ballot: what a fresh acceptor has promised. */
export const ballotZero: Ballot = Object.freeze({ round: 0, proposerId: '' });

/** Negative when a < b, zero when equal, positive when a > b. */
export function compareBallots(a: Ballot, b: Ballot): number {
  if (a.round !== b.round) return a.round - b.round;
  if (a.proposerId === b.proposerId) return 0;
  return a.proposerId < b.proposerId ? -1 : 1;
}

export function ballotToString(ballot: Ballot): string {
  return `${ballot.round}.${ballot.proposerId}`;
}

export function maxBallot(a: Ballot, b: Ballot): Ballot {
  return compareBallots(a, b) >= 0 ? a : b;
}

/**
 * Planted bugs: deliberate violations of a Paxos rule, selectable by name, so the simulator's
 * checkers can be shown to fail (a checker that never fails proves nothing). A normal config has
 * none: `plantedBug` defaults to undefined and the CLI only sets it from `--bug`.
 */
export const plantedBugs = {
  /** Paxos Made Simple §2.2 (P1a): the acceptor's promise is not written to disk. */
  'acceptor-forgets-promise': 'the acceptor does not persist its promise',
  /** Paxos Made Simple §2.2 (P2c): phase 2 proposes its own value, not the highest accepted one. */
  'proposer-ignores-accepted': 'the leader ignores values reported in promises',
  /** Paxos Made Simple §2.3: a value is chosen only once a quorum accepted it. */
  'commit-without-quorum': 'the leader decides after q2 - 1 acceptances',
  /** Paxos Made Simple §2.2 (P1a): an acceptor must refuse a ballot below its promise. */
  'acceptor-accepts-lower-ballot': 'the acceptor accepts values from ballots below its promise',
  /** Paxos Made Moderately Complex §3: a replica applies each command once. */
  'learner-skips-dedup': 'the learner applies a retried command again',
  /** A proposer without durable state must never lead twice with one ballot (Acceptor.handlePrepare). */
  'acceptor-repromises-equal-ballot': 'the acceptor grants a prepare equal to its promise again',
  /** A commit notice names the ballot the slot was chosen in; another ballot's value may have lost. */
  'learner-ignores-notice-ballot': 'the learner applies whatever its acceptor accepted in a slot',
  /** A Promise in parts counts only once every part arrived: each reports other slots. */
  'proposer-counts-first-part': 'the candidate counts a promise sent in parts on its first part',
  /** Raft §9.6: an acceptor that hears a live leader promises no other proposer (leader-lease.ts). */
  'acceptor-ignores-lease': 'the acceptor promises a candidate while it still hears its leader',
  /**
   * Paxos Made Live §5.1: an acceptor that lost its disk must not vote as if it had promised and
   * accepted nothing (the simulator's disk-loss fault; the storage package refuses to start).
   */
  'acceptor-votes-after-wipe':
    'an acceptor whose disk was wiped restarts and votes with empty state',
  /**
   * Lamport, "Reconfiguring a State Machine": a reconfiguration decided in slot i holds from
   * slot i + α, when every proposer knows it; switching at once counts slots in flight wrongly.
   */
  'config-at-decide-time': 'a reconfiguration takes effect in the slot after it is decided',
} as const;

export type PlantedBug = keyof typeof plantedBugs;

export function isPlantedBug(name: string): name is PlantedBug {
  return Object.prototype.hasOwnProperty.call(plantedBugs, name);
}

import { compareBallots } from '../ballot';
import type { PaxosNode } from '../node';
import type { NodeId } from '../types';
import type { Checkers } from './checkers';

/** What the probe needs from a simulation whose faults have healed and whose commands are decided. */
export interface StickinessHost {
  /** The proposers of the cluster, leader or not. */
  readonly proposerIds: readonly NodeId[];
  readonly electionTimeoutTicks: number;
  /** Every node, undefined while crashed. */
  nodes(): readonly (PaxosNode | undefined)[];
  /**
   * Restarts a proposer from its (empty) disk, cuts the link from the leader to it (its heartbeats
   * do not reach the restarted node yet), and has it campaign at once.
   */
  restartDeafAndCampaign(id: NodeId, leader: NodeId): void;
  /** Restores every link. */
  heal(): void;
  tick(): void;
  /** Leader elections so far (every became-leader event). */
  leaderChanges(): number;
}

/**
 * Stable leadership (Raft §9.6; docs/LIMITS.md, "Election timing"): on a healed cluster whose
 * leader every acceptor hears, a standby restarts, campaigns at once and does not hear the leader
 * (a restarted central whose link from the leader is not up yet: the worst case of it) — and the
 * leader must keep leading. The acceptors' leases (leader-lease.ts) refuse the standby's higher ballot; without them its Prepare
 * wins, and the leader is deposed for nothing. Clusters with one proposer have no standby: the
 * probe is then not exercised.
 */
export function probeStickyLeader(host: StickinessHost, checkers: Checkers): void {
  const { electionTimeoutTicks } = host;
  const leader = settledLeader(host);
  const standby = host.proposerIds.find((id) => id !== leader);
  if (leader === undefined || standby === undefined) return;
  const changesBefore = host.leaderChanges();
  host.restartDeafAndCampaign(standby, leader);
  // Its first campaign learns the promised ballot from the nacks; the next ones, an election
  // timeout later without a heartbeat, go above it: the campaigns that depose a leader.
  for (let tick = 0; tick < 5 * electionTimeoutTicks; tick += 1) host.tick();
  host.heal();
  checkers.checkStickyLeader(leader, leaderId(host), host.leaderChanges() - changesBefore, standby);
}

/** The running node that leads with the highest ballot (a deposed one may not know it yet). */
function leaderId(host: StickinessHost): NodeId | undefined {
  let best: PaxosNode | undefined;
  for (const node of host.nodes()) {
    if (!node?.isLeader()) continue;
    const ballot = node.status().ballot;
    const bestBallot = best?.status().ballot;
    if (ballot && (!bestBallot || compareBallots(ballot, bestBallot) > 0)) best = node;
  }
  return best?.id;
}

/**
 * Waits, within a bound, for a stable leader: one that kept leading with no election anywhere for
 * two election timeouts (every acceptor hears it, every lease is live, no duel is left). Undefined
 * if none settles: the probe is then not exercised, since it tests stability, not elections.
 */
function settledLeader(host: StickinessHost): NodeId | undefined {
  const quietTicks = 2 * host.electionTimeoutTicks;
  let leader = leaderId(host);
  let changes = host.leaderChanges();
  let quiet = 0;
  for (let tick = 0; tick < 20 * host.electionTimeoutTicks && quiet < quietTicks; tick += 1) {
    host.tick();
    const now = leaderId(host);
    if (now === undefined || now !== leader || host.leaderChanges() !== changes) {
      leader = now;
      changes = host.leaderChanges();
      quiet = 0;
    } else {
      quiet += 1;
    }
  }
  return quiet >= quietTicks ? leader : undefined;
}

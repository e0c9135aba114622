import {
  applyReconfiguration,
  reconfigurationCommand,
  type Configuration,
  type Reconfiguration,
} from '../membership';
import { pick, type Random } from '../prng';
import type { Command, NodeId } from '../types';

/** Acceptors in a configuration the operator aims for: the swarm's own range (3 to 7). */
const acceptorsMin = 3;
const acceptorsMax = 7;

/**
 * The membership fault: an operator who adds an acceptor, removes one, or replaces one (a dead one
 * first) while the cluster runs, through the log like any command (docs/PAXOS.md, "Membership
 * change"). Like a careful operator, it never asks for a configuration whose live acceptors could
 * not form both quorums — that would only stop the cluster, which no protocol can prevent.
 */
export class MembershipOperator {
  private seq = 0;

  constructor(
    private readonly random: Random,
    /** Every node that could vote: the first acceptors and the spares. */
    private readonly candidates: readonly NodeId[],
  ) {}

  /** The next reconfiguration command, or undefined when no change would leave the cluster live. */
  next(latest: Configuration, down: (id: NodeId) => boolean): Command | undefined {
    const change = this.draw(latest, down);
    if (change === undefined) return undefined;
    const outcome = applyReconfiguration(latest, change);
    if (!outcome.ok || !liveEnough(outcome.configuration, down)) return undefined;
    this.seq += 1;
    return reconfigurationCommand('operator', this.seq, change);
  }

  private draw(latest: Configuration, down: (id: NodeId) => boolean): Reconfiguration | undefined {
    const outside = this.candidates.filter((id) => !latest.acceptors.includes(id) && !down(id));
    const dead = latest.acceptors.filter(down);
    const kind = pick(this.random, ['replace', 'replace', 'add', 'remove'] as const);
    const size = latest.acceptors.length;
    if (kind === 'add' && size < acceptorsMax && outside.length > 0) {
      return { kind, acceptor: pick(this.random, outside) };
    }
    if (kind === 'remove' && size > acceptorsMin) {
      return { kind, acceptor: pick(this.random, dead.length > 0 ? dead : latest.acceptors) };
    }
    if (kind === 'replace' && outside.length > 0) {
      const acceptor = pick(this.random, dead.length > 0 ? dead : latest.acceptors);
      return { kind, acceptor, by: pick(this.random, outside) };
    }
    return undefined;
  }
}

/** Whether the acceptors that are not down for good can form both quorums of `configuration`. */
export function liveEnough(configuration: Configuration, down: (id: NodeId) => boolean): boolean {
  const live = configuration.acceptors.filter((id) => !down(id)).length;
  return live >= Math.max(configuration.phase1Quorum, configuration.phase2Quorum);
}

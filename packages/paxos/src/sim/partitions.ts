import { pick, randomInt, type Random } from '../prng';
import type { NodeId } from '../types';

/** Half of the partitions cut the leader off: they reach the most interesting states. */
const partitionKinds = [
  'symmetric',
  'one-way',
  'bridge',
  'mute-leader',
  'mute-leader-one-way',
  'mute-leader-one-way',
] as const;

export interface Partition {
  /** Directed links that drop everything: "from>to". */
  readonly blocked: readonly string[];
  /** One line for the trace. */
  readonly description: string;
}

/**
 * Jepsen's nemeses: a symmetric split, a one-way split (one side's messages are lost, the
 * other's arrive), a bridge (two sides that cannot talk, and one node that talks to both — the
 * non-transitive partition that fools naive leader checks), and the leader cut off with a
 * minority of the acceptors, both ways or only outbound (see leaderMinority). A share of
 * `muteLeaderOneWayShare` is the last kind for certain (the stale-minority profile, swarm.ts).
 * Undefined when the drawn split leaves one side empty.
 */
export function drawPartition(
  random: Random,
  ids: readonly NodeId[],
  acceptorIds: readonly NodeId[],
  latestLeader: NodeId | undefined,
  muteLeaderOneWayShare = 0,
): Partition | undefined {
  // No draw when the share is 0: a seed without it partitions as it always did.
  const kind =
    muteLeaderOneWayShare > 0 && random() < muteLeaderOneWayShare
      ? 'mute-leader-one-way'
      : pick(random, partitionKinds);
  const side = kind.startsWith('mute-leader')
    ? leaderMinority(random, acceptorIds, latestLeader)
    : ids.filter(() => random() < 0.5);
  if (side.length === 0 || side.length === ids.length) return undefined;
  let other = ids.filter((id) => !side.includes(id));
  let bridge: NodeId | undefined;
  if (kind === 'bridge' && other.length > 1) {
    bridge = other[randomInt(random, 0, other.length - 1)];
    other = other.filter((id) => id !== bridge);
  }
  const blocked: string[] = [];
  for (const a of side) {
    for (const b of other) {
      blocked.push(`${a}>${b}`);
      if (kind !== 'one-way' && kind !== 'mute-leader-one-way') blocked.push(`${b}>${a}`);
    }
  }
  return {
    blocked,
    description: `partition ${kind} {${side.join(',')}} | {${other.join(',')}}${bridge ? ` bridged by ${bridge}` : ''}`,
  };
}

/**
 * Jepsen's "isolate the primary": the leader with a minority of the acceptors. It goes on
 * proposing to them while the majority side elects another leader, so the minority holds values
 * of the old ballot in slots the new one decides otherwise. One-way (the minority hears the
 * majority but is not heard), the new leader's Accepts and commit notices still reach them.
 */
function leaderMinority(
  random: Random,
  acceptorIds: readonly NodeId[],
  latestLeader: NodeId | undefined,
): NodeId[] {
  if (latestLeader === undefined) return [];
  // At least one acceptor: a leader alone holds no values another leader could contradict.
  const size = randomInt(random, 1, Math.max(1, Math.ceil(acceptorIds.length / 2) - 1));
  const minority = [...acceptorIds];
  while (minority.length > size) minority.splice(randomInt(random, 0, minority.length - 1), 1);
  return [latestLeader, ...minority];
}

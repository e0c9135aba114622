/**
 * The cluster file's `acceptors` (docs/CLUSTER.md, "Acceptors and learners"): which charge points
 * vote. A plain list of node ids, so a configuration change decided later (membership) starts from
 * the same shape. The rest of the charge points are learners: a full replica, the same EVSE.
 */
import type { NodeId } from '@evpaxos/paxos';
import type { ClusterMember } from './config';
import { ACCEPTORS_ALL_MAX, ACCEPTORS_DEFAULT_LARGE } from './constants';

/**
 * The default acceptors of a cluster file that lists none (docs/CLUSTER.md, "Acceptors and
 * learners"): every charge point while there are at most ACCEPTORS_ALL_MAX, beyond that the first
 * ACCEPTORS_DEFAULT_LARGE. More voters do not make a large site safer, only slower: every accept
 * waits for a majority of them, and a majority of 5 already survives 2 failures.
 */
export function defaultAcceptors(nodes: readonly Pick<ClusterMember, 'id' | 'role'>[]): NodeId[] {
  const chargePoints = nodes.filter((node) => node.role === 'charge-point').map((node) => node.id);
  return chargePoints.length <= ACCEPTORS_ALL_MAX
    ? chargePoints
    : chargePoints.slice(0, ACCEPTORS_DEFAULT_LARGE);
}

/** The acceptors the file lists (each a charge point of it, once), or the default. */
export function checkAcceptors(
  nodes: readonly ClusterMember[],
  listed: readonly NodeId[] | undefined,
  problems: string[],
): NodeId[] {
  if (listed === undefined) return defaultAcceptors(nodes);
  for (const id of listed) {
    const node = nodes.find((candidate) => candidate.id === id);
    if (node === undefined) {
      problems.push(`The acceptor "${id}" is not in the cluster's node list.`);
    } else if (node.role !== 'charge-point') {
      problems.push(`The acceptor "${id}" is a ${node.role}: only charge points vote.`);
    }
  }
  if (listed.length === 0) problems.push('The acceptor list is empty.');
  return [...listed];
}

/** `acceptors`: a list of node ids, or a comma-separated string of them (flag and env). */
export function readAcceptors(value: unknown, problems: string[]): NodeId[] | undefined {
  if (value === undefined) return undefined;
  const list =
    typeof value === 'string'
      ? value
          .split(',')
          .map((id) => id.trim())
          .filter(Boolean)
      : value;
  if (!Array.isArray(list) || !list.every((id) => typeof id === 'string' && id !== '')) {
    problems.push('acceptors must be a list of charge point ids, e.g. ["cp1", "cp2", "cp3"].');
    return undefined;
  }
  return list as NodeId[];
}

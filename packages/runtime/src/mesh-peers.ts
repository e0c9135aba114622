import type { NodeId } from '@evpaxos/paxos';
import type { ProcessConfig } from './config';

/**
 * Whom a node's transport links to (docs/PROTOCOL-WIRE.md, "Links on demand"): every other member
 * by its cluster address, and which of them it dials only once it has something to send. Paxos
 * runs between the centrals and every node — a central proposes to the acceptors, decides to
 * everyone, and each answers the central that asked — so a charge point dials the centrals at
 * start and another charge point only for a catch-up request it sends it. Pinging the links that
 * carry nothing else was most of an idle site's CPU: a site of 31 charge points kept 1,056
 * connections, each pinged every second, where 126 carry its Paxos traffic (docs/BENCHMARKS.md,
 * "Issue 21: the 31 site, sixth session").
 */
export function meshPeers(config: ProcessConfig): {
  peers: Record<NodeId, string>;
  dialOnDemand: NodeId[];
} {
  const others = config.nodes.filter((member) => member.id !== config.id);
  return {
    peers: Object.fromEntries(
      others.map((member) => [member.id, `ws://${member.host}:${member.clusterPort}`]),
    ),
    dialOnDemand:
      config.role === 'charge-point'
        ? others.filter((member) => member.role === 'charge-point').map((member) => member.id)
        : [],
  };
}

/**
 * POST /membership (docs/CLUSTER.md, "Membership"): an operator's change of the acceptor set,
 * checked at the leader against the configuration it knows and the peers it reaches, then decided
 * through the log like any command (docs/PAXOS.md, "Membership change"). The answer names the slot
 * it was decided in and the slot it takes effect at.
 */
import {
  applyReconfiguration,
  reconfigurationOf,
  reconfigurationPayloadType,
  type Reconfiguration,
} from '@evpaxos/paxos';
import { InvalidRequest, httpAnswer, readSubmit } from './client-requests';
import type { ClusterNode } from './cluster-node';

/** The change in a POST /membership body, or InvalidRequest saying what is wrong with it. */
export function readMembershipChange(body: unknown): {
  change: Reconfiguration;
  client: { clientId: string; seq: number } | undefined;
} {
  const { payload, client } = readSubmit({
    ...(typeof body === 'object' && body !== null ? body : {}),
    payload: { type: reconfigurationPayloadType, change: (body as { change?: unknown })?.change },
  });
  const change = reconfigurationOf({ clientId: '', seq: 0, payload });
  if (change === undefined) {
    throw new InvalidRequest(
      'The body needs "change": {"kind":"add"|"remove","acceptor":ID} or ' +
        '{"kind":"replace","acceptor":ID,"by":ID[,"incarnation":N]}.',
    );
  }
  return { change, client };
}

/**
 * Why the leader refuses `change` before proposing it: one sentence per problem. Decided changes
 * are checked again when applied (two operators may race); these checks are about what the
 * operator can still fix: a node that is not there, a set that would lose its quorum.
 */
export function membershipProblems(node: ClusterNode, change: Reconfiguration): string[] {
  const problems: string[] = [];
  const named = change.kind === 'replace' ? [change.acceptor, change.by] : [change.acceptor];
  for (const id of new Set(named)) {
    const member = node.config.nodes.find((candidate) => candidate.id === id);
    if (member === undefined) {
      problems.push(
        `"${id}" is not a node of the cluster file: list it there first (evpaxos cluster up --spares N reserves some).`,
      );
    } else if (member.role !== 'charge-point') {
      problems.push(`"${id}" is a ${member.role}: only charge points vote.`);
    }
  }
  if (problems.length > 0) return problems;
  const status = node.status();
  const latest = status.paxos.nextConfiguration ?? status.paxos.configuration;
  const outcome = applyReconfiguration(latest, change);
  if (!outcome.ok) return [...outcome.problems];
  const connected = new Set(
    status.peers.filter((peer) => peer.state === 'connected').map((peer) => peer.id),
  );
  const joining =
    change.kind === 'add' ? change.acceptor : change.kind === 'replace' ? change.by : undefined;
  if (joining !== undefined && !connected.has(joining)) {
    problems.push(
      `"${joining}" is not connected to the leader: start it first (evpaxos cluster add-node ${joining}), then try again.`,
    );
  }
  const { acceptors, phase1Quorum, phase2Quorum } = outcome.configuration;
  const reachable = acceptors.filter((id) => connected.has(id)).length;
  const quorum = Math.max(phase1Quorum, phase2Quorum);
  if (reachable < quorum) {
    problems.push(
      `The new set (${acceptors.join(', ')}) would have ${reachable} acceptors the leader reaches, ` +
        `fewer than its quorum of ${quorum}: no command could commit.`,
    );
  }
  return problems;
}

/** Handles POST /membership at a central: [HTTP status, body]. */
export async function membershipAnswer(
  node: ClusterNode,
  body: unknown,
): Promise<[number, unknown]> {
  const { change, client } = readMembershipChange(body);
  if (!node.isLeader) {
    return httpAnswer({ ok: false, code: 'not-leader', leaderId: node.leaderId }, node);
  }
  const problems = membershipProblems(node, change);
  if (problems.length > 0) {
    node.logger.warn('membership: refused', { change, problems });
    return [409, { error: 'membership-refused', problems }];
  }
  const payload = { type: reconfigurationPayloadType, change };
  const outcome = await node.submit(payload, client, { validated: false });
  const [status, answer] = httpAnswer(outcome, node);
  if (!outcome.ok) return [status, answer];
  const result = outcome.result as { ok?: boolean; problems?: string[] } | null;
  if (result?.ok === false) {
    // Decided but void: the configuration changed between the check and the decision.
    return [409, { error: 'membership-refused', problems: result.problems, slot: outcome.slot }];
  }
  return [status, answer];
}

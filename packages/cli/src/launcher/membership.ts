/**
 * `evpaxos member add|remove|replace` and `evpaxos cluster add-node` for a local cluster
 * (docs/CLUSTER.md, "Membership"): the change goes to the leader's POST /membership, which checks
 * it and decides it through the log; a spare node of the cluster file is started like any node.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Reconfiguration } from '@evpaxos/paxos';
import { isNodeAlive } from '@evpaxos/runtime';
import { POLL_INTERVAL_MS, clusterDefaults } from './cluster-defaults';
import type { ClusterHandle } from './cluster-handle';
import { LauncherError } from './errors';
import { httpJson } from './http-client';
import { findNode, startProcess, writeProcesses } from './process-table';

export interface MembershipResult {
  /** The slot the change was decided in. */
  readonly slot: number;
  /** The first slot the new configuration decides (slot + α). */
  readonly effectiveSlot: number;
  readonly configuration: {
    readonly acceptors: readonly string[];
    readonly phase1Quorum: number;
    readonly phase2Quorum: number;
  };
  /** The central that decided it. */
  readonly nodeId: string;
}

/**
 * Sends `change` to the leader and resolves once it is decided. A refusal (unknown node, a set
 * without a live quorum, a duplicate) is a `membership-refused` LauncherError with every reason.
 */
export async function changeMembership(
  cluster: ClusterHandle,
  change: Reconfiguration,
  timeoutMs = 30_000,
): Promise<MembershipResult> {
  const deadline = Date.now() + timeoutMs;
  // One (clientId, seq) for every attempt: a change retried at a new leader is applied once.
  const client = { clientId: `member-${process.pid}-${Date.now()}`, seq: 1 };
  let lastProblem = 'no leader answered';
  while (Date.now() < deadline) {
    const { leaderId } = await cluster.waitForLeader(Math.max(1, deadline - Date.now()));
    let reply;
    try {
      reply = await httpJson(
        `${cluster.url(leaderId)}/membership`,
        'POST',
        { change, ...client },
        Math.max(1, deadline - Date.now()),
        cluster.apiToken,
      );
    } catch (error) {
      lastProblem = `${leaderId}: ${(error as Error).message}`;
      await sleep(POLL_INTERVAL_MS * 4);
      continue;
    }
    const body = (reply.body ?? {}) as Record<string, unknown>;
    if (reply.status === 200) {
      const result = body.result as Omit<MembershipResult, 'slot' | 'nodeId'>;
      return { ...result, slot: body.slot as number, nodeId: leaderId };
    }
    if (reply.status === 409) {
      const problems = Array.isArray(body.problems) ? body.problems.map(String) : [];
      throw new LauncherError('membership-refused', `refused: ${problems.join(' ')}`);
    }
    if (reply.status === 400) {
      throw new LauncherError('invalid-option', String(body.reason ?? body.error));
    }
    if (reply.status === 401 || reply.status === 403 || reply.status === 415) {
      throw new LauncherError('unauthorized', `${leaderId} refused the request (${reply.status}).`);
    }
    lastProblem = `${leaderId}: ${reply.status} ${String(body.error ?? '')}`;
    await sleep(POLL_INTERVAL_MS * 4);
  }
  throw new LauncherError(
    'submit-timeout',
    `The membership change was not decided within ${timeoutMs} ms: ${lastProblem}.`,
  );
}

/**
 * The change that re-admits `id` in place after it lost its state: its new incarnation, read from
 * its own /status, so only the node as it runs now may vote (docs/PAXOS.md, "Joining and
 * re-admission").
 */
export async function readmissionOf(
  cluster: ClusterHandle,
  id: string,
  timeoutMs = 10_000,
): Promise<Reconfiguration> {
  const table = cluster.table();
  if (!table.nodes.some((node) => node.id === id)) {
    throw new LauncherError('membership-refused', `refused: "${id}" is not a node of the cluster.`);
  }
  // A node catching up on a loaded host may miss one status deadline: ask again until timeoutMs.
  const deadline = Date.now() + timeoutMs;
  let status;
  while (status === undefined) {
    status = await cluster.nodeStatus(id).catch(() => undefined);
    if (status !== undefined) break;
    if (Date.now() >= deadline) {
      throw new LauncherError(
        'membership-refused',
        `refused: ${id} does not answer: start it again (evpaxos restart ${id}) so it runs as a new incarnation, then re-admit it.`,
      );
    }
    await sleep(POLL_INTERVAL_MS * 8);
  }
  if (status.paxos.standing !== 'awaiting-readmission') {
    throw new LauncherError(
      'membership-refused',
      `refused: ${id} has not lost its state (it is ${status.paxos.standing}): replace it by another node with --with, or remove it.`,
    );
  }
  return { kind: 'replace', acceptor: id, by: id, incarnation: status.paxos.incarnation };
}

/**
 * Starts a node of the cluster file that is not running — a spare that `cluster up --spares N`
 * listed, or one that stopped — and resolves once it answers /status. It joins as a learner;
 * `evpaxos member add` makes it vote.
 */
export async function addNode(
  cluster: ClusterHandle,
  id: string,
  timeoutMs = clusterDefaults.readyTimeoutMs,
): Promise<void> {
  const table = cluster.table();
  if (!table.nodes.some((candidate) => candidate.id === id)) {
    // The running nodes dial only the peers their cluster file listed when they started, and the
    // site's charge-point limit counts them (docs/CLUSTER.md, "Membership"): a node outside it
    // would be unreachable and void in every decided change.
    const idle = table.nodes.filter((n) => n.role === 'charge-point' && !isNodeAlive(n.pid, n.id));
    throw new LauncherError(
      'unknown-node',
      `${id} is not in cluster.json, and the running nodes know only the nodes it listed when they started: ` +
        (idle.length > 0
          ? `start a listed charge point that is not running instead (${idle.map((n) => n.id).join(', ')}).`
          : 'list spares when the site starts (evpaxos cluster up --spares N).'),
    );
  }
  const node = findNode(table, id);
  if (node.role !== 'charge-point') {
    throw new LauncherError(
      'invalid-option',
      `${id} is a ${node.role}: add-node starts charge points.`,
    );
  }
  if (isNodeAlive(node.pid, node.id)) {
    throw new LauncherError('membership-refused', `${id} is already running (pid ${node.pid}).`);
  }
  node.pid = startProcess(node);
  node.paused = false;
  writeProcesses(table);
  await cluster.waitForNodes([id], Date.now() + timeoutMs);
  await waitUntilLeaderReaches(cluster, id, timeoutMs);
}

/**
 * Resolves once the leader's link to `id` is connected (a node just started is dialed with
 * backoff), so a membership change that follows is not refused for a node that is on its way.
 */
export async function waitUntilLeaderReaches(
  cluster: ClusterHandle,
  id: string,
  timeoutMs = clusterDefaults.readyTimeoutMs,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { leaderId } = await cluster.waitForLeader(Math.max(1, deadline - Date.now()));
    const status = await cluster.nodeStatus(leaderId).catch(() => undefined);
    if (status?.peers.some((peer) => peer.id === id && peer.state === 'connected')) return;
    if (Date.now() >= deadline) {
      throw new LauncherError('not-ready', `The leader ${leaderId} does not reach ${id} yet.`);
    }
    await sleep(POLL_INTERVAL_MS * 4);
  }
}

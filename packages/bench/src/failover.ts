import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterHandle } from '@evpaxos/cli';
import {
  describeBreakdown,
  failoverBreakdown,
  standbyLagSlots,
  standbyLogExcerpt,
  traceCentrals,
} from './failover-breakdown';
import { nowMs } from './latency';
import { ConnectionLost, PaxosClient } from './paxos-client';

/**
 * A sequential client that keeps committing across a leader crash, as a real client would: on a
 * lost connection or a not-leader answer it retries the same (clientId, seq) at the leader it was
 * told of, or the next central. Records when each command was acknowledged.
 */
class Committer {
  private stopped = false;
  private seq = 0;
  private target = 0;
  private client: PaxosClient | null = null;
  /** When each command was acknowledged, and by which central. */
  readonly commits: { readonly atMs: number; readonly wallMs: number; readonly by: string }[] = [];
  private answeredBy = '';
  private readonly clientId = `failover-${process.pid}-${Date.now().toString(36)}`;

  constructor(
    private readonly centralIds: readonly string[],
    private readonly urlOf: (id: string) => string,
    private readonly apiToken: string | undefined,
  ) {}

  async run(): Promise<void> {
    while (!this.stopped) {
      this.seq += 1;
      while (!this.stopped && !(await this.tryOnce())) await sleep(2);
      if (!this.stopped)
        this.commits.push({ atMs: nowMs(), wallMs: Date.now(), by: this.answeredBy });
    }
    this.client?.close();
  }

  stop(): void {
    this.stopped = true;
  }

  private async tryOnce(): Promise<boolean> {
    const id = this.centralIds[this.target % this.centralIds.length] as string;
    if (this.client === null || !this.client.isOpen) {
      try {
        this.client = await PaxosClient.connect(this.urlOf(id), 500, true, this.apiToken);
      } catch {
        this.client = null;
        this.target += 1;
        return false;
      }
    }
    // A site command (the central refuses anything else before proposing it, docs/CLUSTER.md).
    const probe = { type: 'Noop', atMs: 0, failover: this.seq };
    const reply = await this.client.submit(this.clientId, this.seq, probe);
    if (reply instanceof ConnectionLost) {
      this.client = null;
      this.target += 1;
      return false;
    }
    if (reply.type === 'result') {
      this.answeredBy = id;
      return true;
    }
    if (reply.code === 'not-leader' && reply.leaderId && reply.leaderId !== id) {
      const index = this.centralIds.indexOf(reply.leaderId);
      if (index >= 0) {
        this.client.close();
        this.client = null;
        this.target = index;
      }
    }
    return false;
  }
}

/** A trial slower than the site's failover target: the bench prints the standby's log lines. */
const slowTrialMs = 300;

/**
 * kill -9 the leader while a client commits, and measure the time from the kill to the next
 * acknowledged commit. The killed central is restarted (as a standby) before the next trial, and
 * the next trial starts once it has caught up: a failover is measured with a standby that is
 * ready, as a site's standby has long been (a standby still catching up must first learn what it
 * missed before it may lead; the bench logs how long the catch-up took).
 */
export async function measureFailover(
  cluster: ClusterHandle,
  trials: number,
  log: (line: string) => void,
  trace = false,
): Promise<number[]> {
  const results: number[] = [];
  for (let trial = 0; trial < trials; trial += 1) {
    const { killedId, failoverMs } = await killLeaderOnce(cluster, trial, log, trace);
    results.push(failoverMs);
    await cluster.restartNode(killedId);
    const caughtUpMs = await waitForCaughtUp(cluster, killedId);
    log(`failover trial ${trial + 1}: the restarted ${killedId} caught up in ${caughtUpMs} ms`);
  }
  return results;
}

/** One trial: the leader killed under a committing client; the time to its next commit, ms. */
async function killLeaderOnce(
  cluster: ClusterHandle,
  trial: number,
  log: (line: string) => void,
  trace: boolean,
): Promise<{ killedId: string; failoverMs: number }> {
  const centralIds = cluster.nodes.filter((n) => n.role === 'central').map((n) => n.id);
  const urlOf = (id: string) => {
    const node = cluster.node(id);
    return `ws://${node.host}:${node.httpPort}/client`;
  };
  const committer = new Committer(centralIds, urlOf, cluster.apiToken);
  const running = committer.run();
  // Kill the central that leads *and* answers our commits: right after a restart the cluster
  // may still be settling (the restarted central can campaign), and killing a central that is
  // not the one committing measures nothing.
  let leaderId = '';
  for (let attempt = 0; attempt < 30 && leaderId === ''; attempt += 1) {
    await sleep(300);
    const leader = (await cluster.waitForLeader(10_000)).leaderId;
    if (committer.commits.at(-1)?.by === leader) leaderId = leader;
  }
  if (leaderId === '') throw new Error('failover: the cluster did not settle on a leader');
  if (trace) await traceCentrals(cluster, centralIds);
  const others = centralIds.filter((id) => id !== leaderId);
  const lag = await standbyLagSlots(cluster, leaderId, others);
  const killedWallMs = Date.now();
  const killedAtMs = nowMs();
  await cluster.killNode(leaderId);
  // The next commit by another central: an answer the old leader wrote just before it died may
  // still arrive after the kill, and is not a failover.
  const isNext = (commit: { atMs: number; by: string }) =>
    commit.atMs > killedAtMs && commit.by !== leaderId;
  const deadline = Date.now() + 10_000;
  while (!committer.commits.some(isNext) && Date.now() < deadline) await sleep(5);
  committer.stop();
  await running;
  const next = committer.commits.find(isNext);
  if (next === undefined) return { killedId: leaderId, failoverMs: Number.NaN };
  const breakdown = await failoverBreakdown(cluster, leaderId, killedWallMs, next.wallMs);
  log(
    `failover trial ${trial + 1}: killed ${leaderId} (standbys ${lag.join('/')} slots behind); ${describeBreakdown(breakdown)}`,
  );
  if (breakdown.clientAckMs > slowTrialMs && breakdown.standbyId !== null) {
    const excerpt = standbyLogExcerpt(cluster, breakdown.standbyId, killedWallMs, next.wallMs);
    for (const line of excerpt) log(line);
  }
  return { killedId: leaderId, failoverMs: next.atMs - killedAtMs };
}

/**
 * Waits until the restarted central has applied every slot the leader had applied when it was
 * asked (no client commits between trials, so that point does not move); the time taken, ms.
 */
async function waitForCaughtUp(cluster: ClusterHandle, id: string): Promise<number> {
  const startedMs = Date.now();
  const { leaderId } = await cluster.waitForLeader(10_000);
  const target = (await cluster.nodeStatus(leaderId, 2_000)).paxos.appliedThrough;
  while (Date.now() - startedMs < 30_000) {
    const status = await cluster.nodeStatus(id, 2_000).catch(() => null);
    if (status !== null && status.paxos.appliedThrough >= target) return Date.now() - startedMs;
    await sleep(50);
  }
  throw new Error(`failover: the restarted ${id} did not catch up within 30 s`);
}

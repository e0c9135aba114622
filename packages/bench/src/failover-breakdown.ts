import * as fs from 'node:fs';
import type { ClusterHandle } from '@evpaxos/cli';
import { apiAuthHeaders, decidedSlotsOf } from '@evpaxos/runtime';

/**
 * Where one failover trial's time went, each step in ms after the kill (wall clock: the processes
 * of one machine share it), read from the processes' logs and the surviving centrals' message
 * traces (docs/CLUSTER.md, "Message trace"). null: the step was not seen.
 */
export interface FailoverBreakdown {
  /** The standby that took over (the first that logged became-leader after the kill). */
  readonly standbyId: string | null;
  /** The standby's transport reported its link to the killed leader down. */
  readonly standbyLinkDownMs: number | null;
  /** Each acceptor's link-down report, in the order seen; `of` is how many acceptors there are. */
  readonly acceptorLinkDownMs: readonly number[];
  readonly acceptors: number;
  /** The standby's first pre-vote after the kill, and how its acceptors answered. */
  readonly preVoteMs: number | null;
  readonly preVotes: number;
  readonly preVoteRefusals: number;
  /** Prepare sent (the pre-vote was granted by a quorum): Phase 1 starts. */
  readonly prepareMs: number | null;
  /** became-leader in the standby's log: Phase 1 done. */
  readonly leaderMs: number | null;
  /** The new leader's first slot applied at the standby (its "decided" record): its first commit. */
  readonly firstDecideMs: number | null;
  /** The client's acknowledgement (what the trial measures). */
  readonly clientAckMs: number;
  /** Phase 1's messages at the standby: Prepares sent, Promises and nacks received. */
  readonly prepares: number;
  readonly promises: number;
  readonly nacks: number;
}

/**
 * Slots the standby had still to apply when the leader was killed (what the leader had applied
 * less what the standby had): a standby that is catching up must finish before it leads.
 */
export async function standbyLagSlots(
  cluster: ClusterHandle,
  leaderId: string,
  standbyIds: readonly string[],
): Promise<number[]> {
  const leader = await cluster.nodeStatus(leaderId, 2_000).catch(() => null);
  return Promise.all(
    standbyIds.map(async (id) => {
      const status = await cluster.nodeStatus(id, 2_000).catch(() => null);
      if (leader === null || status === null) return Number.NaN;
      return leader.paxos.appliedThrough - status.paxos.appliedThrough;
    }),
  );
}

interface TraceEventView {
  readonly atMs: number;
  readonly dir: 'send' | 'recv';
  readonly type: string;
  readonly granted?: boolean;
}

/** Turns tracing on at every running central (a restarted one starts with it off). */
export async function traceCentrals(cluster: ClusterHandle, centralIds: readonly string[]) {
  await Promise.all(
    centralIds.map((id) =>
      fetch(`${cluster.url(id)}/trace`, {
        method: 'PUT',
        headers: { ...apiAuthHeaders(cluster.apiToken), 'content-type': 'application/json' },
        body: JSON.stringify({ on: true }),
        signal: AbortSignal.timeout(2_000),
      }).catch(() => undefined),
    ),
  );
}

async function readTrace(cluster: ClusterHandle, id: string): Promise<TraceEventView[]> {
  try {
    const response = await fetch(`${cluster.url(id)}/trace?after=0`, {
      signal: AbortSignal.timeout(2_000),
    });
    return ((await response.json()) as { events: TraceEventView[] }).events;
  } catch {
    return [];
  }
}

interface LogLine {
  readonly atMs: number;
  readonly message: string;
  readonly peer?: string;
  /** A decided slot's ballot's proposer: who led when the slot was chosen. */
  readonly ledBy?: string;
}

/** The JSON log lines of `file` written at or after `sinceMs`. */
function logLinesSince(file: string, sinceMs: number): LogLine[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const lines: LogLine[] = [];
  for (const raw of text.split('\n')) {
    if (!raw.startsWith('{')) continue;
    try {
      const line = JSON.parse(raw) as Record<string, unknown> & {
        timestamp?: string;
        message?: string;
        peer?: string;
      };
      const atMs = Date.parse(line.timestamp ?? '');
      if (line.message === 'decided') {
        // One line per second of applied slots, each with the time it was applied.
        for (const slot of decidedSlotsOf(line, atMs)) {
          const ledBy = slot.ballot?.proposerId;
          const slotAtMs = slot.atMs ?? atMs;
          if (slotAtMs >= sinceMs)
            lines.push({ atMs: slotAtMs, message: 'decided', ...(ledBy && { ledBy }) });
        }
      } else if (atMs >= sinceMs && line.message !== undefined) {
        lines.push({ atMs, message: line.message, ...(line.peer && { peer: line.peer }) });
      }
    } catch {
      // A line cut by the kill: not ours to read.
    }
  }
  return lines;
}

/** How long the standby's "decided" record of its first slot may take to be written, ms. */
const decidedRecordWaitMs = 2_500;

/**
 * When the standby applied its first slot of its own ballot after the kill. The client's ack came
 * after that, but the standby writes its "decided" record once a second (docs/CLUSTER.md, "The
 * decided record"): wait for it.
 */
async function firstDecidedAt(
  logFile: string,
  standbyId: string,
  sinceMs: number,
): Promise<number | undefined> {
  const deadline = Date.now() + decidedRecordWaitMs;
  for (;;) {
    const at = logLinesSince(logFile, sinceMs).find(
      (l) => l.message === 'decided' && l.ledBy === standbyId,
    )?.atMs;
    if (at !== undefined || Date.now() > deadline) return at;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Reads one trial's steps once the client has committed at the new leader. */
export async function failoverBreakdown(
  cluster: ClusterHandle,
  killedId: string,
  killedAtMs: number,
  clientAckAtMs: number,
): Promise<FailoverBreakdown> {
  const nodes = cluster.nodes;
  const since = (atMs: number | undefined) => (atMs === undefined ? null : atMs - killedAtMs);
  const linkDownAt = (file: string) =>
    logLinesSince(file, killedAtMs).find(
      (l) => l.message === 'transport: link down' && l.peer === killedId,
    )?.atMs;
  let standbyId: string | null = null;
  let leaderAtMs: number | undefined;
  for (const node of nodes.filter((n) => n.role === 'central' && n.id !== killedId)) {
    const at = logLinesSince(node.logFile, killedAtMs).find(
      (l) => l.message === 'became-leader',
    )?.atMs;
    if (at !== undefined && (leaderAtMs === undefined || at < leaderAtMs)) {
      standbyId = node.id;
      leaderAtMs = at;
    }
  }
  const standby = nodes.find((n) => n.id === standbyId);
  const firstDecideAtMs = standby
    ? await firstDecidedAt(standby.logFile, standby.id, killedAtMs)
    : undefined;
  const trace = standby ? await readTrace(cluster, standby.id) : [];
  const after = trace.filter((e) => e.atMs >= killedAtMs);
  const first = (dir: 'send' | 'recv', type: string) =>
    after.find((e) => e.dir === dir && e.type === type)?.atMs;
  const replies = after.filter((e) => e.dir === 'recv' && e.type === 'pre-vote-reply');
  const acceptorDowns = nodes
    .filter((n) => n.role === 'charge-point')
    .map((n) => linkDownAt(n.logFile))
    .filter((at): at is number => at !== undefined)
    .sort((a, b) => a - b)
    .map((at) => at - killedAtMs);
  return {
    standbyId,
    standbyLinkDownMs: standby ? since(linkDownAt(standby.logFile)) : null,
    acceptorLinkDownMs: acceptorDowns,
    acceptors: nodes.filter((n) => n.role === 'charge-point').length,
    preVoteMs: since(first('send', 'pre-vote')),
    preVotes: after.filter((e) => e.dir === 'send' && e.type === 'pre-vote').length,
    preVoteRefusals: replies.filter((e) => e.granted === false).length,
    prepareMs: since(first('send', 'prepare')),
    leaderMs: since(leaderAtMs),
    firstDecideMs: since(firstDecideAtMs),
    clientAckMs: clientAckAtMs - killedAtMs,
    prepares: after.filter((e) => e.dir === 'send' && e.type === 'prepare').length,
    promises: after.filter((e) => e.dir === 'recv' && e.type === 'promise').length,
    nacks: after.filter((e) => e.dir === 'recv' && e.type === 'nack').length,
  };
}

/**
 * The standby's own log lines from a second before the kill to the client's ack, at most
 * `linesMax`: what a slow trial's standby was doing (catching up, a snapshot, a stall warning).
 */
export function standbyLogExcerpt(
  cluster: ClusterHandle,
  standbyId: string,
  killedAtMs: number,
  untilMs: number,
  linesMax = 40,
): string[] {
  const node = cluster.nodes.find((n) => n.id === standbyId);
  if (node === undefined) return [];
  let text: string;
  try {
    text = fs.readFileSync(node.logFile, 'utf8');
  } catch {
    return [];
  }
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    const stamp = /"timestamp":"([^"]+)"/.exec(raw)?.[1];
    const atMs = stamp === undefined ? Number.NaN : Date.parse(stamp);
    if (raw.includes('"message":"trace"') || raw.includes('"message":"decided"')) continue;
    if (atMs >= killedAtMs - 1_000 && atMs <= untilMs) {
      lines.push(`  ${atMs - killedAtMs >= 0 ? '+' : ''}${atMs - killedAtMs} ${raw.slice(0, 300)}`);
    }
  }
  return lines.slice(-linesMax);
}

/** One line per trial for the bench's log (the pre-vote and Prepare only when traced). */
export function describeBreakdown(b: FailoverBreakdown): string {
  const ms = (value: number | null) => (value === null ? '-' : `+${Math.round(value)}`);
  const downs = b.acceptorLinkDownMs.map((v) => Math.round(v)).join('/');
  const traced =
    b.preVoteMs === null
      ? ''
      : `pre-vote ${ms(b.preVoteMs)} (${b.preVotes} sent, ${b.preVoteRefusals} refusals); ` +
        `prepare ${ms(b.prepareMs)} (${b.prepares} sent, ${b.promises} promises, ${b.nacks} nacks); `;
  return (
    `standby ${b.standbyId ?? '-'}: link down ${ms(b.standbyLinkDownMs)}, acceptors' ` +
    `[${downs}] (${b.acceptorLinkDownMs.length}/${b.acceptors}); ${traced}` +
    `leader ${ms(b.leaderMs)}; first decide ${ms(b.firstDecideMs)}; client ack ${ms(b.clientAckMs)}`
  );
}

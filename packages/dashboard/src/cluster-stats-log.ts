/**
 * The "cluster-stats" log line (docs/DASHBOARD.md), which `evpaxos report` reads: every node's
 * cumulative messages sent and syncs from its GET /stats, and this central's commit latency
 * histogram. Written while slots are applied, not on a fixed clock.
 */
import {
  tracedMessageTypes,
  type Logger,
  type RunningNode,
  type StatsView,
} from '@evpaxos/runtime';
import { DASHBOARD_LIMITS } from './constants';
import { getJson } from './get-json';

export class ClusterStatsLog {
  private timer: NodeJS.Timeout | undefined;
  /** Slots were applied since the last line (due). */
  private dirty = false;
  private closed = false;

  constructor(
    private readonly running: RunningNode,
    private readonly logger: Logger,
    private readonly nodes: () => Iterable<{ readonly id: string; readonly httpUrl: string }>,
  ) {}

  /**
   * Something was applied: a line now, if none is pending, and another statsLogIntervalMs later,
   * again each interval while slots keep being applied. An idle cluster writes none and asks no
   * node for /stats (one request per node per line: with the line every 5 s whatever happened,
   * ~20 % of an idle leader's CPU, docs/BENCHMARKS.md, "Issue 21: idle wake-ups, fifth session");
   * a burst of commits is bracketed by a line at its start and one after it, which is what
   * `evpaxos report` takes its rates between.
   */
  due(): void {
    this.dirty = true;
    if (this.timer !== undefined || this.closed) return;
    this.dirty = false;
    void this.write();
    const next = (): void => {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.dirty || this.closed) return;
        this.dirty = false;
        void this.write();
        next();
      }, DASHBOARD_LIMITS.statsLogIntervalMs);
    };
    next();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One line: every node's counts (a node that does not answer is left out) and the histogram. */
  private async write(): Promise<void> {
    if (this.closed) return;
    const nodes: Record<string, unknown> = {};
    await Promise.all(
      [...this.nodes()].map(async (node) => {
        const stats = await getJson<StatsView>(`${node.httpUrl}/stats`);
        if (stats.value === null) return;
        const sum = (counts: Record<string, number>) =>
          Object.values(counts).reduce((total, count) => total + count, 0);
        nodes[node.id] = {
          framesOut: sum(stats.value.transport.framesOutByKind),
          messagesOut: splitMessages(stats.value.transport.framesOutByKind),
          framesIn: sum(stats.value.transport.framesInByKind),
          syncs: stats.value.store?.syncCount ?? 0,
          appliedThrough: stats.value.appliedThrough,
        };
      }),
    );
    const { buckets, count, sumSeconds } = this.running.node.metrics.commitLatencySummary();
    this.logger.info('cluster-stats', {
      nodes,
      commitLatency: { buckets, count, sumSeconds },
    });
  }
}

/** Paxos Made Simple's phases and the commit, the messages a decision needs: the traced ones. */
const consensusTypes: ReadonlySet<string> = new Set(tracedMessageTypes);
/** The leader's liveness signal: sent every heartbeatTicks whatever the load (docs/PROTOCOL.md). */
const heartbeatTypes = new Set(['heartbeat', 'heartbeat-ack']);

/**
 * Messages sent, by what they are for (the report's messages per decision): consensus (the
 * phases), heartbeat (time-driven, so per decision it falls as the load rises) and other
 * (catch-up, handshakes).
 */
function splitMessages(byKind: Readonly<Record<string, number>>) {
  const split = { consensus: 0, heartbeat: 0, other: 0 };
  for (const [kind, count] of Object.entries(byKind)) {
    if (consensusTypes.has(kind)) split.consensus += count;
    else if (heartbeatTypes.has(kind)) split.heartbeat += count;
    else split.other += count;
  }
  return split;
}

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { NodeEvent } from '@evpaxos/paxos';
import type { StoreStats } from '@evpaxos/storage';
import type { PeerState, TransportStats } from '@evpaxos/transport';

/** What the metrics read on every scrape (GET /metrics): the node's own counters, never copied. */
export interface MetricsSources {
  readonly nodeId: string;
  readonly role: string;
  readonly transportStats: () => TransportStats;
  readonly storeStats: () => StoreStats | null;
  readonly peers: () => readonly { readonly state: PeerState }[];
  /** The proposer's ballot round (0 on a charge point) and the acceptor's promised round (0 on a central). */
  readonly ballotRound: () => number;
  readonly promisedRound: () => number;
  readonly appliedThrough: () => number;
}

/**
 * Commit latency buckets, seconds: from a loopback commit with fsync (~0.3 ms, docs/BENCHMARKS.md)
 * to the client call timeout (10 s, docs/CLUSTER.md).
 */
const commitLatencyBucketsSeconds = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * The Prometheus metrics of one node process, in a registry of its own (not prom-client's global
 * one: tests run several nodes in one process). Counters the node already keeps (frames, syncs)
 * are read at scrape time; events (decisions, leader changes, commits) are counted as they happen.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  private readonly slotsDecided: Counter;
  private readonly slotsApplied: Counter;
  private readonly leaderChanges: Counter;
  private readonly commitLatency: Histogram;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node: sources.nodeId, role: sources.role });
    this.slotsDecided = new Counter({
      name: 'evpaxos_slots_decided_total',
      help: 'Slots this node decided as leader (a phase-2 quorum accepted them).',
      registers,
    });
    this.slotsApplied = new Counter({
      name: 'evpaxos_slots_applied_total',
      help: 'Slots this node applied to its state machine (every learner).',
      registers,
    });
    this.leaderChanges = new Counter({
      name: 'evpaxos_leader_changes_total',
      help: 'Times this node became leader or stopped being leader.',
      registers,
    });
    this.commitLatency = new Histogram({
      name: 'evpaxos_commit_latency_seconds',
      help: 'Client commands submitted at this node: from submit to applied, committed ones only.',
      buckets: commitLatencyBucketsSeconds,
      registers,
    });
    new Gauge({
      name: 'evpaxos_ballot_round',
      help: "The round of this proposer's ballot (0 on a charge point).",
      registers,
      collect() {
        this.set(sources.ballotRound());
      },
    });
    new Gauge({
      name: 'evpaxos_promised_round',
      help: "The round of this acceptor's promised ballot (0 on a central).",
      registers,
      collect() {
        this.set(sources.promisedRound());
      },
    });
    new Gauge({
      name: 'evpaxos_applied_through_slot',
      help: 'The highest slot applied here (-1 before the first).',
      registers,
      collect() {
        this.set(sources.appliedThrough());
      },
    });
    new Gauge({
      name: 'evpaxos_peers_connected',
      help: 'Cluster peers with an open, authenticated connection.',
      registers,
      collect() {
        this.set(sources.peers().filter((peer) => peer.state === 'connected').length);
      },
    });
    // Cumulative counts the transport and store keep: a Counter reset and set at every scrape.
    new Counter({
      name: 'evpaxos_messages_total',
      help: 'Cluster frames sent (direction="out") and received (direction="in"), by message type.',
      labelNames: ['direction', 'type'],
      registers,
      collect() {
        const stats = sources.transportStats();
        this.reset();
        for (const [type, count] of Object.entries(stats.framesOutByKind)) {
          this.inc({ direction: 'out', type }, count);
        }
        for (const [type, count] of Object.entries(stats.framesInByKind)) {
          this.inc({ direction: 'in', type }, count);
        }
      },
    });
    new Counter({
      name: 'evpaxos_store_fsyncs_total',
      help: "Syncs of the acceptor store's log (one per group commit; 0 on a central).",
      registers,
      collect() {
        this.reset();
        this.inc(sources.storeStats()?.syncCount ?? 0);
      },
    });
    new Counter({
      name: 'evpaxos_store_appends_total',
      help: 'Durable appends of acceptor state (0 on a central).',
      registers,
      collect() {
        this.reset();
        this.inc(sources.storeStats()?.appendCount ?? 0);
      },
    });
  }

  /** Counts what the core reports (ClusterNode.deliver). */
  observeEvent(event: NodeEvent): void {
    switch (event.type) {
      case 'slot-decided':
        this.slotsDecided.inc();
        return;
      case 'became-leader':
        this.leaderChanges.inc();
        return;
      default:
        return;
    }
  }

  /** A stepped-down leader is a leader change too. */
  observeSteppedDown(): void {
    this.leaderChanges.inc();
  }

  observeApplied(slots: number): void {
    if (slots > 0) this.slotsApplied.inc(slots);
  }

  observeCommitMs(latencyMs: number): void {
    this.commitLatency.observe(latencyMs / 1000);
  }

  /** The text exposition format, and its content type. */
  async expose(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}

import type { NodeEvent } from '@evpaxos/paxos';
import type { StoreStats } from '@evpaxos/storage';
import type { PeerState, TransportStats } from '@evpaxos/transport';
import {
  Histogram,
  prometheusContentType,
  renderMetrics,
  type Labels,
  type MetricFamily,
  type Sample,
} from './prometheus-text';

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
 * The Prometheus metrics of one node process, of its own (not a global registry: tests run several
 * nodes in one process). Counters the node already keeps (frames, syncs) are read at scrape time;
 * events (decisions, leader changes, commits) are counted as they happen, in plain numbers, and the
 * page is written only when scraped (prometheus-text.ts says why not prom-client).
 */
export class NodeMetrics {
  private slotsDecided = 0;
  private slotsApplied = 0;
  private leaderChanges = 0;
  private readonly commitLatency = new Histogram(commitLatencyBucketsSeconds);
  private readonly defaultLabels: Labels;

  constructor(private readonly sources: MetricsSources) {
    this.defaultLabels = { node: sources.nodeId, role: sources.role };
  }

  /** Counts what the core reports (ClusterNode.deliver). */
  observeEvent(event: NodeEvent): void {
    switch (event.type) {
      case 'slot-decided':
        this.slotsDecided += 1;
        return;
      case 'became-leader':
        this.leaderChanges += 1;
        return;
      default:
        return;
    }
  }

  /** A stepped-down leader is a leader change too. */
  observeSteppedDown(): void {
    this.leaderChanges += 1;
  }

  observeApplied(slots: number): void {
    if (slots > 0) this.slotsApplied += slots;
  }

  observeCommitMs(latencyMs: number): void {
    this.commitLatency.observe(latencyMs / 1000);
  }

  /** The commit latency histogram, seconds: cumulative counts by `le`, their count and sum. */
  commitLatencySummary(): { buckets: Record<string, number>; count: number; sumSeconds: number } {
    const { buckets, count, sum } = this.commitLatency.summary();
    return { buckets, count, sumSeconds: sum };
  }

  /** The metrics in the order GET /metrics has always listed them. */
  families(): MetricFamily[] {
    const { sources } = this;
    const one = (value: number): Sample[] => [{ value }];
    const stats = sources.transportStats();
    const frames: Sample[] = [
      ...Object.entries(stats.framesOutByKind).map(([type, value]) => ({
        labels: { direction: 'out', type },
        value,
      })),
      ...Object.entries(stats.framesInByKind).map(([type, value]) => ({
        labels: { direction: 'in', type },
        value,
      })),
    ];
    const store = sources.storeStats();
    const connected = sources.peers().filter((peer) => peer.state === 'connected').length;
    return [
      {
        name: 'evpaxos_slots_decided_total',
        help: 'Slots this node decided as leader (a phase-2 quorum accepted them).',
        type: 'counter',
        samples: one(this.slotsDecided),
      },
      {
        name: 'evpaxos_slots_applied_total',
        help: 'Slots this node applied to its state machine (every learner).',
        type: 'counter',
        samples: one(this.slotsApplied),
      },
      {
        name: 'evpaxos_leader_changes_total',
        help: 'Times this node became leader or stopped being leader.',
        type: 'counter',
        samples: one(this.leaderChanges),
      },
      {
        name: 'evpaxos_commit_latency_seconds',
        help: 'Client commands submitted at this node: from submit to applied, committed ones only.',
        type: 'histogram',
        samples: this.commitLatency.samples(),
      },
      {
        name: 'evpaxos_ballot_round',
        help: "The round of this proposer's ballot (0 on a charge point).",
        type: 'gauge',
        samples: one(sources.ballotRound()),
      },
      {
        name: 'evpaxos_promised_round',
        help: "The round of this acceptor's promised ballot (0 on a central).",
        type: 'gauge',
        samples: one(sources.promisedRound()),
      },
      {
        name: 'evpaxos_applied_through_slot',
        help: 'The highest slot applied here (-1 before the first).',
        type: 'gauge',
        samples: one(sources.appliedThrough()),
      },
      {
        name: 'evpaxos_peers_connected',
        help: 'Cluster peers with an open, authenticated connection.',
        type: 'gauge',
        samples: one(connected),
      },
      {
        name: 'evpaxos_messages_total',
        help: 'Cluster frames sent (direction="out") and received (direction="in"), by message type.',
        type: 'counter',
        samples: frames,
      },
      {
        name: 'evpaxos_store_fsyncs_total',
        help: "Syncs of the acceptor store's log (one per group commit; 0 on a central).",
        type: 'counter',
        samples: one(store?.syncCount ?? 0),
      },
      {
        name: 'evpaxos_store_appends_total',
        help: 'Durable appends of acceptor state (0 on a central).',
        type: 'counter',
        samples: one(store?.appendCount ?? 0),
      },
    ];
  }

  /** The text exposition format, and its content type. */
  expose(): { contentType: string; text: string } {
    return {
      contentType: prometheusContentType,
      text: renderMetrics(this.families(), this.defaultLabels),
    };
  }
}

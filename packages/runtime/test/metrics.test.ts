import { expect } from 'chai';
import type { StoreStats } from '@evpaxos/storage';
import type { TransportStats } from '@evpaxos/transport';
import { NodeMetrics } from '../src/metrics';
import { Histogram, renderMetrics } from '../src/prometheus-text';

const ballot = { round: 4, proposerId: 'central-a' };

function metricsOf(store: StoreStats | null): NodeMetrics {
  const transport = {
    framesOutByKind: { accepted: 7, 'heartbeat-ack': 3 },
    framesInByKind: { accept: 7 },
  } as unknown as TransportStats;
  return new NodeMetrics({
    nodeId: 'cp1',
    role: 'charge-point',
    transportStats: () => transport,
    storeStats: () => store,
    peers: () => [{ state: 'connected' }, { state: 'connecting' }, { state: 'connected' }],
    ballotRound: () => 0,
    promisedRound: () => 4,
    appliedThrough: () => 41,
  });
}

/** The lines of one family, as the page prints them. */
function family(text: string, name: string): string[] {
  const block = text.split('\n\n').find((lines) => lines.startsWith(`# HELP ${name} `));
  if (block === undefined) throw new Error(`no ${name} in\n${text}`);
  return block.trimEnd().split('\n');
}

describe('GET /metrics: the Prometheus text of a node', () => {
  it('prints every family with HELP, TYPE and the node and role labels, as prom-client did', () => {
    const store = { appendCount: 12, syncCount: 5 } as unknown as StoreStats;
    const metrics = metricsOf(store);
    metrics.observeApplied(3);
    metrics.observeApplied(0);
    metrics.observeEvent({ type: 'became-leader', ballot } as never);
    metrics.observeSteppedDown();
    const { contentType, text } = metrics.expose();
    expect(contentType).to.equal('text/plain; version=0.0.4; charset=utf-8');
    expect(text.endsWith('\n')).to.equal(true);
    expect(text.split('\n\n').map((block) => block.split(' ')[2])).to.deep.equal([
      'evpaxos_slots_decided_total',
      'evpaxos_slots_applied_total',
      'evpaxos_leader_changes_total',
      'evpaxos_commit_latency_seconds',
      'evpaxos_ballot_round',
      'evpaxos_promised_round',
      'evpaxos_applied_through_slot',
      'evpaxos_peers_connected',
      'evpaxos_messages_total',
      'evpaxos_store_fsyncs_total',
      'evpaxos_store_appends_total',
    ]);
    expect(family(text, 'evpaxos_slots_applied_total')).to.deep.equal([
      '# HELP evpaxos_slots_applied_total Slots this node applied to its state machine (every learner).',
      '# TYPE evpaxos_slots_applied_total counter',
      'evpaxos_slots_applied_total{node="cp1",role="charge-point"} 3',
    ]);
    expect(family(text, 'evpaxos_leader_changes_total')[2]).to.equal(
      'evpaxos_leader_changes_total{node="cp1",role="charge-point"} 2',
    );
    expect(family(text, 'evpaxos_peers_connected')[2]).to.equal(
      'evpaxos_peers_connected{node="cp1",role="charge-point"} 2',
    );
    expect(family(text, 'evpaxos_promised_round')[1]).to.equal(
      '# TYPE evpaxos_promised_round gauge',
    );
    expect(family(text, 'evpaxos_messages_total').slice(2)).to.deep.equal([
      'evpaxos_messages_total{direction="out",type="accepted",node="cp1",role="charge-point"} 7',
      'evpaxos_messages_total{direction="out",type="heartbeat-ack",node="cp1",role="charge-point"} 3',
      'evpaxos_messages_total{direction="in",type="accept",node="cp1",role="charge-point"} 7',
    ]);
    expect(family(text, 'evpaxos_store_fsyncs_total')[2]).to.match(/} 5$/);
    expect(family(text, 'evpaxos_store_appends_total')[2]).to.match(/} 12$/);
  });

  it('counts the slots a leader decided and reads a central without a store as 0 syncs', () => {
    const metrics = metricsOf(null);
    metrics.observeEvent({ type: 'slot-decided', slot: 1 } as never);
    metrics.observeEvent({ type: 'slot-decided', slot: 2 } as never);
    const { text } = metrics.expose();
    expect(family(text, 'evpaxos_slots_decided_total')[2]).to.match(/} 2$/);
    expect(family(text, 'evpaxos_store_fsyncs_total')[2]).to.match(/} 0$/);
  });

  it('keeps the commit latency as cumulative buckets in seconds, with +Inf, sum and count', () => {
    const metrics = metricsOf(null);
    metrics.observeCommitMs(0.3);
    metrics.observeCommitMs(4);
    metrics.observeCommitMs(20_000);
    const lines = family(metrics.expose().text, 'evpaxos_commit_latency_seconds');
    expect(lines[1]).to.equal('# TYPE evpaxos_commit_latency_seconds histogram');
    expect(lines[2]).to.equal(
      'evpaxos_commit_latency_seconds_bucket{le="0.0005",node="cp1",role="charge-point"} 1',
    );
    expect(lines).to.include(
      'evpaxos_commit_latency_seconds_bucket{le="0.005",node="cp1",role="charge-point"} 2',
    );
    expect(lines).to.include(
      'evpaxos_commit_latency_seconds_bucket{le="10",node="cp1",role="charge-point"} 2',
    );
    expect(lines.slice(-3)).to.deep.equal([
      'evpaxos_commit_latency_seconds_bucket{le="+Inf",node="cp1",role="charge-point"} 3',
      'evpaxos_commit_latency_seconds_sum{node="cp1",role="charge-point"} 20.0043',
      'evpaxos_commit_latency_seconds_count{node="cp1",role="charge-point"} 3',
    ]);
  });

  it('escapes backslashes, quotes and newlines in label values and help text', () => {
    const histogram = new Histogram([1]);
    histogram.observe(Number.POSITIVE_INFINITY);
    const text = renderMetrics(
      [
        {
          name: 'a_total',
          help: 'one\\two\nthree',
          type: 'counter',
          samples: [{ labels: { path: 'x"y\\z\n' }, value: 1 }],
        },
        { name: 'b', help: 'b', type: 'histogram', samples: histogram.samples() },
      ],
      { node: 'n' },
    );
    expect(text.split('\n')).to.include.members([
      '# HELP a_total one\\\\two\\nthree',
      'a_total{path="x\\"y\\\\z\\n",node="n"} 1',
      'b_bucket{le="1",node="n"} 0',
      'b_bucket{le="+Inf",node="n"} 1',
      'b_sum{node="n"} +Inf',
    ]);
  });
});

describe('NodeMetrics.commitLatencySummary', () => {
  it('gives the cumulative buckets by le, the count and the sum in seconds', () => {
    const metrics = metricsOf(null);
    metrics.observeCommitMs(2);
    metrics.observeCommitMs(30);
    const summary = metrics.commitLatencySummary();
    expect(summary.count).to.equal(2);
    expect(summary.sumSeconds).to.be.closeTo(0.032, 1e-12);
    expect(summary.buckets['0.001']).to.equal(0);
    expect(summary.buckets['0.0025']).to.equal(1);
    expect(summary.buckets['0.05']).to.equal(2);
    expect(summary.buckets['+Inf']).to.equal(2);
  });
});

import { expect } from 'chai';
import { createPrng, type NodeId } from '../src';
import { command, TestCluster } from './harness';

/**
 * `ticksUntilDue()` lets a runtime sleep until the next deadline instead of ticking at a fixed rate
 * (docs/LIMITS.md, "Ticks on demand"). Its contract: a tick taken before the reported deadline
 * sends nothing, persists nothing and reports no event, so skipping the wake-up for it loses
 * nothing.
 */
describe('ticksUntilDue: the next deadline of a node (ticks on demand)', () => {
  const membership = { proposers: ['p1', 'p2'], acceptors: ['a1', 'a2', 'a3'], learners: ['l1'] };

  it('a tick before the reported deadline produces nothing (seeded random runs, drops and crashes of the leader included)', () => {
    let quietTicks = 0;
    let dueTicksThatActed = 0;
    for (let seed = 1; seed <= 8; seed += 1) {
      const random = createPrng(seed);
      const cluster = new TestCluster(membership, { electionTimeoutTicks: 8, heartbeatTicks: 2 });
      const ids = [...cluster.nodes.keys()];
      let seq = 0;
      for (let step = 0; step < 1500; step += 1) {
        const roll = random();
        if (roll < 0.45) {
          const [envelope] = cluster.queue.splice(Math.floor(random() * cluster.queue.length), 1);
          // One message in ten is lost: retries and catch-up deadlines come into play.
          if (envelope && random() >= 0.1) cluster.deliverOne(envelope);
        } else if (roll < 0.46) {
          // A crash: the node restarts from what it persisted, with fresh counters.
          cluster.start(ids[Math.floor(random() * ids.length)] as NodeId);
        } else if (roll < 0.55) {
          const proposer = random() < 0.5 ? 'p1' : 'p2';
          cluster.node(proposer).propose(command('c', (seq += 1)));
          cluster.flush(proposer);
        } else {
          const id = ids[Math.floor(random() * ids.length)] as NodeId;
          const node = cluster.node(id);
          const due = node.ticksUntilDue();
          expect(due, `${id} at step ${step}, seed ${seed}`).to.be.at.least(1);
          node.tick();
          if (due > 1) {
            expect(node.hasReady(), `${id} ticked ${due} ticks early, seed ${seed}`).to.equal(
              false,
            );
            quietTicks += 1;
          } else if (node.hasReady()) {
            dueTicksThatActed += 1;
          }
          cluster.flush(id);
        }
      }
    }
    // Not vacuous: many ticks were skippable, and ticks at the deadline did act.
    expect(quietTicks).to.be.greaterThan(1000);
    expect(dueTicksThatActed).to.be.greaterThan(200);
  });

  it("an acceptor's deadline is the lapse of its leader's lease, reported while the lease is live", () => {
    const cluster = new TestCluster(membership, { electionTimeoutTicks: 8, heartbeatTicks: 2 });
    // A fresh acceptor reports its standing at its first tick; then nothing is due.
    expect(cluster.node('a1').ticksUntilDue()).to.equal(1);
    cluster.node('a1').tick();
    cluster.flush('a1');
    expect(cluster.node('a1').ticksUntilDue()).to.equal(Number.POSITIVE_INFINITY);
    cluster.elect('p1');
    cluster.tick(2); // the leader's first heartbeat
    cluster.deliverAll((e) => e.to === 'a1');
    expect(cluster.node('a1').ticksUntilDue()).to.equal(8);
    for (let i = 0; i < 8; i += 1) cluster.node('a1').tick();
    // Lapsed: nothing more is due, and another proposer's Prepare is now promised.
    expect(cluster.node('a1').ticksUntilDue()).to.equal(Number.POSITIVE_INFINITY);
  });

  it("a leader's deadline is its next heartbeat; a follower's its election timeout", () => {
    const cluster = new TestCluster(membership, { electionTimeoutTicks: 8, heartbeatTicks: 2 });
    cluster.elect('p1');
    cluster.tick(2);
    cluster.deliverAll();
    expect(cluster.node('p1').ticksUntilDue()).to.be.within(1, 2);
    const follower = cluster.node('p2');
    expect(follower.status().proposerState).to.equal('follower');
    expect(follower.ticksUntilDue()).to.be.within(
      1,
      8 + follower.config.options.electionJitterTicks,
    );
  });
});

describe('heartbeat pacing: the failure detector gets every heartbeat, the rest fewer messages', () => {
  const membership = { proposers: ['p1', 'p2'], acceptors: ['a1', 'a2', 'a3'], learners: ['l1'] };
  // T well above the 32 ticks counted: CheckQuorum (no answers are delivered here) keeps the leader.
  const options = { electionTimeoutTicks: 40, heartbeatTicks: 2, learnerHeartbeatTicks: 8 };

  function heartbeatsTo(cluster: TestCluster, to: NodeId): number {
    return cluster.take((e) => e.to === to && e.message.type === 'heartbeat').length;
  }

  it('a leader heartbeats acceptors and standbys every heartbeatTicks, nodes that only learn every learnerHeartbeatTicks', () => {
    const cluster = new TestCluster(membership, options);
    cluster.elect('p1');
    cluster.queue = [];
    const counts = { a1: 0, p2: 0, l1: 0 };
    for (let i = 0; i < 32; i += 1) {
      cluster.node('p1').tick();
      cluster.flush('p1');
      counts.a1 += heartbeatsTo(cluster, 'a1');
      counts.p2 += heartbeatsTo(cluster, 'p2');
      counts.l1 += heartbeatsTo(cluster, 'l1');
      cluster.queue = [];
    }
    expect(counts.a1).to.equal(16);
    expect(counts.p2).to.equal(16);
    // The first heartbeat of a new leader goes to everyone, then one every 8 ticks.
    expect(counts.l1).to.equal(4);
  });

  it('an acceptor answers its leader at once, then at most one heartbeat every heartbeatAckTicks', () => {
    const cluster = new TestCluster(membership, { ...options, heartbeatAckTicks: 4 });
    cluster.elect('p1');
    cluster.queue = [];
    const ballot = cluster.node('p1').status().ballot!;
    let acks = 0;
    for (let tick = 0; tick < 16; tick += 1) {
      // A heartbeat at every tick: 16 heartbeats, answered at ticks 0, 4, 8, 12.
      cluster.node('a1').step('p1', { type: 'heartbeat', ballot, decidedBelow: 0 });
      cluster.flush('a1');
      acks += cluster.take((e) => e.from === 'a1' && e.message.type === 'heartbeat-ack').length;
      cluster.node('a1').tick();
      cluster.flush('a1');
    }
    expect(acks).to.equal(4);
    // A new leader's first heartbeat is answered at once.
    const higher = { round: ballot.round + 1, proposerId: 'p2' };
    cluster.node('a1').step('p2', { type: 'heartbeat', ballot: higher, decidedBelow: 0 });
    cluster.flush('a1');
    expect(cluster.take((e) => e.from === 'a1' && e.to === 'p2')[0]?.message.type).to.equal(
      'heartbeat-ack',
    );
  });

  it('refuses paces that starve the failure detector, one sentence each', () => {
    expect(
      () =>
        new TestCluster(membership, {
          electionTimeoutTicks: 8,
          heartbeatTicks: 2,
          learnerHeartbeatTicks: 1,
          heartbeatAckTicks: 9,
        }),
    ).to.throw(
      /learnerHeartbeatTicks \(1\) must be at least heartbeatTicks.*heartbeatAckTicks \(9\) must be at most electionTimeoutTicks/s,
    );
  });
});

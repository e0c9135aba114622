import { expect } from 'chai';
import { resolveConfig, type Message, type NodeId } from '../src';
import { command, TestCluster, type Envelope } from './harness';

/**
 * learnerDecideTicks (decided-out.ts; docs/LIMITS.md, "Learners' Decide pace"): nodes that only
 * learn get a leader's decided slots gathered, one Decide at most every N ticks, while the other
 * proposers still get them at the end of every step; a learner that misses one catches up as before.
 */
describe("learners' Decide pace", () => {
  const membership = { proposers: ['p1', 'p2'], acceptors: ['a1', 'a2', 'a3'], learners: ['l1'] };
  // T well above the ticks counted: CheckQuorum (answers are not all delivered here) keeps the leader.
  const options = {
    electionTimeoutTicks: 60,
    heartbeatTicks: 2,
    learnerHeartbeatTicks: 20,
    learnerDecideTicks: 4,
  };

  const isDecideTo = (to: NodeId) => (e: Envelope) => e.to === to && e.message.type === 'decide';
  const slotsOf = (message: Message): number[] =>
    message.type === 'decide' ? message.entries.map((entry) => entry.slot) : [];

  /** A leader p1 whose first heartbeats went out; nothing queued. */
  function leading(extra: Record<string, number> = {}): TestCluster {
    const cluster = new TestCluster(membership, { ...options, ...extra });
    cluster.elect('p1');
    cluster.tick(1);
    cluster.deliverAll();
    cluster.queue = [];
    return cluster;
  }

  /** p1 decides one command (every message but those to l1 delivered; ticks only p1's). */
  function decideOne(cluster: TestCluster, seq: number): void {
    cluster.node('p1').propose(command('c', seq));
    cluster.flush('p1');
    cluster.deliverAll((e) => e.to !== 'l1');
  }

  function tickLeader(cluster: TestCluster): void {
    cluster.node('p1').tick();
    cluster.flush('p1');
    cluster.deliverAll((e) => e.to !== 'l1');
  }

  it('gives a learner the slots decided over N ticks in one Decide, within N ticks of the first; the standby gets each at once', () => {
    const cluster = leading();
    decideOne(cluster, 1);
    // The standby proposer got the slot at the end of the step; the learner nothing yet.
    expect(cluster.applied.get('p2')!.map((entry) => entry.slot)).to.deep.equal([0]);
    expect(cluster.queue.filter(isDecideTo('l1'))).to.have.length(0);
    expect(cluster.node('p1').ticksUntilDue()).to.be.within(1, 4);
    tickLeader(cluster);
    decideOne(cluster, 2);
    tickLeader(cluster);
    decideOne(cluster, 3);
    tickLeader(cluster);
    expect(cluster.queue.filter(isDecideTo('l1'))).to.have.length(0);
    tickLeader(cluster); // the 4th tick since slot 0 was decided
    const decides = cluster.take(isDecideTo('l1'));
    expect(decides.map((e) => slotsOf(e.message))).to.deep.equal([[0, 1, 2]]);
    for (const envelope of decides) cluster.deliverOne(envelope);
    expect(cluster.appliedKeys('l1')).to.deep.equal(cluster.appliedKeys('p1'));
    expect(cluster.appliedKeys('l1')).to.have.length(3);
    // Nothing gathered: nothing due for it.
    for (let i = 0; i < 8; i += 1) tickLeader(cluster);
    expect(cluster.queue.filter(isDecideTo('l1'))).to.have.length(0);
  });

  it('a learner that missed a Decide asks for the gap at the next one, and catches up', () => {
    const cluster = leading();
    decideOne(cluster, 1);
    decideOne(cluster, 2);
    for (let i = 0; i < 4; i += 1) tickLeader(cluster);
    expect(cluster.take(isDecideTo('l1'))).to.have.length(1); // lost
    decideOne(cluster, 3);
    for (let i = 0; i < 4; i += 1) tickLeader(cluster);
    const [next] = cluster.take(isDecideTo('l1'));
    expect(slotsOf(next!.message)).to.deep.equal([2]);
    cluster.deliverOne(next!);
    const [request] = cluster.take((e) => e.from === 'l1' && e.message.type === 'catchup-request');
    expect(request?.to).to.equal('p1');
    expect(request?.message).to.deep.include({ fromSlot: 0 });
    cluster.deliverOne(request!);
    cluster.deliverAll((e) => e.to === 'l1');
    expect(cluster.appliedKeys('l1')).to.deep.equal(cluster.appliedKeys('p1'));
    expect(cluster.appliedKeys('l1')).to.have.length(3);
  });

  it('a heartbeat to the learners sends what was gathered for them ahead of it (its decidedBelow asks no catch-up)', () => {
    // The learners' heartbeat at the leader's first tick, before the pace of 4 is up.
    const cluster = leading({ learnerHeartbeatTicks: 4, heartbeatTicks: 2 });
    for (let tick = 0; tick < 4; tick += 1) {
      decideOne(cluster, tick + 1);
      tickLeader(cluster);
    }
    const toLearner = cluster.take((e) => e.to === 'l1');
    const types = toLearner.map((e) => e.message.type);
    const heartbeat = types.indexOf('heartbeat');
    expect(heartbeat).to.be.at.least(1);
    expect(types.slice(0, heartbeat)).to.include('decide');
    for (const envelope of toLearner) cluster.deliverOne(envelope);
    expect(cluster.queue.filter((e) => e.message.type === 'catchup-request')).to.have.length(0);
  });

  it('a leader that steps down sends the learners what it gathered', () => {
    const cluster = leading();
    decideOne(cluster, 1);
    const ballot = cluster.node('p1').status().ballot!;
    const higher = { round: ballot.round + 1, proposerId: 'p2' };
    cluster.node('p1').step('a1', { type: 'nack', ballot, promised: higher });
    cluster.flush('p1');
    expect(cluster.node('p1').status().proposerState).to.equal('follower');
    expect(cluster.take(isDecideTo('l1')).map((e) => slotsOf(e.message))).to.deep.equal([[0]]);
  });

  it('0 (the core default): a learner gets every step Decide at once', () => {
    const cluster = leading({ learnerDecideTicks: 0 });
    decideOne(cluster, 1);
    expect(cluster.take(isDecideTo('l1')).map((e) => slotsOf(e.message))).to.deep.equal([[0]]);
    expect(cluster.node('p1').ticksUntilDue()).to.be.at.least(1);
  });

  it('refuses a pace below 0 or beyond the learners’ heartbeat', () => {
    const base = { id: 'p1', cluster: membership };
    expect(() => resolveConfig({ ...base, options: { learnerDecideTicks: -1 } })).to.throw(
      /learnerDecideTicks \(-1\) must be a whole number of at least 0/,
    );
    expect(() =>
      resolveConfig({ ...base, options: { learnerHeartbeatTicks: 5, learnerDecideTicks: 6 } }),
    ).to.throw(/learnerDecideTicks \(6\) must be at most learnerHeartbeatTicks \(5\)/);
  });
});

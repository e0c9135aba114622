import { expect } from 'chai';
import { command, TestCluster } from './harness';

const membership = { proposers: ['p1', 'p2'], acceptors: ['a1', 'a2', 'a3'] };
const options = { electionTimeoutTicks: 10, heartbeatTicks: 2 };

/** p1 leads and has been heard: one command decided, one heartbeat round delivered. */
function stableLeader(): TestCluster {
  const cluster = new TestCluster(membership, options);
  cluster.elect('p1');
  cluster.node('p1').propose(command('c', 1));
  cluster.flush('p1');
  cluster.deliverAll();
  cluster.tick(2);
  cluster.deliverAll();
  return cluster;
}

describe('leader stickiness: acceptors keep a lease on the leader they hear (Raft §9.6)', () => {
  it('an acceptor that hears its leader refuses a higher ballot from another proposer, marked leaseLive', () => {
    const cluster = stableLeader();
    const intruder = { round: 9, proposerId: 'p2' };
    cluster.node('a1').step('p2', { type: 'prepare', ballot: intruder, fromSlot: 0 });
    cluster.flush('a1');
    const [reply] = cluster.take((e) => e.from === 'a1' && e.to === 'p2');
    expect(reply?.message).to.deep.include({ type: 'nack', ballot: intruder, leaseLive: true });
    // Nothing promised: the leader's next Accept is still honoured.
    expect(cluster.node('a1').status().promised?.proposerId).to.equal('p1');
  });

  it('promises the higher ballot once an election timeout passed without hearing the leader', () => {
    const cluster = stableLeader();
    cluster.lapseLeases(['a1']);
    const ballot = { round: 9, proposerId: 'p2' };
    cluster.node('a1').step('p2', { type: 'prepare', ballot, fromSlot: 0 });
    cluster.flush('a1');
    const [reply] = cluster.take((e) => e.from === 'a1' && e.to === 'p2');
    expect(reply?.message.type).to.equal('promise');
    expect(cluster.node('a1').status().promised).to.deep.equal(ballot);
  });

  it('lets the lease holder itself prepare again (a restarted leader recovering its own slots)', () => {
    const cluster = stableLeader();
    const ballot = { round: 9, proposerId: 'p1' };
    cluster.node('a1').step('p1', { type: 'prepare', ballot, fromSlot: 0 });
    cluster.flush('a1');
    expect(cluster.take((e) => e.from === 'a1')[0]?.message.type).to.equal('promise');
  });

  it('a standby that campaigns against a stable leader stands down and follows it; the leader stays', () => {
    const cluster = stableLeader();
    cluster.start('p2'); // a restarted standby: it has heard nothing yet
    cluster.elect('p2');
    expect(cluster.node('p1').isLeader()).to.equal(true);
    expect(cluster.node('p2').status().proposerState).to.equal('follower');
    expect(cluster.node('p2').status().leaderId).to.equal('p1');
    // And it keeps following: the leader's heartbeats hold its election timer back.
    for (let i = 0; i < 5 * options.electionTimeoutTicks; i += 1) {
      cluster.tick();
      cluster.deliverAll();
    }
    expect(cluster.node('p1').isLeader()).to.equal(true);
    expect(cluster.node('p2').status().proposerState).to.equal('follower');
    cluster.node('p1').propose(command('c', 2));
    cluster.flush('p1');
    cluster.deliverAll();
    expect(cluster.appliedKeys('p2')).to.deep.equal(['c#1', 'c#2']);
  });

  it('a leader partitioned away from the acceptors is replaced after the lease and its check quorum', () => {
    const cluster = stableLeader();
    for (const a of membership.acceptors) {
      cluster.cut.add(`p1>${a}`);
      cluster.cut.add(`${a}>p1`);
    }
    cluster.cut.add('p1>p2');
    for (let i = 0; i < 5 * options.electionTimeoutTicks; i += 1) {
      cluster.tick();
      cluster.deliverAll();
    }
    expect(cluster.node('p2').isLeader()).to.equal(true);
    expect(cluster.node('p1').isLeader(), 'the cut-off leader stood down (check quorum)').to.equal(
      false,
    );
    cluster.node('p2').propose(command('c', 2));
    cluster.flush('p2');
    cluster.deliverAll();
    expect(cluster.appliedKeys('p2')).to.deep.equal(['c#1', 'c#2']);
  });

  it('under the planted bug acceptor-ignores-lease, a standby deposes the stable leader', () => {
    const cluster = new TestCluster(membership, options, 'acceptor-ignores-lease');
    cluster.elect('p1');
    cluster.tick(2);
    cluster.deliverAll();
    cluster.start('p2');
    cluster.elect('p2');
    cluster.tick(2);
    cluster.deliverAll();
    expect(cluster.node('p2').isLeader()).to.equal(true);
    expect(cluster.node('p1').isLeader()).to.equal(false);
  });
});

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

/**
 * kill -9 of p1: every live node's transport reports its link closed (PaxosNode.peerDown), then a
 * few ticks pass — well inside one election timeout.
 */
function killAndReport(cluster: TestCluster): void {
  cluster.nodes.delete('p1');
  for (const id of ['p2', ...membership.acceptors]) {
    cluster.node(id).peerDown('p1');
    cluster.flush(id);
  }
  for (let i = 0; i < options.heartbeatTicks + 4; i += 1) {
    cluster.tick();
    cluster.deliverAll();
  }
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

  it('pre-vote: a standby cut off from the leader alone asks, raises no ballot anywhere, and the leader stays', () => {
    const cluster = stableLeader();
    const ballotBefore = cluster.node('a1').status().promised;
    cluster.cut.add('p1>p2'); // only p2 misses the heartbeats (its own links, or its stall)
    for (let i = 0; i < 6 * options.electionTimeoutTicks; i += 1) {
      cluster.tick();
      cluster.deliverAll();
    }
    expect(cluster.node('p1').isLeader()).to.equal(true);
    expect(cluster.node('p2').status().proposerState).to.equal('follower');
    for (const a of membership.acceptors)
      expect(cluster.node(a).status().promised, a).to.deep.equal(ballotBefore);
  });

  it('pre-vote: an acceptor answers without promising or persisting anything', () => {
    const cluster = stableLeader();
    cluster.lapseLeases(['a1']);
    const ballot = { round: 9, proposerId: 'p2' };
    const promisedBefore = cluster.node('a1').status().promised;
    cluster.node('a1').step('p2', { type: 'pre-vote', ballot });
    const ready = cluster.node('a1').takeReady();
    expect(ready.persist).to.equal(undefined);
    expect(ready.messages.map((m) => m.message)).to.deep.equal([
      { type: 'pre-vote-reply', ballot, granted: true },
    ]);
    expect(cluster.node('a1').status().promised).to.deep.equal(promisedBefore);
    // While the lease is live the answer is no.
    cluster.node('a2').step('p2', { type: 'pre-vote', ballot });
    expect(cluster.node('a2').takeReady().messages[0]?.message).to.deep.include({ granted: false });
  });

  it("crash fast path: once every link reports the leader's connection closed, the standby leads within a few ticks", () => {
    const cluster = stableLeader();
    killAndReport(cluster);
    // Well inside one election timeout: no wait for a timeout sized for stalls.
    expect(cluster.node('p2').isLeader()).to.equal(true);
  });

  it('crash fast path: a restarted standby that has heard no leader yet takes it too when a proposer’s link closes', () => {
    const cluster = stableLeader();
    cluster.start('p2'); // restarted: knows no leader, and the leader's heartbeats have not come
    killAndReport(cluster); // then the leader dies
    expect(cluster.node('p2').isLeader()).to.equal(true);
  });

  it('crash fast path: the first standby pre-votes in the same step as the report, without a tick', () => {
    const cluster = stableLeader();
    cluster.nodes.delete('p1');
    cluster.node('p2').peerDown('p1');
    cluster.flush('p2');
    const asked = cluster.take((e) => e.from === 'p2').map((e) => `${e.message.type}>${e.to}`);
    expect(asked).to.deep.equal(['pre-vote>a1', 'pre-vote>a2', 'pre-vote>a3']);
  });

  it('crash fast path: an acceptor that refused the pre-vote before it saw the link close grants it then, unasked', () => {
    const cluster = stableLeader();
    cluster.nodes.delete('p1');
    cluster.node('p2').peerDown('p1'); // the standby hears of the crash first
    cluster.flush('p2');
    cluster.deliverAll(); // the acceptors still hold p1's lease: every pre-vote is refused
    expect(cluster.node('p2').status().proposerState).to.equal('follower');
    for (const a of membership.acceptors) {
      cluster.node(a).peerDown('p1');
      cluster.flush(a);
    }
    cluster.deliverAll(); // no tick: the grants alone start Phase 1, and it completes
    expect(cluster.node('p2').isLeader()).to.equal(true);
  });

  it('pre-vote: a retry with the same ballot keeps the grants already in (answers slower than the retry)', () => {
    const cluster = stableLeader();
    cluster.nodes.delete('p1');
    for (const id of ['p2', ...membership.acceptors]) {
      cluster.node(id).peerDown('p1');
      cluster.flush(id);
    }
    const [first] = cluster.take((e) => e.from === 'p2' && e.to === 'a1');
    cluster.deliverOne(first!); // a1 answers the first round; a2 and a3 are slow
    cluster.deliverAll((e) => e.from === 'a1');
    cluster.take(() => true); // the first round's other pre-votes are still on their way
    for (let i = 0; i < 20 && cluster.node('p2').status().proposerState === 'follower'; i += 1) {
      cluster.node('p2').tick(); // the retry: the same ballot, no leader heard since
      cluster.flush('p2');
      const [retry] = cluster.take((e) => e.from === 'p2' && e.to === 'a2');
      cluster.take(() => true);
      if (retry === undefined) continue;
      cluster.deliverOne(retry); // only a2 answers the retry: with a1's grant, a quorum (2 of 3)
      cluster.flush('a2');
      cluster.deliverAll((e) => e.from === 'a2' && e.message.type === 'pre-vote-reply');
    }
    expect(cluster.node('p2').status().proposerState).to.equal('candidate');
  });

  it('crash fast path: a second standby waits its rank, so the first leads and it follows (n=3 proposers)', () => {
    const three = { proposers: ['p1', 'p2', 'p3'], acceptors: ['a1', 'a2', 'a3'] };
    const cluster = new TestCluster(three, options);
    cluster.elect('p1');
    cluster.tick(2);
    cluster.deliverAll();
    cluster.nodes.delete('p1');
    for (const id of ['p2', 'p3', ...three.acceptors]) {
      cluster.node(id).peerDown('p1');
      cluster.flush(id);
    }
    expect(cluster.take((e) => e.from === 'p3' && e.message.type === 'pre-vote')).to.have.length(0);
    for (let i = 0; i < options.heartbeatTicks + 4; i += 1) {
      cluster.tick();
      cluster.deliverAll();
    }
    expect(cluster.node('p2').isLeader()).to.equal(true);
    expect(cluster.node('p3').status().proposerState).to.equal('follower');
    expect(cluster.node('p3').status().leaderId).to.equal('p2');
  });

  it('check quorum: a leader that hears no quorum for two election timeouts steps down and names no leader', () => {
    const cluster = stableLeader();
    for (const a of membership.acceptors) cluster.cut.add(`${a}>p1`);
    for (let i = 0; i < 2 * options.electionTimeoutTicks - 1; i += 1) cluster.node('p1').tick();
    expect(cluster.node('p1').isLeader(), 'still within the window').to.equal(true);
    for (let i = 0; i < 2; i += 1) cluster.node('p1').tick();
    expect(cluster.node('p1').isLeader()).to.equal(false);
    expect(cluster.node('p1').status().leaderId).to.equal(undefined);
    const events = cluster.node('p1').takeReady().events;
    expect(events).to.deep.include({
      type: 'became-follower',
      ballot: cluster.node('p1').status().ballot,
      leaderId: undefined,
      reason: 'check-quorum',
    });
  });

  it('check quorum counts only voters: an acceptor that lost its state acknowledges no heartbeat, so a leader left with one voter of three steps down', () => {
    const cluster = stableLeader();
    // a3 is gone; a2 lost its disk and runs again as incarnation 2, awaiting re-admission.
    cluster.nodes.delete('a3');
    cluster.start('a2', 2);
    const acked = (from: string) =>
      cluster.queue.filter((e) => e.from === from && e.message.type === 'heartbeat-ack').length;
    let a2Acks = 0;
    for (let i = 0; i < 2 * options.electionTimeoutTicks + 2; i += 1) {
      cluster.tick();
      a2Acks += acked('a2');
      cluster.deliverAll();
    }
    expect(cluster.node('a2').status().standing).to.equal('awaiting-readmission');
    expect(a2Acks, 'a node that may not vote acknowledges no heartbeat').to.equal(0);
    expect(cluster.node('p1').isLeader(), 'a1 alone is no phase-2 quorum').to.equal(false);
    expect(cluster.node('p1').status().leaderId).to.equal(undefined);
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

import { expect } from 'chai';
import { ConfigError, PaxosNode, createPrng, RecordingStateMachine } from '../src';
import { TestCluster, command } from './harness';

const membership = { proposers: ['p1', 'p2'], acceptors: ['a1', 'a2', 'a3'] };

describe('proposer', () => {
  it('becomes leader once a phase-1 quorum has promised', () => {
    const cluster = new TestCluster(membership);
    cluster.node('p1').campaign();
    cluster.flush('p1');
    cluster.deliverAll((e) => e.to === 'a1' || e.from === 'a1');
    expect(cluster.node('p1').isLeader()).to.equal(false);
    cluster.deliverAll((e) => e.to === 'a2' || e.from === 'a2');
    expect(cluster.node('p1').isLeader()).to.equal(true);
  });

  it('puts commands proposed together into one slot (proposeAll, PMMC §4 batching)', () => {
    const cluster = new TestCluster(membership);
    cluster.elect('p1');
    const results = cluster
      .node('p1')
      .proposeAll([command('c', 1), command('c', 2), command('d', 1)]);
    expect(results.every((result) => result.ok)).to.equal(true);
    cluster.flush('p1');
    const accepts = cluster.queue.filter((envelope) => envelope.message.type === 'accept');
    // One Accept, carrying all three commands, to each acceptor of a bare quorum (thrifty).
    expect(accepts).to.have.length(2);
    for (const accept of accepts) {
      expect(accept.message).to.deep.include({
        value: { commands: [command('c', 1), command('c', 2), command('d', 1)] },
      });
    }
    cluster.deliverAll();
    expect(cluster.appliedKeys('p1')).to.deep.equal(['c#1', 'c#2', 'd#1']);
  });

  it('sends a lone slot to a bare quorum, and its Accept and notice to the others at the next tick', () => {
    const five = { proposers: ['p1'], acceptors: ['a1', 'a2', 'a3', 'a4', 'a5'] };
    const cluster = new TestCluster(five);
    cluster.elect('p1');
    cluster.tick(1);
    cluster.deliverAll();
    cluster.node('p1').propose(command('c', 1));
    cluster.flush('p1');
    const targets = cluster.queue.filter((e) => e.message.type === 'accept').map((e) => e.to);
    expect(targets).to.have.length(3);
    cluster.deliverAll();
    expect(cluster.appliedKeys('p1')).to.deep.equal(['c#1']);
    // The next lone slot goes to the quorum alone; the notice for slot 0 waits for the tick.
    cluster.node('p1').propose(command('c', 2));
    cluster.flush('p1');
    const reached = new Set(cluster.queue.map((e) => e.to));
    expect([...reached].sort()).to.deep.equal([...targets].sort());
    cluster.deliverAll();
    const lagging = five.acceptors.filter((id) => !targets.includes(id));
    for (const id of lagging) expect(cluster.appliedKeys(id)).to.deep.equal([]);
    // The tick: each lagging acceptor gets both Accepts, then the notices that name them.
    cluster.tick(1);
    for (const id of lagging) {
      const kinds = cluster.queue
        .filter((e) => e.to === id && e.message.type !== 'heartbeat')
        .map((e) =>
          e.message.type === 'accept'
            ? `accept ${e.message.slot}`
            : e.message.type === 'decide'
              ? `notice ${e.message.entries.map((entry) => entry.slot).join(',')}`
              : e.message.type,
        );
      expect(kinds).to.deep.equal(['accept 0', 'accept 1', 'notice 0,1']);
    }
    cluster.deliverAll();
    for (const id of lagging) expect(cluster.appliedKeys(id)).to.deep.equal(['c#1', 'c#2']);
  });

  it('broadcasts a slot proposed while another is in flight', () => {
    const cluster = new TestCluster(membership);
    cluster.elect('p1');
    cluster.node('p1').propose(command('c', 1));
    cluster.node('p1').propose(command('c', 2));
    cluster.flush('p1');
    const accepts = cluster.queue.filter((e) => e.message.type === 'accept');
    // Slot 0 to a bare quorum; slot 1 to all, after the held copy of slot 0.
    expect(
      accepts.map((e) => `${e.to}:${e.message.type === 'accept' ? e.message.slot : ''}`),
    ).to.deep.equal(['a1:0', 'a2:0', 'a3:0', 'a1:1', 'a2:1', 'a3:1']);
  });

  it('decides a lone slot whose quorum has a silent acceptor at the next tick, then leaves it out', () => {
    const cluster = new TestCluster(membership);
    cluster.elect('p1');
    cluster.cut.add('p1>a1'); // a1 answered the election, then fell silent
    cluster.node('p1').propose(command('c', 1));
    cluster.flush('p1');
    cluster.deliverAll();
    expect(cluster.appliedKeys('p1')).to.deep.equal([]);
    cluster.tick(1);
    cluster.deliverAll();
    expect(cluster.appliedKeys('p1')).to.deep.equal(['c#1']);
    cluster.node('p1').propose(command('c', 2));
    cluster.flush('p1');
    const targets = cluster.queue.filter((e) => e.message.type === 'accept').map((e) => e.to);
    expect(targets.sort()).to.deep.equal(['a2', 'a3']);
    cluster.deliverAll();
    expect(cluster.appliedKeys('p1')).to.deep.equal(['c#1', 'c#2']);
  });

  it('answers not-leader for every command of proposeAll at a follower', () => {
    const cluster = new TestCluster(membership);
    const results = cluster.node('p2').proposeAll([command('c', 1), command('c', 2)]);
    expect(results.map((result) => result.ok)).to.deep.equal([false, false]);
  });

  it('proposes the highest-ballot value reported for each slot (Paxos Made Simple §2.2, P2c)', () => {
    const cluster = new TestCluster(membership);
    const low = { commands: [command('c', 1)] };
    const high = { commands: [command('c', 2)] };
    cluster
      .node('a1')
      .step('p1', { type: 'accept', ballot: { round: 1, proposerId: 'p1' }, slot: 0, value: low });
    cluster
      .node('a2')
      .step('p2', { type: 'accept', ballot: { round: 2, proposerId: 'p2' }, slot: 0, value: high });
    cluster.flushAll();
    cluster.lapseLeases();
    cluster.queue = [];
    // The quorum is {a1, a2}: the first campaign is nacked by a2 and teaches p1 the higher ballot.
    cluster.cut.add('p1>a3');
    cluster.elect('p1');
    cluster.elect('p1');
    expect(cluster.node('p1').isLeader()).to.equal(true);
    expect(cluster.appliedKeys('p1')).to.deep.equal(['c#2']);
  });

  it('fills holes below the highest reported slot with no-ops', () => {
    const cluster = new TestCluster(membership);
    const value = { commands: [command('c', 1)] };
    cluster
      .node('a1')
      .step('p2', { type: 'accept', ballot: { round: 1, proposerId: 'p2' }, slot: 2, value });
    cluster.flushAll();
    cluster.lapseLeases();
    cluster.queue = [];
    cluster.cut.add('p1>a3');
    cluster.elect('p1');
    cluster.elect('p1');
    const slots = cluster.applied.get('p1')!.map((entry) => [entry.slot, entry.commands.length]);
    expect(slots).to.deep.equal([
      [0, 0],
      [1, 0],
      [2, 1],
    ]);
  });

  it('decides only after a phase-2 quorum of acceptors has accepted (Paxos Made Simple §2.3)', () => {
    const cluster = new TestCluster(membership);
    cluster.elect('p1');
    cluster.node('p1').propose(command('c', 1));
    cluster.flush('p1');
    cluster.deliverAll((e) => e.to === 'a1' || e.from === 'a1');
    expect(cluster.appliedKeys('p1')).to.deep.equal([]);
    cluster.deliverAll((e) => e.to === 'a2' || e.from === 'a2');
    expect(cluster.appliedKeys('p1')).to.deep.equal(['c#1']);
  });

  it('steps down when an acceptor answers with a higher ballot (Paxos Made Simple §2.5)', () => {
    const cluster = new TestCluster(membership);
    cluster.elect('p1');
    cluster.elect('p2');
    cluster.node('p1').propose(command('c', 1));
    cluster.flush('p1');
    cluster.deliverAll();
    expect(cluster.node('p1').isLeader()).to.equal(false);
    expect(cluster.node('p2').isLeader()).to.equal(true);
  });

  it('never leads again with a ballot it used before a restart (a central keeps no state)', () => {
    const cluster = new TestCluster(membership);
    cluster.elect('p1');
    const first = cluster.node('p1').status().ballot;
    cluster.node('p1').propose(command('c', 1));
    cluster.flush('p1');
    // Only a1 receives the Accept before p1 crashes; the other two are lost with it.
    cluster.deliverAll((e) => e.to === 'a1' && e.message.type === 'accept');
    cluster.queue = [];
    cluster.start('p1'); // restarted from nothing: a proposer-only node persists no state
    cluster.cut.add('p1>a1');
    cluster.elect('p1');
    expect(cluster.node('p1').isLeader()).to.equal(true);
    const second = cluster.node('p1').status().ballot;
    expect(second?.round).to.be.greaterThan(first?.round ?? 0);
    cluster.node('p1').propose(command('d', 1));
    cluster.flush('p1');
    cluster.deliverAll();
    expect(cluster.appliedKeys('p1')).to.deep.equal(['d#1']);
    // Agreement: a later leader whose quorum includes a1 (c#1 at the old ballot) keeps d#1.
    cluster.cut.clear();
    cluster.cut.add('p2>a3');
    cluster.lapseLeases(); // p1 goes quiet
    cluster.elect('p2');
    cluster.elect('p2');
    expect(cluster.node('p2').isLeader()).to.equal(true);
    expect(cluster.appliedKeys('p2')).to.deep.equal(['d#1']);
  });

  it('catches up before leading when acceptors have applied far past its first slot', () => {
    const cluster = new TestCluster(membership, { windowSlotsMax: 2, decidedAheadSlotsMax: 8 });
    cluster.elect('p1');
    cluster.cut.add('p1>p2'); // p2, a standby, hears none of it
    for (let seq = 1; seq <= 6; seq += 1) {
      cluster.node('p1').propose(command('c', seq));
      cluster.flush('p1');
      cluster.deliverAll();
    }
    cluster.tick(1); // the last commit notices reach the acceptors
    cluster.deliverAll((e) => e.to !== 'p2');
    cluster.queue = [];
    cluster.nodes.delete('p1'); // the leader dies
    cluster.lapseLeases();
    cluster.node('p2').campaign();
    cluster.flush('p2');
    cluster.deliverAll();
    // Every acceptor applied slots 0-5 (6 > windowSlotsMax below them): none promised yet.
    expect(cluster.node('p2').status().proposerState).to.equal('candidate');
    expect(cluster.appliedKeys('p2')).to.deep.equal(['c#1', 'c#2', 'c#3', 'c#4', 'c#5', 'c#6']);
    cluster.tick(6); // prepareRetryTicks: prepare again, from slot 6
    cluster.deliverAll();
    expect(cluster.node('p2').isLeader()).to.equal(true);
    cluster.node('p2').propose(command('d', 1));
    cluster.flush('p2');
    cluster.deliverAll();
    expect(cluster.appliedKeys('p2').at(-1)).to.equal('d#1');
  });

  it('pipelines up to windowSlotsMax slots and batches up to batchCommandsMax commands per slot', () => {
    const cluster = new TestCluster(membership, { windowSlotsMax: 2, batchCommandsMax: 3 });
    cluster.elect('p1');
    for (let seq = 1; seq <= 10; seq += 1) cluster.node('p1').propose(command('c', seq));
    cluster.flush('p1');
    const accepts = cluster.queue.filter((e) => e.message.type === 'accept' && e.to === 'a1');
    expect(accepts).to.have.length(2);
    cluster.deliverAll();
    const batches = cluster.applied.get('p1')!.map((entry) => entry.commands.length);
    // The first two commands go out at once, one per slot; the rest wait for room and batch up.
    expect(batches).to.deep.equal([1, 1, 3, 3, 2]);
    expect(batches.reduce((a, b) => a + b, 0)).to.equal(10);
    expect(Math.max(...batches)).to.be.at.most(3);
  });

  it('closes a slot at valueBytesMax estimated bytes, and gives a larger command a slot alone', () => {
    const cluster = new TestCluster(membership, { valueBytesMax: 2_000, catchupBytesMax: 2_000 });
    cluster.elect('p1');
    const big = 'x'.repeat(1_000); // ~3 kB estimated: over the budget on its own
    const small = 'y'.repeat(200); // ~0.6 kB estimated: three fit in one slot
    const results = cluster
      .node('p1')
      .proposeAll([
        command('c', 1, small),
        command('c', 2, small),
        command('c', 3, small),
        command('c', 4, small),
        command('c', 5, big),
        command('c', 6, small),
      ]);
    expect(results.every((result) => result.ok)).to.equal(true);
    cluster.flush('p1');
    cluster.deliverAll();
    const batches = cluster.applied.get('p1')!.map((entry) => entry.commands.length);
    expect(batches).to.deep.equal([3, 1, 1, 1]);
    expect(cluster.appliedKeys('p1')).to.have.length(6);
  });

  it('answers not-leader with the leader it knows of, when it is a standby', () => {
    const cluster = new TestCluster(membership, { heartbeatTicks: 1 });
    cluster.elect('p1');
    cluster.tick(1);
    cluster.deliverAll();
    const result = cluster.node('p2').propose(command('c', 1));
    expect(result).to.deep.equal({ ok: false, code: 'not-leader', leaderId: 'p1' });
  });

  it('starts an election after the randomized election timeout without heartbeats', () => {
    const cluster = new TestCluster(membership, { electionTimeoutTicks: 5, heartbeatTicks: 2 });
    cluster.tick(10);
    cluster.deliverAll();
    const leaders = ['p1', 'p2'].filter((id) => cluster.node(id).isLeader());
    expect(leaders).to.have.length(1);
  });

  it('refuses a configuration whose quorums do not intersect (Flexible Paxos: q1 + q2 > n)', () => {
    const build = () =>
      new PaxosNode(
        {
          id: 'p1',
          cluster: {
            proposers: ['p1'],
            acceptors: ['a1', 'a2', 'a3', 'a4'],
            phase1Quorum: 2,
            phase2Quorum: 2,
          },
        },
        { stateMachine: new RecordingStateMachine(), random: createPrng(1) },
      );
    expect(build).to.throw(
      ConfigError,
      /phase-1 quorum \(2\) plus the phase-2 quorum \(2\) must exceed the number of acceptors \(4\)/,
    );
  });

  it('refuses a phase-1 quorum of half the acceptors or fewer (two lives of one proposer must meet)', () => {
    expect(
      () =>
        new PaxosNode(
          {
            id: 'p1',
            cluster: {
              ...membership,
              acceptors: ['a1', 'a2', 'a3', 'a4'],
              phase1Quorum: 2,
              phase2Quorum: 3,
            },
          },
          { stateMachine: new RecordingStateMachine(), random: createPrng(1) },
        ),
    ).to.throw(ConfigError, /more than half the acceptors/);
  });

  it('accepts flexible quorums that intersect (q1 = 4, q2 = 2 of 5)', () => {
    const cluster = new TestCluster({
      ...membership,
      acceptors: ['a1', 'a2', 'a3', 'a4', 'a5'],
      phase1Quorum: 4,
      phase2Quorum: 2,
    });
    cluster.elect('p1');
    cluster.node('p1').propose(command('c', 1));
    cluster.flush('p1');
    cluster.deliverAll((e) => ['a1', 'a2'].includes(e.to) || ['a1', 'a2'].includes(e.from));
    expect(cluster.appliedKeys('p1')).to.deep.equal(['c#1']);
  });
});

import { expect } from 'chai';
import { PaxosNode, RecordingStateMachine, createPrng, type Value } from '../src';
import { TestCluster, command } from './harness';

const membership = { proposers: ['p1'], acceptors: ['a1', 'a2', 'a3'], learners: ['l1'] };
const ballot = { round: 1, proposerId: 'p1' };

describe('learner', () => {
  it('applies strictly in slot order, holding a later slot until the gap is filled', () => {
    const cluster = new TestCluster(membership);
    const learner = cluster.node('l1');
    learner.step('p1', {
      type: 'decide',
      entries: [{ slot: 1, ballot, value: { commands: [command('c', 2)] } }],
    });
    expect(learner.takeReady().applied).to.have.length(0);
    learner.step('p1', {
      type: 'decide',
      entries: [{ slot: 0, ballot, value: { commands: [command('c', 1)] } }],
    });
    expect(learner.takeReady().applied.map((entry) => entry.slot)).to.deep.equal([0, 1]);
  });

  it('sends values to learners that are not acceptors, and acceptors only commit notices', () => {
    const cluster = new TestCluster(membership);
    cluster.elect('p1');
    cluster.node('p1').propose(command('c', 1));
    cluster.flush('p1');
    cluster.deliverAll((e) => e.message.type === 'accept' || e.message.type === 'accepted');
    const decides = cluster.take((e) => e.message.type === 'decide');
    expect(decides.map((e) => e.to)).to.deep.equal(['l1']);
    expect(decides[0]?.message).to.deep.include({
      entries: [{ slot: 0, ballot, value: { commands: [command('c', 1)] } }],
    });
    cluster.tick(1);
    cluster.deliverAll();
    expect(cluster.appliedKeys('a1')).to.deep.equal(['c#1']);
  });

  it('sends a commit notice right before the next Accept while slots are in flight, in one frame', () => {
    const cluster = new TestCluster(membership);
    cluster.elect('p1');
    cluster.node('p1').propose(command('c', 1));
    cluster.flush('p1');
    cluster.node('p1').propose(command('c', 2));
    cluster.flush('p1');
    // Slot 0 is decided while slot 1 is still in flight: under load.
    cluster.deliverAll(
      (e) =>
        (e.message.type === 'accept' && e.message.slot === 0) ||
        (e.message.type === 'accepted' && e.message.slot === 0),
    );
    cluster.take((e) => e.to === 'l1');
    cluster.node('p1').propose(command('c', 3));
    cluster.flush('p1');
    const toA1 = cluster.queue
      .filter((e) => e.to === 'a1' && !(e.message.type === 'accept' && e.message.slot === 1))
      .map((e) => e.message);
    expect(toA1.map((m) => m.type)).to.deep.equal(['decide', 'accept']);
    expect(toA1[0]).to.deep.equal({ type: 'decide', entries: [{ slot: 0, ballot }] });
    cluster.deliverAll();
    // Slots 1 and 2 are decided now; their notices wait for the next Accept or tick.
    expect(cluster.appliedKeys('a1')).to.deep.equal(['c#1']);
  });

  it('sends pending commit notices at the next tick when no accept follows', () => {
    const cluster = new TestCluster(membership);
    cluster.elect('p1');
    cluster.node('p1').propose(command('c', 1));
    cluster.flush('p1');
    cluster.deliverAll((e) => e.message.type !== 'decide');
    expect(cluster.appliedKeys('a2')).to.deep.equal([]);
    cluster.node('p1').tick();
    cluster.flush('p1');
    cluster.deliverAll((e) => e.message.type === 'decide');
    expect(cluster.appliedKeys('a2')).to.deep.equal(['c#1']);
  });

  it('does not apply a commit notice for a ballot its acceptor did not accept in: it catches up', () => {
    const cluster = new TestCluster(membership);
    const acceptor = cluster.node('a1');
    const stale = { commands: [command('old', 1)] };
    acceptor.step('p1', { type: 'accept', ballot, slot: 0, value: stale });
    acceptor.takeReady();
    const chosenIn = { round: 2, proposerId: 'p1' };
    acceptor.step('p1', { type: 'decide', entries: [{ slot: 0, ballot: chosenIn }] });
    const ready = acceptor.takeReady();
    expect(ready.applied).to.have.length(0);
    expect(ready.messages.map((m) => m.message)).to.deep.include({
      type: 'catchup-request',
      fromSlot: 0,
    });
  });

  it('bounds a catch-up reply by catchupBytesMax estimated bytes, one entry at least', () => {
    const cluster = new TestCluster(membership, { valueBytesMax: 1_000, catchupBytesMax: 1_000 });
    const learner = cluster.node('l1');
    const value = (seq: number) => ({ commands: [command('c', seq, 'z'.repeat(150))] }); // ~480 B
    learner.step('p1', {
      type: 'decide',
      entries: [0, 1, 2, 3, 4].map((slot) => ({ slot, ballot, value: value(slot + 1) })),
    });
    learner.takeReady();
    learner.step('a1', { type: 'catchup-request', fromSlot: 0 });
    const [reply] = learner.takeReady().messages;
    expect(reply?.message.type).to.equal('catchup-reply');
    if (reply?.message.type !== 'catchup-reply') return;
    expect(reply.message.entries.map((entry) => entry.slot)).to.deep.equal([0, 1]);
  });

  it('keeps an applied value as retainValue gives it, and serves catch-up with that', () => {
    const retained: Value[] = [];
    // What the runtime's wire encoding does: another object holding the same commands.
    const retainValue = (value: Value): Value => {
      const copy = { commands: value.commands, encodedBytes: 7 };
      retained.push(copy);
      return copy;
    };
    const learner = new PaxosNode(
      { id: 'l1', cluster: membership },
      { stateMachine: new RecordingStateMachine(), random: createPrng(1), retainValue },
    );
    const values = [0, 1].map((slot) => ({ commands: [command('c', slot + 1)] }));
    learner.step('p1', {
      type: 'decide',
      entries: values.map((value, slot) => ({ slot, ballot, value })),
    });
    const applied = learner.takeReady().applied;
    expect(applied.map((entry) => entry.commands.map((c) => c.command))).to.deep.equal(
      values.map((value) => value.commands),
    );
    learner.step('a1', { type: 'catchup-request', fromSlot: 0 });
    const [reply] = learner.takeReady().messages;
    if (reply?.message.type !== 'catchup-reply') throw new Error('expected a catch-up reply');
    expect(reply.message.entries.map((entry) => entry.value)).to.deep.equal(retained);
    expect(reply.message.entries.map((entry) => entry.value)[0]).to.equal(retained[0]);
  });

  it('applies a command decided twice only once (exactly-once, Paxos Made Moderately Complex §3)', () => {
    const cluster = new TestCluster(membership);
    const learner = cluster.node('l1');
    const value = { commands: [command('c', 1)] };
    learner.step('p1', {
      type: 'decide',
      entries: [
        { slot: 0, ballot, value },
        { slot: 1, ballot, value },
      ],
    });
    const applied = learner.takeReady().applied;
    expect(applied.map((entry) => entry.commands[0]?.duplicate)).to.deep.equal([false, true]);
    expect(cluster.appliedKeys('l1')).to.deep.equal(['c#1']);
  });

  it('answers a retried command with the result it had the first time', () => {
    const cluster = new TestCluster(membership);
    const learner = cluster.node('l1');
    const value = { commands: [command('c', 1)] };
    learner.step('p1', {
      type: 'decide',
      entries: [
        { slot: 0, ballot, value },
        { slot: 1, ballot, value },
      ],
    });
    const [first, retry] = learner.takeReady().applied;
    expect(retry?.commands[0]?.result).to.equal(first?.commands[0]?.result);
  });

  it('catches up from a peer after missing decisions (heartbeat says more is decided)', () => {
    const cluster = new TestCluster(membership, { heartbeatTicks: 1 });
    cluster.cut.add('p1>l1');
    cluster.elect('p1');
    for (let seq = 1; seq <= 5; seq += 1) cluster.node('p1').propose(command('c', seq));
    cluster.flush('p1');
    cluster.deliverAll();
    expect(cluster.appliedKeys('l1')).to.deep.equal([]);
    cluster.cut.delete('p1>l1');
    cluster.tick(1);
    cluster.deliverAll();
    expect(cluster.appliedKeys('l1')).to.deep.equal(['c#1', 'c#2', 'c#3', 'c#4', 'c#5']);
  });

  it('a far-behind learner catches up from a snapshot once the log is compacted', () => {
    const cluster = new TestCluster(membership, {
      heartbeatTicks: 1,
      snapshotEverySlots: 3,
      logTailSlots: 1,
    });
    cluster.cut.add('p1>l1');
    cluster.elect('p1');
    for (let seq = 1; seq <= 10; seq += 1) {
      cluster.node('p1').propose(command('c', seq));
      cluster.flush('p1');
      cluster.deliverAll();
    }
    cluster.cut.delete('p1>l1');
    cluster.tick(1);
    cluster.deliverAll();
    expect(cluster.node('l1').status().snapshotThrough).to.be.a('number');
    expect(cluster.appliedKeys('l1')).to.deep.equal(cluster.appliedKeys('p1'));
    expect(cluster.appliedKeys('l1')).to.have.length(10);
  });

  it('an acceptor compacts what its learner snapshotted, and keeps it across a restart', () => {
    const cluster = new TestCluster(membership, { snapshotEverySlots: 2, logTailSlots: 1 });
    cluster.elect('p1');
    for (let seq = 1; seq <= 6; seq += 1) {
      cluster.node('p1').propose(command('c', seq));
      cluster.flush('p1');
      cluster.deliverAll();
    }
    cluster.tick(1);
    cluster.deliverAll();
    const restarted = cluster.start('a1');
    expect(restarted.status().snapshotThrough).to.be.at.least(1);
    expect(restarted.status().acceptedSlots).to.be.below(6);
  });
});

import { expect } from 'chai';
import { TestCluster } from './harness';

const membership = { proposers: ['p1', 'p2'], acceptors: ['a1', 'a2', 'a3'] };

describe('acceptor', () => {
  it('promises a ballot higher than any it has promised (Paxos Made Simple §2.2, P1a)', () => {
    const cluster = new TestCluster(membership);
    cluster.node('p1').campaign();
    cluster.flush('p1');
    const [prepare] = cluster.take((e) => e.to === 'a1');
    cluster.deliverOne(prepare!);
    const [reply] = cluster.take((e) => e.from === 'a1');
    expect(reply?.message.type).to.equal('promise');
    expect(cluster.node('a1').status().promised).to.deep.equal({ round: 1, proposerId: 'p1' });
  });

  it('refuses a prepare below its promise with a nack carrying the promise (P1a)', () => {
    const cluster = new TestCluster(membership);
    const high = { round: 5, proposerId: 'p2' };
    cluster.node('a1').step('p2', { type: 'prepare', ballot: high, fromSlot: 0 });
    cluster.flush('a1');
    cluster.queue = [];
    cluster
      .node('a1')
      .step('p1', { type: 'prepare', ballot: { round: 4, proposerId: 'p1' }, fromSlot: 0 });
    cluster.flush('a1');
    const [reply] = cluster.take(() => true);
    expect(reply?.message).to.deep.include({ type: 'nack', promised: high });
  });

  it('refuses an accept below its promise (P1a)', () => {
    const cluster = new TestCluster(membership);
    cluster
      .node('a1')
      .step('p2', { type: 'prepare', ballot: { round: 5, proposerId: 'p2' }, fromSlot: 0 });
    cluster.flush('a1');
    cluster.queue = [];
    const value = { commands: [{ clientId: 'c', seq: 1, payload: 1 }] };
    cluster
      .node('a1')
      .step('p1', { type: 'accept', ballot: { round: 4, proposerId: 'p1' }, slot: 0, value });
    cluster.flush('a1');
    expect(cluster.take(() => true)[0]?.message.type).to.equal('nack');
    expect(cluster.node('a1').status().acceptedSlots).to.equal(0);
  });

  it('reports every value accepted from the prepare slot on, with its ballot (P1b)', () => {
    const cluster = new TestCluster(membership);
    const b1 = { round: 1, proposerId: 'p1' };
    const value = { commands: [{ clientId: 'c', seq: 1, payload: 1 }] };
    for (const slot of [0, 3, 7])
      cluster.node('a1').step('p1', { type: 'accept', ballot: b1, slot, value });
    cluster.flush('a1');
    cluster.lapseLeases(['a1']); // p1 has gone quiet: a1 may promise another proposer
    cluster.queue = [];
    cluster
      .node('a1')
      .step('p2', { type: 'prepare', ballot: { round: 2, proposerId: 'p2' }, fromSlot: 3 });
    cluster.flush('a1');
    const promise = cluster.take(() => true)[0]?.message;
    expect(promise?.type).to.equal('promise');
    if (promise?.type !== 'promise') return;
    expect(promise.accepted.map((entry) => entry.slot)).to.deep.equal([3, 7]);
    expect(promise.accepted[0]?.ballot).to.deep.equal(b1);
  });

  it('hands its promise and accepted value to persist in the same Ready as its reply', () => {
    const cluster = new TestCluster(membership);
    const ballot = { round: 1, proposerId: 'p1' };
    const node = cluster.node('a1');
    node.step('p1', { type: 'prepare', ballot, fromSlot: 0 });
    let ready = node.takeReady();
    expect(ready.persist?.promised).to.deep.equal(ballot);
    expect(ready.messages).to.have.length(1);
    node.step('p1', { type: 'accept', ballot, slot: 0, value: { commands: [] } });
    ready = node.takeReady();
    expect(ready.persist?.accepted).to.have.length(1);
    expect(ready.messages[0]?.message.type).to.equal('accepted');
  });

  it('keeps its promise and accepted values across a restart from persisted state', () => {
    const cluster = new TestCluster(membership);
    const ballot = { round: 3, proposerId: 'p2' };
    cluster.node('a1').step('p2', { type: 'prepare', ballot, fromSlot: 0 });
    cluster.node('a1').step('p2', { type: 'accept', ballot, slot: 2, value: { commands: [] } });
    cluster.flush('a1');
    const restarted = cluster.start('a1');
    expect(restarted.status().promised).to.deep.equal(ballot);
    expect(restarted.status().acceptedSlots).to.equal(1);
  });

  it('forgets its promise on restart only under the planted bug acceptor-forgets-promise', () => {
    const cluster = new TestCluster(membership, {}, 'acceptor-forgets-promise');
    cluster
      .node('a1')
      .step('p2', { type: 'prepare', ballot: { round: 3, proposerId: 'p2' }, fromSlot: 0 });
    cluster.flush('a1');
    expect(cluster.start('a1').status().promised).to.deep.equal({ round: 0, proposerId: '' });
  });

  it('answers a prepare in parts when the accepted entries outgrow catchupBytesMax', () => {
    const cluster = new TestCluster(membership, { valueBytesMax: 600, catchupBytesMax: 600 });
    const acceptor = cluster.node('a1');
    const b1 = { round: 1, proposerId: 'p1' };
    for (const slot of [0, 1, 2]) {
      const value = { commands: [{ clientId: 'c', seq: slot + 1, payload: 'v'.repeat(150) }] };
      acceptor.step('p1', { type: 'accept', ballot: b1, slot, value });
    }
    acceptor.takeReady();
    cluster.lapseLeases(['a1']);
    acceptor.step('p2', { type: 'prepare', ballot: { round: 2, proposerId: 'p2' }, fromSlot: 0 });
    const promises = acceptor.takeReady().messages.map((m) => m.message);
    // ~480 estimated bytes per entry: one entry per part.
    expect(promises.map((m) => (m.type === 'promise' ? [m.part, m.parts] : m.type))).to.deep.equal([
      [0, 3],
      [1, 3],
      [2, 3],
    ]);
  });
});

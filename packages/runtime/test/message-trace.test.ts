import { expect } from 'chai';
import type { Message } from '@evpaxos/paxos';
import { MessageTrace } from '../src/message-trace';

const ballot = { round: 3, proposerId: 'central-b' };

describe('message trace ring', () => {
  it('records a standby pre-vote and whether each acceptor granted it', () => {
    const trace = new MessageTrace('central-b', 10, () => 1_000);
    trace.record('send', 'cp1', { type: 'pre-vote', ballot });
    trace.record('recv', 'cp1', { type: 'pre-vote-reply', ballot, granted: false });
    const events = trace.read(0, 10, true).events;
    expect(events.map((event) => [event.dir, event.type, event.from, event.to])).to.deep.equal([
      ['send', 'pre-vote', 'central-b', 'cp1'],
      ['recv', 'pre-vote-reply', 'cp1', 'central-b'],
    ]);
    expect(events[1]?.granted).to.equal(false);
  });

  it('leaves heartbeats out and keeps only the newest events, counting what a slow reader missed', () => {
    const trace = new MessageTrace('central-a', 2, () => 1_000);
    expect(trace.record('send', 'cp1', { type: 'heartbeat', ballot, decidedBelow: 0 })).to.equal(
      undefined,
    );
    for (let slot = 0; slot < 4; slot += 1) {
      trace.record('send', 'cp1', { type: 'accepted', ballot, slot });
    }
    expect(trace.read(1, 10, true).events.map((event) => event.slot)).to.deep.equal([2, 3]);
    expect(trace.read(1, 10, true).missed).to.equal(1);
  });
});

const ballotA = { round: 2, proposerId: 'central-a' };

describe('MessageTrace: the six phases', () => {
  const ballot = ballotA;
  it('records the six Paxos phases with ballot, slot, sender and receiver, and leaves heartbeats out', () => {
    let nowMs = 1_000;
    const trace = new MessageTrace('central-a', 100, () => (nowMs += 1));
    const messages: Message[] = [
      { type: 'prepare', ballot, fromSlot: 4 },
      { type: 'heartbeat', ballot, decidedBelow: 4 },
      { type: 'accept', ballot, slot: 4, value: { commands: [] } as never },
      {
        type: 'decide',
        entries: [
          { slot: 4, ballot },
          { slot: 5, ballot },
        ],
      },
    ];
    for (const message of messages) trace.record('send', 'cp1', message);
    trace.record('recv', 'cp1', { type: 'promise', ballot, accepted: [], truncatedBelow: 0 });
    trace.record('recv', 'cp2', { type: 'accepted', ballot, slot: 4 });
    trace.record('recv', 'cp3', {
      type: 'nack',
      ballot,
      promised: { round: 3, proposerId: 'central-b' },
      leaseLive: true,
    });
    const { events, on, lastSeq, missed } = trace.read(0, 100, true);
    expect(on).to.equal(true);
    expect(missed).to.equal(0);
    expect(lastSeq).to.equal(6);
    expect(events.map((e) => [e.dir, e.type, e.from, e.to, e.slot])).to.deep.equal([
      ['send', 'prepare', 'central-a', 'cp1', 4],
      ['send', 'accept', 'central-a', 'cp1', 4],
      ['send', 'decide', 'central-a', 'cp1', 4],
      ['recv', 'promise', 'cp1', 'central-a', null],
      ['recv', 'accepted', 'cp2', 'central-a', 4],
      ['recv', 'nack', 'cp3', 'central-a', null],
    ]);
    expect(events[2]?.slots).to.deep.equal([4, 5]);
    expect(events[5]).to.include({ leaseLive: true });
    expect(events[5]?.promised).to.deep.equal({ round: 3, proposerId: 'central-b' });
    expect(events.every((e, i) => i === 0 || e.atMs > (events[i - 1]?.atMs ?? 0))).to.equal(true);
  });

  it('keeps at most keptMax events and tells a reader that fell behind how many it missed', () => {
    const trace = new MessageTrace('cp1', 3);
    for (let slot = 0; slot < 5; slot += 1) {
      trace.record('send', 'central-a', { type: 'accepted', ballot, slot });
    }
    const all = trace.read(0, 100, true);
    expect(all.events.map((e) => e.slot)).to.deep.equal([2, 3, 4]);
    const behind = trace.read(1, 100, true);
    expect(behind.missed, 'seq 2 (slot 1) was dropped before it read').to.equal(1);
    const paged = trace.read(2, 2, false);
    expect(paged.events.map((e) => e.seq)).to.deep.equal([3, 4]);
    expect(paged.lastSeq).to.equal(4);
    expect(paged.on).to.equal(false);
  });
});

import { expect } from 'chai';
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

import { expect } from 'chai';
import type { PersistDelta, Ready } from '@evpaxos/paxos';
import { ReadyPipeline } from '../src/ready-pipeline';

/** A store whose appends resolve only when the test says so. */
class SlowStore {
  readonly pending: { delta: PersistDelta; resolve: () => void; reject: (e: Error) => void }[] = [];
  readonly durable: number[] = [];

  append = (delta: PersistDelta): Promise<void> =>
    new Promise((resolve, reject) => {
      this.pending.push({
        delta,
        resolve: () => {
          this.durable.push(delta.accepted[0]?.slot ?? -1);
          resolve();
        },
        reject,
      });
    });
}

function readyFor(slot: number, persist: boolean): Ready {
  return {
    persist: persist
      ? { accepted: [{ slot, ballot: { round: 1, proposerId: 'a' }, value: { commands: [] } }] }
      : undefined,
    messages: [
      {
        to: 'central-a',
        message: { type: 'heartbeat-ack', ballot: { round: 1, proposerId: 'a' } } as never,
      },
    ],
    applied: [],
    events: [],
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ReadyPipeline', () => {
  it('sends no message before its persist is durable', async () => {
    const store = new SlowStore();
    const sent: number[] = [];
    const pipeline = new ReadyPipeline({
      persist: store.append,
      send: (ready) => {
        const slot = ready.persist?.accepted[0]?.slot ?? -1;
        // The invariant under test: the Ready's own persist resolved before its send.
        expect(store.durable).to.include(slot);
        sent.push(slot);
      },
      deliver: () => undefined,
      fail: (error) => {
        throw error;
      },
    });
    pipeline.push(readyFor(0, true));
    await settle();
    expect(sent).to.deep.equal([]);
    store.pending[0]?.resolve();
    await settle();
    expect(sent).to.deep.equal([0]);
  });

  it('starts later persists at once but keeps sends in order (group commit)', async () => {
    const store = new SlowStore();
    const order: string[] = [];
    const pipeline = new ReadyPipeline({
      persist: store.append,
      send: (ready) => order.push(`send ${ready.persist?.accepted[0]?.slot ?? 'none'}`),
      deliver: (ready) => order.push(`deliver ${ready.persist?.accepted[0]?.slot ?? 'none'}`),
      fail: (error) => {
        throw error;
      },
    });
    pipeline.push(readyFor(0, true));
    pipeline.push(readyFor(1, true));
    pipeline.push(readyFor(9, false));
    // Both appends were issued before either is durable: the store can sync them together.
    expect(store.pending).to.have.length(2);
    expect(pipeline.depth).to.equal(3);
    // The later batch becomes durable first: it must still wait for the earlier one.
    store.pending[1]?.resolve();
    await settle();
    expect(order).to.deep.equal([]);
    store.pending[0]?.resolve();
    await pipeline.drain();
    expect(order).to.deep.equal([
      'send 0',
      'deliver 0',
      'send 1',
      'deliver 1',
      'send none',
      'deliver none',
    ]);
    expect(pipeline.depth).to.equal(0);
  });

  it('sends nothing more once a persist fails, and reports it once', async () => {
    const store = new SlowStore();
    const sent: number[] = [];
    const failures: unknown[] = [];
    const pipeline = new ReadyPipeline({
      persist: store.append,
      send: (ready) => sent.push(ready.persist?.accepted[0]?.slot ?? -1),
      deliver: () => undefined,
      fail: (error) => failures.push(error),
    });
    pipeline.push(readyFor(0, true));
    pipeline.push(readyFor(1, true));
    store.pending[0]?.reject(new Error('disk full'));
    store.pending[1]?.resolve();
    await pipeline.drain();
    pipeline.push(readyFor(2, false));
    await pipeline.drain();
    expect(sent).to.deep.equal([]);
    expect(failures).to.have.length(1);
  });
});

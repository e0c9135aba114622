import { expect } from 'chai';
import type { AppliedEntry } from '@evpaxos/paxos';
import { AppliedLog, ClientCalls } from '../src';

const ballot = { round: 1, proposerId: 'central-a' };

function applied(slot: number, clientId: string, seq: number): AppliedEntry {
  return {
    slot,
    ballot,
    commands: [{ command: { clientId, seq, payload: null }, result: { slot }, duplicate: false }],
  };
}

describe('ClientCalls', () => {
  it('answers every waiter of a (clientId, seq) with the applied result', async () => {
    const calls = new ClientCalls({ pendingMax: 10, timeoutMs: 1_000 });
    const first = calls.wait('c', 1);
    const retry = calls.wait('c', 1);
    expect(calls.pending).to.equal(2);
    calls.settleApplied([applied(4, 'c', 1)]);
    expect(await first).to.deep.equal({
      ok: true,
      slot: 4,
      ballot,
      result: { slot: 4 },
      duplicate: false,
    });
    expect(await retry).to.deep.equal(await first);
    expect(calls.pending).to.equal(0);
  });

  it('times a call out after timeoutMs', async () => {
    const calls = new ClientCalls({ pendingMax: 10, timeoutMs: 5 });
    expect(await calls.wait('c', 1)).to.deep.equal({ ok: false, code: 'timeout' });
    expect(calls.pending).to.equal(0);
  });

  it('is full at pendingMax and rejects all on step-down', async () => {
    const calls = new ClientCalls({ pendingMax: 2, timeoutMs: 1_000 });
    const waits = [calls.wait('c', 1), calls.wait('c', 2)];
    expect(calls.isFull()).to.equal(true);
    calls.rejectAll({ ok: false, code: 'not-leader', leaderId: 'central-b' });
    for (const outcome of await Promise.all(waits)) {
      expect(outcome).to.deep.equal({ ok: false, code: 'not-leader', leaderId: 'central-b' });
    }
    expect(calls.isFull()).to.equal(false);
  });
});

describe('AppliedLog', () => {
  it('keeps the last `capacity` entries and reads from a slot, skipping gaps', () => {
    const log = new AppliedLog(3);
    for (const slot of [0, 1, 5, 6, 7]) log.push(applied(slot, 'c', slot + 1));
    expect(log.length).to.equal(3);
    expect(log.read(0, 10).map((entry) => entry.slot)).to.deep.equal([5, 6, 7]);
    expect(log.read(6, 10).map((entry) => entry.slot)).to.deep.equal([6, 7]);
    expect(log.read(2, 1).map((entry) => entry.slot)).to.deep.equal([5]);
    expect(log.read(8, 10)).to.deep.equal([]);
  });

  it('refuses a slot that does not ascend (an invariant of the learner)', () => {
    const log = new AppliedLog(3);
    log.push(applied(2, 'c', 1));
    expect(() => log.push(applied(2, 'c', 2))).to.throw(/Invariant/);
  });
});

import { expect } from 'chai';
import type { AppliedEntry } from '@evpaxos/paxos';
import { AppliedLog } from '../src/applied-log';
import { ClientCalls, type CallOutcome, type SettleCall } from '../src/client-calls';

const ballot = { round: 1, proposerId: 'central-a' };

function applied(slot: number, clientId: string, seq: number): AppliedEntry {
  return {
    slot,
    ballot,
    commands: [{ command: { clientId, seq, payload: null }, result: { slot }, duplicate: false }],
  };
}

/** A waiter's outcomes, in the order they came (each call should get exactly one). */
function outcomes(): { settle: SettleCall; got: CallOutcome[] } {
  const got: CallOutcome[] = [];
  return { settle: (outcome) => got.push(outcome), got };
}

describe('ClientCalls', () => {
  it('answers every waiter of a (clientId, seq) with the applied result, once', () => {
    const calls = new ClientCalls({ pendingMax: 10, timeoutMs: 1_000 });
    const first = outcomes();
    const retry = outcomes();
    calls.wait('c', 1, first.settle);
    calls.wait('c', 1, retry.settle);
    expect(calls.pending).to.equal(2);
    calls.settleApplied([applied(4, 'c', 1)]);
    expect(first.got).to.deep.equal([
      { ok: true, slot: 4, ballot, result: { slot: 4 }, duplicate: false },
    ]);
    expect(retry.got).to.deep.equal(first.got);
    expect(calls.pending).to.equal(0);
    calls.settleApplied([applied(5, 'c', 1)]);
    calls.expire(Number.MAX_SAFE_INTEGER);
    expect(first.got).to.have.length(1);
  });

  it('times a call out once timeoutMs has passed, at the next sweep, oldest first', () => {
    const calls = new ClientCalls({ pendingMax: 10, timeoutMs: 100 });
    const early = outcomes();
    const late = outcomes();
    calls.wait('c', 1, early.settle, 1_000);
    calls.wait('c', 2, late.settle, 1_050);
    calls.expire(1_099);
    expect(early.got).to.deep.equal([]);
    calls.expire(1_100);
    expect(early.got).to.deep.equal([{ ok: false, code: 'timeout' }]);
    expect(late.got).to.deep.equal([]);
    expect(calls.pending).to.equal(1);
    // Applied after its timeout: nobody waits for it any more.
    calls.settleApplied([applied(4, 'c', 1)]);
    expect(early.got).to.have.length(1);
    calls.expire(1_150);
    expect(late.got).to.deep.equal([{ ok: false, code: 'timeout' }]);
    expect(calls.pending).to.equal(0);
  });

  it('times out one waiter of a retried key and answers the others of its chain when it applies', () => {
    const calls = new ClientCalls({ pendingMax: 10, timeoutMs: 100 });
    const [a, b, c] = [outcomes(), outcomes(), outcomes()];
    calls.wait('c', 1, a.settle, 1_000);
    calls.wait('c', 1, b.settle, 1_050);
    calls.wait('c', 1, c.settle, 1_060);
    calls.expire(1_100); // the first of the chain
    expect(a.got).to.deep.equal([{ ok: false, code: 'timeout' }]);
    calls.expire(1_155); // one in the middle: the chain before and after it stays
    expect(b.got).to.deep.equal([{ ok: false, code: 'timeout' }]);
    calls.settleApplied([applied(7, 'c', 1)]);
    expect(c.got).to.deep.equal([
      { ok: true, slot: 7, ballot, result: { slot: 7 }, duplicate: false },
    ]);
    expect(calls.pending).to.equal(0);
    expect([a, b].map(({ got }) => got.length)).to.deep.equal([1, 1]);
  });

  it('keeps several seqs of one client apart, with retries, timeouts and applies in any order', () => {
    const calls = new ClientCalls({ pendingMax: 10, timeoutMs: 100 });
    const [one, two, twoAgain, three, other] = [
      outcomes(),
      outcomes(),
      outcomes(),
      outcomes(),
      outcomes(),
    ];
    calls.wait('c', 1, one.settle, 1_000);
    calls.wait('c', 2, two.settle, 1_010);
    calls.wait('d', 2, other.settle, 1_010);
    calls.wait('c', 2, twoAgain.settle, 1_020);
    calls.wait('c', 3, three.settle, 1_030);
    calls.settleApplied([applied(5, 'c', 2)]);
    expect(two.got).to.deep.equal([
      { ok: true, slot: 5, ballot, result: { slot: 5 }, duplicate: false },
    ]);
    expect(twoAgain.got).to.deep.equal(two.got);
    expect(other.got, 'another client with the same seq').to.deep.equal([]);
    calls.expire(1_100);
    expect(one.got).to.deep.equal([{ ok: false, code: 'timeout' }]);
    calls.settleApplied([applied(6, 'c', 1), applied(7, 'c', 3), applied(8, 'd', 2)]);
    expect(one.got, 'timed out before it applied').to.have.length(1);
    expect(three.got.map((outcome) => outcome.ok && outcome.slot)).to.deep.equal([7]);
    expect(other.got.map((outcome) => outcome.ok && outcome.slot)).to.deep.equal([8]);
    expect(calls.pending).to.equal(0);
    // The client's entry is gone: a new wait for it starts afresh.
    const again = outcomes();
    calls.wait('c', 1, again.settle, 2_000);
    calls.settleApplied([applied(9, 'c', 1)]);
    expect(again.got.map((outcome) => outcome.ok && outcome.slot)).to.deep.equal([9]);
  });

  it('observes submit → applied milliseconds of first applications only', () => {
    const observed: number[] = [];
    const calls = new ClientCalls({
      pendingMax: 10,
      timeoutMs: 1_000,
      observeCommitMs: (ms) => observed.push(ms),
    });
    const startedAtMs = performance.now() - 40;
    calls.wait('c', 1, outcomes().settle, startedAtMs + 5, startedAtMs);
    calls.wait('c', 2, outcomes().settle, startedAtMs + 5, startedAtMs);
    calls.settleApplied([
      applied(1, 'c', 1),
      {
        ...applied(2, 'c', 2),
        commands: [
          { command: { clientId: 'c', seq: 2, payload: null }, result: null, duplicate: true },
        ],
      },
    ]);
    expect(observed).to.have.length(1);
    expect(observed[0]).to.be.at.least(40);
  });

  it('is full at pendingMax and rejects all on step-down', () => {
    const calls = new ClientCalls({ pendingMax: 2, timeoutMs: 1_000 });
    const waits = [outcomes(), outcomes()];
    calls.wait('c', 1, (waits[0] as ReturnType<typeof outcomes>).settle);
    calls.wait('c', 2, (waits[1] as ReturnType<typeof outcomes>).settle);
    expect(calls.isFull()).to.equal(true);
    calls.rejectAll({ ok: false, code: 'not-leader', leaderId: 'central-b' });
    for (const { got } of waits) {
      expect(got).to.deep.equal([{ ok: false, code: 'not-leader', leaderId: 'central-b' }]);
    }
    expect(calls.isFull()).to.equal(false);
    calls.expire(Number.MAX_SAFE_INTEGER);
    expect(waits.map(({ got }) => got.length)).to.deep.equal([1, 1]);
  });
});

/** A slot applied with `commands` commands of client 'c'. */
function slotOf(slot: number, commands: number): AppliedEntry {
  return {
    slot,
    ballot,
    commands: Array.from({ length: commands }, (_, index) => ({
      command: { clientId: 'c', seq: slot * 10 + index + 1, payload: null },
      result: null,
      duplicate: false,
    })),
  };
}

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

  it('keeps at most commandsMax commands, dropping the oldest slots, and always the latest slot', () => {
    const log = new AppliedLog(100, 3);
    log.push(slotOf(0, 1));
    log.push(slotOf(1, 2));
    expect([log.length, log.commands]).to.deep.equal([2, 3]);
    log.push(slotOf(2, 1));
    expect(log.read(0, 10).map((entry) => entry.slot)).to.deep.equal([1, 2]);
    log.push(slotOf(3, 5));
    expect(log.read(0, 10).map((entry) => entry.slot)).to.deep.equal([3]);
    expect(log.commands).to.equal(5);
    log.push(slotOf(4, 0));
    expect(log.read(0, 10).map((entry) => entry.slot)).to.deep.equal([4]);
  });

  it('grows its ring as entries come and keeps the same entries as a plain list would, drops before and after it is full', () => {
    const capacity = 4;
    const commandsMax = 6;
    const log = new AppliedLog(capacity, commandsMax);
    const model: { slot: number; commands: number }[] = [];
    // Command counts chosen so that commandsMax drops the oldest both while the ring is still
    // growing (slots 1-3) and after it has wrapped.
    const counts = [1, 4, 3, 1, 1, 1, 1, 2, 0, 5, 1, 1, 1, 1, 1, 3, 2];
    counts.forEach((commands, slot) => {
      log.push(slotOf(slot, commands));
      model.push({ slot, commands });
      if (model.length > capacity) model.shift();
      const total = () => model.reduce((sum, entry) => sum + entry.commands, 0);
      while (model.length > 1 && total() > commandsMax) model.shift();
      expect(log.read(0, 100).map((entry) => entry.slot)).to.deep.equal(
        model.map((entry) => entry.slot),
      );
      expect(log.commands).to.equal(total());
    });
  });

  it('refuses a slot that does not ascend (an invariant of the learner)', () => {
    const log = new AppliedLog(3);
    log.push(applied(2, 'c', 1));
    expect(() => log.push(applied(2, 'c', 2))).to.throw(/Invariant/);
  });
});

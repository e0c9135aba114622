import { expect } from 'chai';
import type { ProposeResult } from '@evpaxos/paxos';
import { ClientCalls, type CallOutcome, type SettleCall } from '../src/client-calls';
import { ElectionHold, electionHoldMs, settleProposed } from '../src/election-hold';

function outcomes(): { settle: SettleCall; got: CallOutcome[] } {
  const got: CallOutcome[] = [];
  return { settle: (outcome) => got.push(outcome), got };
}

const command = (seq: number) => ({ clientId: 'c', seq, payload: null });

describe('ElectionHold: client calls during an election', () => {
  it('holds a call the core refused with no leader to name, and proposes it once this node leads', () => {
    const calls = new ClientCalls({ pendingMax: 10, timeoutMs: 10_000 });
    const hold = new ElectionHold(1_500);
    const call = outcomes();
    const refused: ProposeResult = { ok: false, code: 'not-leader', leaderId: undefined };
    settleProposed(
      [{ command: command(1), settle: call.settle, startedAtMs: 0 }],
      [refused],
      calls,
      hold,
    );
    expect(call.got, 'not answered yet').to.deep.equal([]);
    expect(hold.size).to.equal(1);
    const again = hold.takeAll();
    expect(again.map((c) => c.command)).to.deep.equal([command(1)]);
    settleProposed(again, [{ ok: true }], calls, hold);
    expect(calls.pending, 'now waits to be applied').to.equal(1);
    expect(hold.size).to.equal(0);
  });

  it('answers at once when the core names a leader, or when no hold is given (a charge point)', () => {
    const calls = new ClientCalls({ pendingMax: 10, timeoutMs: 10_000 });
    const hold = new ElectionHold(1_500);
    const named = outcomes();
    const noHold = outcomes();
    settleProposed(
      [{ command: command(1), settle: named.settle, startedAtMs: 0 }],
      [{ ok: false, code: 'not-leader', leaderId: 'central-b' }],
      calls,
      hold,
    );
    settleProposed(
      [{ command: command(2), settle: noHold.settle, startedAtMs: 0 }],
      [{ ok: false, code: 'not-leader', leaderId: undefined }],
      calls,
      undefined,
    );
    expect(named.got).to.deep.equal([{ ok: false, code: 'not-leader', leaderId: 'central-b' }]);
    expect(noHold.got).to.deep.equal([{ ok: false, code: 'not-leader', leaderId: null }]);
    expect(hold.size).to.equal(0);
  });

  it('tells every held call of the leader it hears of', () => {
    const hold = new ElectionHold(1_500);
    const a = outcomes();
    const b = outcomes();
    hold.hold({ command: command(1), settle: a.settle, startedAtMs: 0 }, 0);
    hold.hold({ command: command(2), settle: b.settle, startedAtMs: 0 }, 10);
    hold.answerAll('central-b');
    for (const call of [a, b]) {
      expect(call.got).to.deep.equal([{ ok: false, code: 'not-leader', leaderId: 'central-b' }]);
    }
    expect(hold.size).to.equal(0);
  });

  it('holds a call no longer than its hold time, then says no leader is known', () => {
    const hold = new ElectionHold(1_500);
    const early = outcomes();
    const late = outcomes();
    hold.hold({ command: command(1), settle: early.settle, startedAtMs: 0 }, 0);
    hold.hold({ command: command(2), settle: late.settle, startedAtMs: 0 }, 1_000);
    expect(hold.nextDeadlineMs()).to.equal(1_500);
    hold.expire(1_499);
    expect(early.got).to.deep.equal([]);
    hold.expire(1_500);
    expect(early.got).to.deep.equal([{ ok: false, code: 'not-leader', leaderId: null }]);
    expect(late.got).to.deep.equal([]);
    expect(hold.nextDeadlineMs()).to.equal(2_500);
    hold.answerAll(null, 'closed');
    expect(late.got).to.deep.equal([{ ok: false, code: 'closed' }]);
    expect(hold.nextDeadlineMs()).to.equal(Number.POSITIVE_INFINITY);
  });

  it('holds for a standby election timeout with its jitter (1.5 s at 10 ms ticks)', () => {
    expect(electionHoldMs(10)).to.equal(1_500);
  });
});

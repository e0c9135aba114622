import { expect } from 'chai';
import type { Ballot } from '@evpaxos/paxos';
import type { CallOutcome } from '../src/client-calls';
import { ClientFrameBatch, clientPackr } from '../src/client-frames';
import {
  positionalAnswer,
  positionalFrameRefusal,
  readClientVersion,
  readPositionalRequest,
  type PositionalResult,
} from '../src/client-versions';
import type { ClusterNode } from '../src/cluster-node';

/** Only urlOf is read, for a not-leader answer. */
const node = { urlOf: (id: string | null) => (id ? `http://${id}:1` : null) } as ClusterNode;

describe('the /client protocol versions', () => {
  describe('readClientVersion', () => {
    it('reads version 1 without the parameter, and 1 or 2 when asked', () => {
      expect(readClientVersion('/client')).to.deep.equal({ ok: true, version: 1 });
      expect(readClientVersion(undefined)).to.deep.equal({ ok: true, version: 1 });
      expect(readClientVersion('/client?version=1')).to.deep.equal({ ok: true, version: 1 });
      expect(readClientVersion('/client?version=2')).to.deep.equal({ ok: true, version: 2 });
    });

    it('refuses an unknown, malformed or repeated version with a reason naming what it speaks', () => {
      for (const [url, got] of [
        ['/client?version=3', '"3"'],
        ['/client?version=', '""'],
        ['/client?version=two', '"two"'],
        ['/client?version=2.0', '"2.0"'],
        ['/client?version=1&version=2', '2 version parameters'],
      ] as const) {
        const read = readClientVersion(url);
        expect(read.ok, url).to.equal(false);
        if (!read.ok) {
          expect(read.reason).to.equal(
            `Unsupported /client protocol version (got ${got}): this central speaks versions 1 and 2.`,
          );
        }
      }
    });
  });

  describe('readPositionalRequest', () => {
    it('reads [requestId, clientId, seq, payload]', () => {
      expect(readPositionalRequest([7, 'lane-1', 3, { type: 'Noop' }])).to.deep.equal({
        ok: true,
        requestId: 7,
        payload: { type: 'Noop' },
        client: { clientId: 'lane-1', seq: 3 },
      });
    });

    it('refuses a bad request with its requestId when it has an integer one, and says why', () => {
      const cases: [unknown, number | null, RegExp][] = [
        [{ requestId: 1 }, null, /must be an array \[requestId, clientId, seq, payload\]/],
        ['text', null, /must be an array/],
        [[1, 'c', 1], 1, /array of 4 items .* \(got 3\)/],
        [[1, 'c', 1, 'p', 'extra'], 1, /\(got 5\)/],
        [['1', 'c', 1, 'p'], null, /requestId must be an integer/],
        [[1.5, 'c', 1, 'p'], null, /requestId must be an integer/],
        [[2, '', 1, 'p'], 2, /clientId must be a string of 1 to 128 characters/],
        [[3, 'c', 0, 'p'], 3, /seq must be a whole number of at least 1/],
        [[4, null, 1, 'p'], 4, /clientId must be a string/],
        [[6, undefined, undefined, 'p'], 6, /needs clientId and seq/],
        [[5, 'c', 1, undefined], 5, /needs a payload/],
      ];
      for (const [request, requestId, reason] of cases) {
        const read = readPositionalRequest(request);
        expect(read.ok, JSON.stringify(request)).to.equal(false);
        if (!read.ok) {
          expect(read.requestId, JSON.stringify(request)).to.equal(requestId);
          expect(read.reason, JSON.stringify(request)).to.match(reason);
        }
      }
    });
  });

  describe('positionalFrameRefusal', () => {
    it('takes an array of 1 to 4096 requests and refuses anything else whole', () => {
      expect(positionalFrameRefusal([[1, 'c', 1, 'p']])).to.equal(undefined);
      expect(positionalFrameRefusal(new Array(4096).fill(0))).to.equal(undefined);
      expect(positionalFrameRefusal([])).to.match(/1 to 4096 requests .*\(got an array of 0\)/);
      expect(positionalFrameRefusal(new Array(4097).fill(0))).to.match(/got an array of 4097/);
      expect(positionalFrameRefusal({ type: 'submit' })).to.match(/got not an array/);
    });
  });

  describe('positionalAnswer', () => {
    const ballot: Ballot = { round: 4, proposerId: 'central-a' };

    it('answers a result as [requestId, slot, [round, proposerId], result, duplicate], one ballot array per ballot', () => {
      const ok = (slot: number, b: Ballot): CallOutcome => ({
        ok: true,
        slot,
        ballot: b,
        result: { ok: false, code: 'unknown-transaction' },
        duplicate: slot === 2,
      });
      const first = positionalAnswer(1, ok(1, ballot), node);
      const second = positionalAnswer(2, ok(2, ballot), node);
      expect(first).to.deep.equal([
        1,
        1,
        [4, 'central-a'],
        { ok: false, code: 'unknown-transaction' },
        false,
      ]);
      expect(second).to.deep.equal([
        2,
        2,
        [4, 'central-a'],
        { ok: false, code: 'unknown-transaction' },
        true,
      ]);
      // The same ballot object: the same array (no copy per answer).
      expect((first as PositionalResult)[2]).to.equal((second as PositionalResult)[2]);
      const next = positionalAnswer(3, ok(3, { round: 5, proposerId: 'central-b' }), node);
      expect((next as PositionalResult)[2]).to.deep.equal([5, 'central-b']);
    });

    it("answers an error with version 1's map", () => {
      expect(
        positionalAnswer(9, { ok: false, code: 'not-leader', leaderId: 'central-b' }, node),
      ).to.deep.equal({
        type: 'error',
        requestId: 9,
        code: 'not-leader',
        leaderId: 'central-b',
        leaderUrl: 'http://central-b:1',
      });
      expect(positionalAnswer(10, { ok: false, code: 'timeout' }, node)).to.deep.equal({
        type: 'error',
        requestId: 10,
        code: 'timeout',
      });
    });
  });

  it('a version 2 outbox sends even a lone answer as an array', async () => {
    const frames: unknown[] = [];
    const batch = new ClientFrameBatch<unknown>((frame) => frames.push(clientPackr.unpack(frame)));
    batch.arraysOnly();
    batch.push([1, 1, [1, 'a'], null, false]);
    await new Promise((resolve) => setImmediate(resolve));
    batch.push(2);
    batch.push(3);
    await new Promise((resolve) => setImmediate(resolve));
    expect(frames).to.deep.equal([[[1, 1, [1, 'a'], null, false]], [2, 3]]);
  });
});

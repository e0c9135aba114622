import { expect } from 'chai';
import { ballotZero } from '@evpaxos/paxos';
import type { StoreError } from '../src/errors';
import type { AcceptorStore } from '../src/types';
import { ballot, entry, snapshot } from './helpers';

export interface StoreHarness {
  /** A fresh, empty store. */
  open(options?: { recordBytesMax?: number; pendingAppendsMax?: number }): Promise<AcceptorStore>;
  /** A restart: closes `store` and opens a new one over what it made durable. */
  reopen(store: AcceptorStore): Promise<AcceptorStore>;
  /** Called after each test: closes what is open and removes what was made. */
  cleanup(): Promise<void>;
}

/**
 * The AcceptorStore contract, run against every implementation (one compliance suite per
 * interface, as js-libp2p does), so the memory twin cannot drift from the file store.
 */
export function acceptorStoreCompliance(name: string, harness: () => StoreHarness): void {
  describe(`AcceptorStore compliance: ${name}`, () => {
    let h: StoreHarness;
    beforeEach(() => {
      h = harness();
    });
    afterEach(async () => {
      await h.cleanup();
    });

    describe('#load', () => {
      it('gives the zero ballot, no accepted entries and no snapshot for an empty store', async () => {
        const store = await h.open();
        expect(await store.load()).to.deep.equal({ promised: ballotZero, accepted: [] });
      });

      it('returns a copy: changing it does not change the store', async () => {
        const store = await h.open();
        await store.append({ promised: ballot(2), accepted: [entry(1)] });
        const first = await store.load();
        first.accepted.pop();
        expect((await store.load()).accepted).to.have.length(1);
      });
    });

    describe('#append', () => {
      it('keeps a promise and then accepted entries across a restart, exactly', async () => {
        let store = await h.open();
        await store.append({ promised: ballot(3), accepted: [] });
        await store.append({ accepted: [entry(1, 3), entry(2, 3)] });
        await store.append({ accepted: [entry(3, 3)] });
        store = await h.reopen(store);
        expect(await store.load()).to.deep.equal({
          promised: ballot(3),
          accepted: [entry(1, 3), entry(2, 3), entry(3, 3)],
        });
      });

      it('keeps the latest accepted entry per slot (a later ballot replaces an earlier one)', async () => {
        let store = await h.open();
        await store.append({ promised: ballot(1), accepted: [entry(7, 1, 'first')] });
        await store.append({ promised: ballot(2), accepted: [entry(7, 2, 'second'), entry(8, 2)] });
        store = await h.reopen(store);
        const state = await store.load();
        expect(state.promised).to.deep.equal(ballot(2));
        expect(state.accepted).to.deep.equal([entry(7, 2, 'second'), entry(8, 2)]);
      });

      it('drops accepted entries at or below snapshot.appliedThrough when a snapshot is persisted', async () => {
        let store = await h.open();
        await store.append({ promised: ballot(1), accepted: [1, 2, 3, 4, 5].map((s) => entry(s)) });
        await store.append({ accepted: [entry(6)], snapshot: snapshot(4) });
        store = await h.reopen(store);
        expect(await store.load()).to.deep.equal({
          promised: ballot(1),
          accepted: [entry(5), entry(6)],
          snapshot: snapshot(4),
        });
      });

      it('group commit: 100 concurrent appends share far fewer syncs, all resolve, in order', async () => {
        let store = await h.open();
        const syncsBefore = store.stats().syncCount;
        const resolvedOrder: number[] = [];
        await Promise.all(
          Array.from({ length: 100 }, (_, slot) =>
            store.append({ accepted: [entry(slot)] }).then(() => resolvedOrder.push(slot)),
          ),
        );
        const stats = store.stats();
        expect(resolvedOrder).to.deep.equal(Array.from({ length: 100 }, (_, slot) => slot));
        expect(stats.syncCount - syncsBefore).to.be.at.most(10);
        expect(stats.appendCount).to.equal(100);
        expect(stats.pendingAppendCount).to.equal(0);
        store = await h.reopen(store);
        expect((await store.load()).accepted.map((e) => e.slot)).to.deep.equal(
          Array.from({ length: 100 }, (_, slot) => slot),
        );
      });

      it('applies concurrent appends to one slot in the order they were issued', async () => {
        let store = await h.open();
        await Promise.all(
          [1, 2, 3, 4].map((round) => store.append({ accepted: [entry(9, round)] })),
        );
        store = await h.reopen(store);
        expect((await store.load()).accepted).to.deep.equal([entry(9, 4)]);
      });

      it('refuses a delta larger than recordBytesMax with ERR_STORE_RECORD_TOO_LARGE', async () => {
        const store = await h.open({ recordBytesMax: 4096 });
        const error = await store.append({ accepted: [entry(1, 1, 'x'.repeat(5000))] }).then(
          () => undefined,
          (e: StoreError) => e,
        );
        expect(error?.code).to.equal('ERR_STORE_RECORD_TOO_LARGE');
        await store.append({ accepted: [entry(2)] });
        expect((await store.load()).accepted).to.deep.equal([entry(2)]);
      });

      it('refuses appends beyond pendingAppendsMax with ERR_STORE_OVERLOADED', async () => {
        const store = await h.open({ pendingAppendsMax: 4 });
        const results = await Promise.allSettled(
          [1, 2, 3, 4, 5, 6].map((slot) => store.append({ accepted: [entry(slot)] })),
        );
        expect(results.slice(0, 4).every((r) => r.status === 'fulfilled')).to.equal(true);
        for (const r of results.slice(4)) {
          expect(r.status).to.equal('rejected');
          expect(((r as PromiseRejectedResult).reason as StoreError).code).to.equal(
            'ERR_STORE_OVERLOADED',
          );
        }
      });
    });

    describe('#close', () => {
      it('does nothing when called again', async () => {
        const store = await h.open();
        await store.append({ accepted: [entry(1)] });
        await store.close();
        await store.close();
        await Promise.all([store.close(), store.close()]);
      });

      it('waits for appends in flight, then refuses new ones with ERR_STORE_CLOSED', async () => {
        let store = await h.open();
        const inFlight = store.append({ accepted: [entry(1)] });
        const closed = store.close();
        await inFlight;
        await closed;
        const error = await store.append({ accepted: [entry(2)] }).then(
          () => undefined,
          (e: StoreError) => e,
        );
        expect(error?.code).to.equal('ERR_STORE_CLOSED');
        store = await h.reopen(store);
        expect((await store.load()).accepted).to.deep.equal([entry(1)]);
      });
    });
  });
}

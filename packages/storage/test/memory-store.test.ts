import { expect } from 'chai';
import { StoreError } from '../src/errors';
import { MemoryStore } from '../src/memory-store';
import { entry } from './helpers';

describe('MemoryStore', () => {
  describe('#reopen', () => {
    it('is a crash: resolved appends are kept, unresolved ones are lost and rejected', async () => {
      const store = new MemoryStore();
      await store.append({ accepted: [entry(1)] });
      const unresolved = store.append({ accepted: [entry(2)] });
      const restarted = store.reopen();
      const error = await unresolved.then(
        () => undefined,
        (e: StoreError) => e,
      );
      expect(error?.code).to.equal('ERR_STORE_FAILED');
      expect((await restarted.load()).accepted).to.deep.equal([entry(1)]);
    });

    it('leaves the old store refusing appends (ERR_STORE_CLOSED)', async () => {
      const store = new MemoryStore();
      store.reopen();
      const error = await store.append({ accepted: [entry(1)] }).then(
        () => undefined,
        (e: StoreError) => e,
      );
      expect(error?.code).to.equal('ERR_STORE_CLOSED');
    });
  });
});

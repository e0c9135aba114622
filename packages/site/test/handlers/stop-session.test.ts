import { expect } from 'chai';
import { createSiteState } from '../../src';
import { handleStopSession } from '../../src/handlers/stop-session';
import { T0, register, run, start } from '../helpers';

describe('handlers: StopSession', () => {
  const site = run(createSiteState(), [register('cp1'), start('tx1', 'cp1')]);
  const stop = { type: 'StopSession', atMs: T0, transactionId: 'tx1' } as const;

  it('ends the transaction, freeing its connector', () => {
    const { state, result } = handleStopSession(site, stop, T0 + 3);
    expect(result).to.deep.equal({ ok: true, type: 'StopSession' });
    expect(state.sessions).to.deep.equal({});
    expect(state.clockMs).to.equal(T0 + 3);
  });

  it('rejects a transaction not in progress and leaves the state as it was', () => {
    const { state, result } = handleStopSession(site, { ...stop, transactionId: 'tx2' }, T0);
    expect(result).to.include({ ok: false, code: 'unknown-transaction' });
    expect(state).to.equal(site);
  });
});

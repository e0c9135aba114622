import { expect } from 'chai';
import { Waiters } from '../src/waiters';

describe('Waiters', () => {
  it('resolves true at once when the condition already holds', async () => {
    const waiters = new Waiters(Date.now);
    expect(await waiters.until(() => true, Date.now() + 1_000)).to.equal(true);
    expect(waiters.size).to.equal(0);
  });

  it('resolves true at the recheck after the condition came to hold, not before', async () => {
    const waiters = new Waiters(Date.now);
    let ready = false;
    const waiting = waiters.until(() => ready, Date.now() + 10_000);
    waiters.recheck();
    expect(waiters.size).to.equal(1);
    ready = true;
    waiters.recheck();
    expect(await waiting).to.equal(true);
    expect(waiters.size).to.equal(0);
  });

  it('answers with the condition at the deadline when no recheck saw it hold', async () => {
    const waiters = new Waiters(Date.now);
    expect(await waiters.until(() => false, Date.now() + 20)).to.equal(false);
    let late = false;
    const waiting = waiters.until(() => late, Date.now() + 20);
    late = true; // never rechecked: the deadline looks once more
    expect(await waiting).to.equal(true);
  });

  it('answers false to pending and later waits once closed', async () => {
    const waiters = new Waiters(Date.now);
    const pending = waiters.until(() => false, Date.now() + 60_000);
    waiters.close();
    expect(await pending).to.equal(false);
    expect(await waiters.until(() => false, Date.now() + 60_000)).to.equal(false);
    expect(waiters.size).to.equal(0);
  });
});

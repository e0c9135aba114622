import { expect } from 'chai';
import { createSiteState } from '../../src';
import { handleNoop } from '../../src/handlers/noop';
import { T0, register, reserve, run } from '../helpers';

describe('handlers: Noop', () => {
  it('is always accepted, advances the clock to t and drops expired reservations (H04)', () => {
    const site = run(createSiteState(), [register('cp1'), reserve(1, 'cp1', 1, 'A', T0 + 10)]);
    const { state, result } = handleNoop(site, { type: 'Noop', atMs: 0 }, T0 + 10);
    expect(result).to.deep.equal({ ok: true, type: 'Noop' });
    expect(state.clockMs).to.equal(T0 + 10);
    expect(state.reservations).to.deep.equal({});
    expect(site.reservations).to.have.keys('1');
  });
});

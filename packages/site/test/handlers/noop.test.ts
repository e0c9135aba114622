import { expect } from 'chai';
import { createSiteState } from '../../src';
import { handleNoop } from '../../src/handlers/noop';
import { T0, register, run } from '../helpers';

describe('handlers: Noop', () => {
  it('is always accepted, advances the clock to t and drops expired reservations (H04)', () => {
    const site = run(createSiteState(), [
      register('cp1'),
      {
        type: 'Reserve',
        atMs: T0,
        reservationId: 1,
        chargePointId: 'cp1',
        connectorId: 1,
        idToken: 'A',
        expiresAtMs: T0 + 10,
      },
    ]);
    const { state, result } = handleNoop(site, { type: 'Noop', atMs: 0 }, T0 + 10);
    expect(result).to.deep.equal({ ok: true, type: 'Noop' });
    expect(state.clockMs).to.equal(T0 + 10);
    expect(state.reservations).to.deep.equal({});
    expect(site.reservations).to.have.keys('1');
  });
});

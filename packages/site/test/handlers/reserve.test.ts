import { expect } from 'chai';
import { createSiteState } from '../../src';
import type { Reserve } from '../../src';
import { checkReserve, handleReserve } from '../../src/handlers/reserve';
import { MINUTE_MS, T0, register, run, start } from '../helpers';

const reserve = (overrides: Partial<Reserve> = {}): Reserve => ({
  type: 'Reserve',
  atMs: T0,
  reservationId: 1,
  chargePointId: 'cp1',
  connectorId: 1,
  idToken: 'A',
  expiresAtMs: T0 + 10 * MINUTE_MS,
  ...overrides,
});

describe('handlers: Reserve', () => {
  const site = run(createSiteState(), [register('cp1')]);

  it('holds a free connector for an idToken until its expiry', () => {
    const { state, result } = handleReserve(site, reserve(), T0);
    const window = { startsAtMs: T0, expiresAtMs: T0 + 10 * MINUTE_MS };
    expect(result).to.deep.equal({ ok: true, type: 'Reserve', reservationWindow: window });
    expect(state.reservations['1']).to.deep.equal({
      reservationId: 1,
      chargePointId: 'cp1',
      connectorId: 1,
      idToken: 'A',
      ...window,
    });
  });

  it('lets a reservation id replace its own reservation (H01.FR.02), not another one', () => {
    const held = handleReserve(site, reserve(), T0).state;
    expect(
      handleReserve(held, reserve({ idToken: 'B' }), T0 + 1).state.reservations['1'],
    ).to.include({ idToken: 'B' });
    expect(handleReserve(held, reserve({ reservationId: 2 }), T0 + 1).result).to.include({
      code: 'connector-reserved',
    });
  });

  it('judges the expiry against the replicated clock t, not the stale atMs', () => {
    const { state, result } = handleReserve(site, reserve({ expiresAtMs: T0 + 5 }), T0 + 5);
    expect(result).to.include({ ok: false, code: 'reservation-in-past' });
    expect(state).to.equal(site);
  });

  it('refuses a connector in session', () => {
    const busy = run(site, [start('tx1', 'cp1', 1)]);
    expect(handleReserve(busy, reserve(), T0).result).to.include({ code: 'connector-occupied' });
  });

  it('needs no state to refuse a reservation that ends by its own time', () => {
    expect(checkReserve(reserve({ expiresAtMs: T0 }))).to.include({ code: 'reservation-in-past' });
    expect(checkReserve(reserve())).to.equal(null);
  });
});

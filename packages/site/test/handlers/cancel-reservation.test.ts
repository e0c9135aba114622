import { expect } from 'chai';
import { createSiteState } from '../../src';
import { handleCancelReservation } from '../../src/handlers/cancel-reservation';
import { T0, register, reserve, run } from '../helpers';

describe('handlers: CancelReservation', () => {
  const site = run(createSiteState(), [register('cp1'), reserve(4, 'cp1', 1, 'A', T0 + 1_000)]);
  const cancel = { type: 'CancelReservation', atMs: T0, reservationId: 4 } as const;

  it('removes a reservation that still holds', () => {
    const { state, result } = handleCancelReservation(site, cancel, T0 + 1);
    expect(result).to.deep.equal({ ok: true, type: 'CancelReservation' });
    expect(state.reservations).to.deep.equal({});
  });

  it('rejects an unknown id, or one that has expired by t (H02.FR.01)', () => {
    for (const [reservationId, t] of [
      [5, T0],
      [4, T0 + 1_000],
    ] as const) {
      const { state, result } = handleCancelReservation(site, { ...cancel, reservationId }, t);
      expect(result).to.include({ ok: false, code: 'unknown-reservation' });
      expect(state).to.equal(site);
    }
  });
});

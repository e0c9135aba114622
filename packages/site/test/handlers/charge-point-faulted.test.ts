import { expect } from 'chai';
import { createSiteState } from '../../src';
import type { ChargePointFaulted } from '../../src';
import { handleChargePointFaulted } from '../../src/handlers/charge-point-faulted';
import { T0, register, reserve, run, start } from '../helpers';

const faulted = (connectorId?: number): ChargePointFaulted => ({
  type: 'ChargePointFaulted',
  atMs: T0,
  chargePointId: 'cp1',
  ...(connectorId === undefined ? {} : { connectorId }),
});

describe('handlers: ChargePointFaulted', () => {
  const site = run(createSiteState(), [
    register('cp1'),
    start('tx1', 'cp1', 1),
    reserve(3, 'cp1', 2, 'A', T0 + 60_000),
  ]);

  it('faults one connector, ending only its session and keeping the other connector reserved', () => {
    const { state, result } = handleChargePointFaulted(site, faulted(1), T0);
    expect(result).to.deep.include({ endedTransactionIds: ['tx1'], removedReservationIds: [] });
    expect(state.chargePoints['cp1']?.faultedConnectorIds).to.deep.equal([1]);
    expect(Object.keys(state.reservations)).to.deep.equal(['3']);
  });

  it('faults every connector when none is named, removing their reservations (H01.FR.16)', () => {
    const { state, result } = handleChargePointFaulted(site, faulted(), T0);
    expect(result).to.deep.include({ endedTransactionIds: ['tx1'], removedReservationIds: [3] });
    expect(state.chargePoints['cp1']?.faultedConnectorIds).to.deep.equal([1, 2]);
    expect(state.sessions).to.deep.equal({});
  });

  it('rejects faulting only what is already faulted, and a connector it does not have', () => {
    const once = handleChargePointFaulted(site, faulted(2), T0).state;
    expect(handleChargePointFaulted(once, faulted(2), T0).result).to.include({
      code: 'already-faulted',
    });
    expect(handleChargePointFaulted(once, faulted(), T0).result.ok).to.equal(true);
    expect(handleChargePointFaulted(site, faulted(3), T0).result).to.include({
      code: 'unknown-connector',
    });
  });
});

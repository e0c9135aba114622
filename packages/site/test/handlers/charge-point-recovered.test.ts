import { expect } from 'chai';
import { createSiteState } from '../../src';
import { handleChargePointRecovered } from '../../src/handlers/charge-point-recovered';
import { T0, register, run } from '../helpers';

describe('handlers: ChargePointRecovered', () => {
  const site = run(createSiteState(), [
    register('cp1'),
    { type: 'ChargePointFaulted', atMs: T0, chargePointId: 'cp1' },
  ]);
  const recovered = { type: 'ChargePointRecovered', atMs: T0, chargePointId: 'cp1' } as const;

  it('recovers one named connector, or every faulted one', () => {
    const one = handleChargePointRecovered(site, { ...recovered, connectorId: 2 }, T0);
    expect(one.state.chargePoints['cp1']?.faultedConnectorIds).to.deep.equal([1]);
    const all = handleChargePointRecovered(site, recovered, T0);
    expect(all.state.chargePoints['cp1']?.faultedConnectorIds).to.deep.equal([]);
  });

  it('rejects recovering a healthy connector or charge point, and an unknown charge point', () => {
    const healthy = handleChargePointRecovered(site, recovered, T0).state;
    expect(handleChargePointRecovered(healthy, recovered, T0).result).to.include({
      code: 'not-faulted',
    });
    expect(
      handleChargePointRecovered(healthy, { ...recovered, connectorId: 1 }, T0).result,
    ).to.include({ code: 'not-faulted' });
    expect(
      handleChargePointRecovered(site, { ...recovered, chargePointId: 'cp9' }, T0).result,
    ).to.include({ code: 'unknown-charge-point' });
  });
});

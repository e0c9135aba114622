import { expect } from 'chai';
import { createSiteState } from '../../src';
import type { UpdateNeeds } from '../../src';
import { checkUpdateNeeds, handleUpdateNeeds } from '../../src/handlers/update-needs';
import { MINUTE_MS, T0, register, run, start } from '../helpers';

const needs = (overrides: Partial<UpdateNeeds> = {}): UpdateNeeds => ({
  type: 'UpdateNeeds',
  atMs: T0,
  transactionId: 'tx1',
  energyRequestedWh: 20_000,
  minPowerW: 1_400,
  maxPowerW: 11_000,
  departureAtMs: T0 + 120 * MINUTE_MS,
  ...overrides,
});

describe('handlers: UpdateNeeds', () => {
  const site = run(createSiteState(), [register('cp1'), start('tx1', 'cp1')]);

  it('records the needs with the time t they were stated', () => {
    const { state, result } = handleUpdateNeeds(site, needs(), T0 + 7);
    expect(result).to.deep.equal({ ok: true, type: 'UpdateNeeds' });
    expect(state.sessions['tx1']?.needs).to.deep.equal({
      energyRequestedWh: 20_000,
      minPowerW: 1_400,
      maxPowerW: 11_000,
      departureAtMs: T0 + 120 * MINUTE_MS,
      statedAtMs: T0 + 7,
    });
  });

  it('rejects an unknown transaction', () => {
    const { state, result } = handleUpdateNeeds(site, needs({ transactionId: 'tx9' }), T0);
    expect(result).to.include({ ok: false, code: 'unknown-transaction' });
    expect(state).to.equal(site);
  });

  it('judges the departure horizon against t, so a late clock accepts what atMs alone would not', () => {
    const farMs = T0 + 7 * 24 * 60 * MINUTE_MS + 1;
    expect(handleUpdateNeeds(site, needs({ departureAtMs: farMs }), T0).result).to.include({
      code: 'departure-out-of-range',
    });
    expect(handleUpdateNeeds(site, needs({ departureAtMs: farMs }), T0 + 1).result.ok).to.equal(
      true,
    );
    // So the check before proposing leaves the horizon alone.
    expect(checkUpdateNeeds(needs({ departureAtMs: farMs }))).to.equal(null);
  });

  it('needs no state to refuse needs out of range or a departure by its own time', () => {
    expect(checkUpdateNeeds(needs({ energyRequestedWh: 200_001 }))).to.include({
      code: 'needs-out-of-range',
    });
    expect(checkUpdateNeeds(needs({ minPowerW: 12_000 }))).to.include({
      code: 'needs-out-of-range',
    });
    expect(checkUpdateNeeds(needs({ departureAtMs: T0 }))).to.include({
      code: 'departure-out-of-range',
    });
    expect(checkUpdateNeeds(needs())).to.equal(null);
  });
});

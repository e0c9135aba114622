import { expect } from 'chai';
import { applySiteCommand, createSiteState, type SiteCommand } from '../../src';
import { handleRecordMeterValues } from '../../src/handlers/record-meter-values';
import { T0, register, run, start } from '../helpers';

function meter(registerWh: number, extra: Partial<SiteCommand> = {}): SiteCommand {
  return {
    type: 'RecordMeterValues',
    atMs: T0 + 1,
    transactionId: 'tx1',
    registerWh,
    ...extra,
  } as SiteCommand;
}

describe('handlers: RecordMeterValues and the energy StopSession records', () => {
  const site = run(createSiteState(), [register('cp1'), start('tx1', 'cp1')]);

  it('records the register and power, fixing the start register at the first reading', () => {
    const state = run(site, [meter(10_500, { startRegisterWh: 10_000, powerW: 7_000 } as never)]);
    expect(state.sessions.tx1?.meter).to.deep.equal({
      startRegisterWh: 10_000,
      registerWh: 10_500,
      powerW: 7_000,
      atMs: T0 + 1,
    });
    const later = run(state, [meter(11_000, { startRegisterWh: 0 } as never)]);
    expect(later.sessions.tx1?.meter?.startRegisterWh).to.equal(10_000);
    expect(later.sessions.tx1?.meter?.powerW).to.equal(null);
  });

  it('rejects a register below the last one (stale reading) and an unknown transaction', () => {
    const state = run(site, [meter(2_000)]);
    const stale = applySiteCommand(state, meter(1_999));
    expect(stale.result).to.include({ ok: false, code: 'meter-out-of-range' });
    expect(stale.state).to.equal(state);
    const unknown = handleRecordMeterValues(
      state,
      { ...meter(5), transactionId: 'nope' } as never,
      T0,
    );
    expect(unknown.result).to.include({ ok: false, code: 'unknown-transaction' });
  });

  it('StopSession returns the energy delivered and adds it to deliveredWh', () => {
    const state = run(site, [meter(10_500, { startRegisterWh: 10_000 } as never)]);
    const ended = applySiteCommand(state, {
      type: 'StopSession',
      atMs: T0 + 2,
      transactionId: 'tx1',
      registerWh: 12_500,
    });
    expect(ended.result).to.deep.equal({ ok: true, type: 'StopSession', energyWh: 2_500 });
    expect(ended.state.deliveredWh).to.equal(2_500);
    // Without a final register, the last recorded one counts.
    const noFinal = applySiteCommand(state, {
      type: 'StopSession',
      atMs: T0 + 2,
      transactionId: 'tx1',
    });
    expect(noFinal.result).to.deep.include({ energyWh: 500 });
  });
});

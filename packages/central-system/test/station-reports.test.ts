import { expect } from 'chai';
import type { Logger } from '@evpaxos/runtime';
import { createSiteState, type SiteState } from '@evpaxos/site';
import type { CommandDraft, SubmitOutcome } from '../src/central-service';
import { ProfileRefusals } from '../src/profile-refusals';
import { idTokenInfoFor, readMeter } from '../src/station-reports';

const at = '2026-01-01T00:00:00.000Z';
const silent = { info: () => undefined, warn: () => undefined } as unknown as Logger;

describe('station reports: meter readings and idTokenInfo', () => {
  it('reads the register (default measurand), the Transaction.Begin register and the power, in Wh and W', () => {
    const reading = readMeter([
      {
        timestamp: at,
        sampledValue: [
          { value: 12.5, context: 'Transaction.Begin', unitOfMeasure: { unit: 'kWh' } },
          { value: 3_000, measurand: 'Power.Active.Import', phase: 'L1' },
          {
            value: 74,
            measurand: 'Power.Active.Import',
            unitOfMeasure: { unit: 'W', multiplier: 2 },
          },
        ],
      },
    ]);
    expect(reading).to.deep.equal({ registerWh: 12_500, startRegisterWh: 12_500, powerW: 7_400 });
    expect(readMeter(undefined)).to.deep.equal({
      registerWh: null,
      startRegisterWh: null,
      powerW: null,
    });
    // A negative or non-finite sample is no reading.
    expect(readMeter([{ timestamp: at, sampledValue: [{ value: -5 }] }]).registerWh).to.equal(null);
  });

  it('answers Blocked for the BLOCKED token, Accepted otherwise', () => {
    expect(idTokenInfoFor({ idToken: 'BLOCKED', type: 'Central' })).to.deep.equal({
      status: 'Blocked',
    });
    expect(idTokenInfoFor({ idToken: 'A1', type: 'ISO14443' })).to.deep.equal({
      status: 'Accepted',
    });
  });
});

describe('profile refusals: recorded once, resends back off', () => {
  it('records RecordProfileRefused once and doubles the wait up to the maximum', async () => {
    let clockMs = 0;
    const submitted: CommandDraft[] = [];
    const state: SiteState = createSiteState();
    state.chargePoints.ext = {
      chargePointId: 'ext',
      connectorCount: 1,
      maxPowerW: 22_000,
      faultedConnectorIds: [],
      lease: null,
      registeredAtMs: 0,
      bounds: { drawW: 0, holdW: 0, previousDrawW: 0, previousHoldW: 0, failSafeFromMs: 0 },
    };
    const submit = async (draft: CommandDraft): Promise<SubmitOutcome> => {
      submitted.push(draft);
      return { ok: true, slot: 1, result: { ok: true, type: 'RecordProfileRefused' } };
    };
    const refusals = new ProfileRefusals(
      submit,
      () => state,
      silent,
      () => clockMs,
    );
    expect(refusals.maySend('ext')).to.equal(true);
    refusals.refused('ext', 'tx', 'NotSupported');
    refusals.refused('ext', 'tx', 'NotSupported');
    await Promise.resolve();
    expect(submitted).to.deep.equal([{ type: 'RecordProfileRefused', chargePointId: 'ext' }]);
    expect(refusals.maySend('ext')).to.equal(false);
    expect(refusals.retryInMs('ext')).to.equal(60_000);
    clockMs = 60_000;
    expect(refusals.maySend('ext')).to.equal(true);
    for (let i = 0; i < 10; i += 1) refusals.refused('ext', 'tx', 'Rejected');
    expect(refusals.retryInMs('ext')).to.equal(600_000);
    refusals.accepted('ext');
    expect(refusals.maySend('ext')).to.equal(true);
  });
});

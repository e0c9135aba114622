import { expect } from 'chai';
import { buildChargingProfiles, isoFromMs } from '../src';
import { MINUTE_MS, T0, needs, run, siteWithLeases, start } from './helpers';

describe('isoFromMs', () => {
  it('formats like Date#toISOString across eras, leap days and the epoch', () => {
    const samples = [
      0,
      1,
      951_782_400_000,
      951_868_799_999,
      1_709_164_800_000,
      T0,
      4_102_444_800_000,
      253_402_300_799_999,
    ];
    for (const ms of samples)
      expect(isoFromMs(ms), String(ms)).to.equal(new Date(ms).toISOString());
    for (let ms = 0; ms < 4_000 * 86_400_000; ms += 86_400_000 * 37 + 12_345) {
      expect(isoFromMs(ms)).to.equal(new Date(ms).toISOString());
    }
  });
});

describe('buildChargingProfiles', () => {
  const state = run(siteWithLeases(['cp1', 'cp2']), [
    start('tx1', 'cp1', 2),
    needs('tx1', T0 + 2, 20_000, 1_400, 11_000, T0 + 60 * MINUTE_MS),
  ]);

  it('builds an Absolute TxProfile in W per session, with the OCPP 2.0.1 field names', () => {
    const [profile, ...rest] = buildChargingProfiles(state, T0 + 1_000);
    expect(rest).to.deep.equal([]);
    expect(profile).to.deep.equal({
      chargePointId: 'cp1',
      evseId: 2,
      chargingProfile: {
        id: 1,
        stackLevel: 0,
        chargingProfilePurpose: 'TxProfile',
        chargingProfileKind: 'Absolute',
        transactionId: 'tx1',
        chargingSchedule: [
          {
            id: 1,
            startSchedule: '2026-01-01T08:00:01.000Z',
            chargingRateUnit: 'W',
            // The allocation, then the hold-down at min(allocation, fail-safe) from the lease's end
            // less the skew (30 001 - 1 000 - 1 000 ms → 28 s), then fail-safe power one lease later.
            chargingSchedulePeriod: [
              { startPeriod: 0, limit: 11_000 },
              { startPeriod: 28, limit: 8_800 },
            ],
          },
        ],
      },
    });
  });

  it('never sends more periods than schedulePeriodsMax, folding the tail into its lowest limit', () => {
    const one = run(siteWithLeases(['cp1'], { schedulePeriodsMax: 1 }), [start('tx1', 'cp1')]);
    const [profile] = buildChargingProfiles(one, T0 + 1_000);
    expect(profile?.chargingProfile.chargingSchedule[0]?.chargingSchedulePeriod).to.deep.equal([
      { startPeriod: 0, limit: 8_800 },
    ]);
    const three = run(siteWithLeases(['cp1']), [
      start('tx1', 'cp1'),
      needs('tx1', T0 + 2, 1_000, 0, 2_000, T0 + 60 * MINUTE_MS),
    ]);
    const periods = buildChargingProfiles(three, T0 + 1_000)[0]?.chargingProfile.chargingSchedule[0]
      ?.chargingSchedulePeriod;
    // 2 kW (below fail-safe) while leased and in hold-down, fail-safe power from the end of the hold-down (30 001 + 30 000 + 1 000 - 1 000 ms, rounded up: 61 s).
    expect(periods).to.deep.equal([
      { startPeriod: 0, limit: 2_000 },
      { startPeriod: 61, limit: 8_800 },
    ]);
  });
});

import { expect } from 'chai';
import type { SiteState } from '../src';
import { computeSchedule, powerLimitAt } from '../src';
import { MINUTE_MS, T0, needs, register, renew, run, siteWithLeases, start } from './helpers';
import { createSiteState } from '../src';

const LEASE_MS = 30_000;
const SKEW_MS = 1_000;
const HOUR_MS = 60 * MINUTE_MS;

/** cp1 and cp2 leased (confirmed at T0 + 1, expiring T0 + 30 001), one hungry session on each. */
function twoSessions(): SiteState {
  return run(siteWithLeases(['cp1', 'cp2']), [
    start('tx1', 'cp1'),
    start('tx2', 'cp2'),
    needs('tx1', T0 + 2, 50_000, 1_000, 30_000, T0 + 2 + HOUR_MS),
    needs('tx2', T0 + 2, 50_000, 1_000, 30_000, T0 + 2 + HOUR_MS),
  ]);
}

describe('powerLimitAt', () => {
  it('gives a leased charge point its scheduled share until the lease ends, less the skew', () => {
    const state = twoSessions();
    const expiresAtMs = T0 + 1 + LEASE_MS;
    const limit = powerLimitAt(state, 'cp1', T0 + 10);
    expect(limit).to.deep.include({
      mode: 'leased',
      powerW: 22_000,
      nextChangeAtMs: expiresAtMs - SKEW_MS,
    });
    expect(limit.sessions).to.deep.equal([
      { transactionId: 'tx1', connectorId: 1, powerW: 22_000 },
    ]);
    expect(powerLimitAt(state, 'cp1', expiresAtMs - SKEW_MS - 1).mode).to.equal('leased');
  });

  it('holds down at min(fail-safe, share) for one lease after expiry, then falls back to fail-safe', () => {
    const state = twoSessions();
    const expiresAtMs = T0 + 1 + LEASE_MS;
    const holdDown = powerLimitAt(state, 'cp1', expiresAtMs - SKEW_MS);
    expect(holdDown).to.deep.include({ mode: 'hold-down', powerW: 8_800 });
    expect(powerLimitAt(state, 'cp1', expiresAtMs + LEASE_MS + SKEW_MS - 1).mode).to.equal(
      'hold-down',
    );
    const failSafe = powerLimitAt(state, 'cp1', expiresAtMs + LEASE_MS + SKEW_MS);
    expect(failSafe).to.deep.include({ mode: 'fail-safe', powerW: 8_800, nextChangeAtMs: null });
    expect(failSafe.sessions).to.deep.equal([
      { transactionId: 'tx1', connectorId: 1, powerW: 8_800 },
    ]);
  });

  it('never raises a charge point in hold-down above its share', () => {
    // A share below fail-safe power: the EV asks for at most 3 kW.
    const state = run(twoSessions(), [needs('tx1', T0 + 3, 1_000, 0, 3_000, T0 + HOUR_MS)]);
    const expiresAtMs = T0 + 1 + LEASE_MS;
    expect(powerLimitAt(state, 'cp1', T0 + 10).powerW).to.equal(3_000);
    expect(powerLimitAt(state, 'cp1', expiresAtMs).powerW).to.equal(3_000);
    expect(powerLimitAt(state, 'cp1', expiresAtMs + 2 * LEASE_MS).powerW).to.equal(8_800);
  });

  it('gives a charge point that never held a lease its fail-safe power, one lease after registering', () => {
    // Grants decided before it registered did not count it; they run out within one lease (R4).
    const state = run(createSiteState(), [register('cp1')]);
    expect(powerLimitAt(state, 'cp1', T0)).to.deep.include({
      mode: 'pending',
      powerW: 0,
      nextChangeAtMs: T0 + LEASE_MS + SKEW_MS,
    });
    expect(powerLimitAt(state, 'cp1', T0 + LEASE_MS + SKEW_MS)).to.deep.include({
      mode: 'fail-safe',
      powerW: 8_800,
    });
  });

  it('keeps a charge point on probation at most at fail-safe power until its lease is confirmed', () => {
    let state = run(createSiteState(), [register('cp1', T0 - 2 * LEASE_MS), start('tx1', 'cp1')]);
    state = run(state, [renew(state, 'cp1', T0 + 1)]);
    expect(powerLimitAt(state, 'cp1', T0 + 2)).to.deep.include({
      mode: 'probation',
      powerW: 8_800,
    });
    state = run(state, [renew(state, 'cp1', T0 + 3)]);
    expect(powerLimitAt(state, 'cp1', T0 + 4)).to.deep.include({ mode: 'leased', powerW: 22_000 });
  });

  it('lets an unregistered charge point draw nothing', () => {
    expect(powerLimitAt(createSiteState(), 'ghost', T0)).to.deep.include({
      mode: 'unregistered',
      powerW: 0,
    });
  });

  it('keeps the site limit when a charge point misses the result of its own renewal', () => {
    // cp2 renews at T0 + 20 s but never learns it (cut off right after sending): its replica still
    // shows the lease ending at T0 + 30 001, while everyone else sees T0 + 50 000.
    const known = twoSessions();
    const everyone = run(known, [
      renew(known, 'cp2', T0 + 20_000),
      renew(known, 'cp1', T0 + 20_000),
    ]);
    for (let t = T0; t <= T0 + 5 * LEASE_MS; t += 250) {
      const drawn = powerLimitAt(everyone, 'cp1', t).powerW + powerLimitAt(known, 'cp2', t).powerW;
      expect(drawn, `at +${t - T0} ms`).to.be.at.most(44_000);
      // And what cp2 draws never exceeds what the others count it at.
      const counted = computeSchedule(everyone, t).chargePoints.find(
        (c) => c.chargePointId === 'cp2',
      );
      expect(powerLimitAt(known, 'cp2', t).powerW, `at +${t - T0} ms`).to.be.at.most(
        counted?.reservedW ?? 0,
      );
    }
  });
});

import { expect } from 'chai';
import type { SiteSchedule, SiteState } from '../src';
import { computeSchedule, failSafePowerW } from '../src';
import { MINUTE_MS, T0, needs, renew, run, settle, siteWithLeases, start } from './helpers';

const ALL = ['cp1', 'cp2', 'cp3', 'cp4', 'cp5'];

const HOUR_MS = 60 * MINUTE_MS;

function powerOf(schedule: SiteSchedule, transactionId: string): number {
  const allocation = schedule.allocations.find((a) => a.transactionId === transactionId);
  if (allocation === undefined) throw new Error(`no allocation for ${transactionId}`);
  return allocation.powerW;
}

function leasedSite(): SiteState {
  // Five charge points of 22 kW, all leased: the whole 44 kW is shared among sessions.
  return siteWithLeases(['cp1', 'cp2', 'cp3', 'cp4', 'cp5']);
}

describe('computeSchedule', () => {
  it('shares the whole limit when every charge point is leased and no session is capped', () => {
    const state = run(leasedSite(), [
      start('tx1', 'cp1'),
      needs('tx1', T0 + 2, 40_000, 1_400, 50_000, T0 + 2 + HOUR_MS),
      start('tx2', 'cp2'),
      needs('tx2', T0 + 2, 40_000, 1_400, 50_000, T0 + 2 + HOUR_MS),
    ]);
    const schedule = computeSchedule(state, T0 + 3);
    // Each is capped by its 22 kW charge point: 44 kW in all.
    expect(powerOf(schedule, 'tx1')).to.equal(22_000);
    expect(powerOf(schedule, 'tx2')).to.equal(22_000);
    expect(schedule.reservedW).to.equal(44_000);
  });

  it('gives every session its minimum first, then shares the rest in proportion to urgency', () => {
    // Urgency: tx1 needs 30 kWh in 1 h (30 kW), tx2 10 kWh in 1 h (10 kW), tx3 10 kWh in 2 h (5 kW).
    // 50 kW charge points, so no charge point cap binds.
    const state = run(siteWithLeases(['cp1', 'cp2', 'cp3', 'cp4', 'cp5'], {}, 50_000), [
      start('tx1', 'cp1'),
      start('tx2', 'cp2'),
      start('tx3', 'cp3'),
      needs('tx1', T0 + 2, 30_000, 2_000, 50_000, T0 + 2 + HOUR_MS),
      needs('tx2', T0 + 2, 10_000, 2_000, 50_000, T0 + 2 + HOUR_MS),
      needs('tx3', T0 + 2, 10_000, 2_000, 50_000, T0 + 2 + 2 * HOUR_MS),
    ]);
    // Before the needs, the three shared equally: tx2 and tx3 are lowered, and their old grants
    // are only re-used once no replica can still be drawing them (make-before-break).
    expect(powerOf(computeSchedule(state, T0 + 3), 'tx1')).to.be.below(2_000 + (38_000 * 30) / 45);
    const [settled, atMs] = settle(state, ALL, T0 + 10_000);
    const schedule = computeSchedule(settled, atMs);
    const p1 = powerOf(schedule, 'tx1');
    const p2 = powerOf(schedule, 'tx2');
    const p3 = powerOf(schedule, 'tx3');
    // 44 kW - 3 × 2 kW = 38 kW shared 30 : 10 : 5.
    expect(p1).to.be.closeTo(2_000 + (38_000 * 30) / 45, 1);
    expect(p2).to.be.closeTo(2_000 + (38_000 * 10) / 45, 1);
    expect(p3).to.be.closeTo(2_000 + (38_000 * 5) / 45, 1);
    expect(p1 + p2 + p3).to.be.at.most(44_000);
    expect(p1).to.be.greaterThan(p2);
    expect(p2).to.be.greaterThan(p3);
  });

  it('caps each session at its EV maximum and gives what it cannot take to the others', () => {
    const state = run(leasedSite(), [
      start('tx1', 'cp1'),
      start('tx2', 'cp2'),
      needs('tx1', T0 + 2, 80_000, 0, 7_400, T0 + 2 + HOUR_MS),
      needs('tx2', T0 + 2, 1_000, 0, 22_000, T0 + 2 + HOUR_MS),
    ]);
    const schedule = computeSchedule(state, T0 + 3);
    expect(powerOf(schedule, 'tx1')).to.equal(7_400);
    expect(powerOf(schedule, 'tx2')).to.equal(22_000);
  });

  it("caps the sessions of one charge point together at the charge point's maximum", () => {
    const state = run(leasedSite(), [
      start('tx1', 'cp1', 1),
      start('tx2', 'cp1', 2),
      needs('tx1', T0 + 2, 50_000, 0, 22_000, T0 + 2 + HOUR_MS),
      needs('tx2', T0 + 2, 50_000, 0, 22_000, T0 + 2 + HOUR_MS),
    ]);
    const schedule = computeSchedule(state, T0 + 3);
    expect(powerOf(schedule, 'tx1') + powerOf(schedule, 'tx2')).to.be.at.most(22_000);
    expect(powerOf(schedule, 'tx1')).to.equal(powerOf(schedule, 'tx2'));
  });

  it('reports sessions that cannot get their minimum, serving the most urgent first', () => {
    const state = run(siteWithLeases(['cp1', 'cp2', 'cp3', 'cp4', 'cp5'], {}, 22_000), [
      { type: 'SetSiteLimit', atMs: T0 + 2, siteLimitW: 10_000 },
      start('tx1', 'cp1'),
      start('tx2', 'cp2'),
      needs('tx1', T0 + 2, 5_000, 6_000, 11_000, T0 + 2 + HOUR_MS),
      needs('tx2', T0 + 2, 20_000, 6_000, 11_000, T0 + 2 + HOUR_MS),
    ]);
    const [settled, atMs] = settle(state, ALL, T0 + 10_000);
    const schedule = computeSchedule(settled, atMs);
    expect(schedule.belowMinimum).to.deep.equal(['tx1']);
    expect(powerOf(schedule, 'tx1')).to.equal(0);
    expect(powerOf(schedule, 'tx2')).to.equal(10_000);
  });

  it('shares what is left equally among sessions that stated no needs', () => {
    const state = run(leasedSite(), [start('tx1', 'cp1'), start('tx2', 'cp2')]);
    const schedule = computeSchedule(state, T0 + 3);
    expect(powerOf(schedule, 'tx1')).to.equal(22_000);
    expect(powerOf(schedule, 'tx2')).to.equal(22_000);
  });

  it('counts charge points without a lease at fail-safe power and shares only the rest', () => {
    // cp1 and cp2 leased; cp3..cp5 registered without leases: 3 × 8.8 kW reserved.
    let state = siteWithLeases(['cp1', 'cp2']);
    state = run(state, [
      {
        type: 'RegisterChargePoint',
        atMs: T0 + 2,
        chargePointId: 'cp3',
        connectorCount: 1,
        maxPowerW: 22_000,
      },
      start('tx1', 'cp1'),
      start('tx2', 'cp2'),
    ]);
    // tx1 had 22 kW alone; tx2 gets the rest at once and its full share once that is re-usable.
    const [settled, atMs] = settle(state, ['cp1', 'cp2'], T0 + 10_000);
    const schedule = computeSchedule(settled, atMs);
    expect(failSafePowerW(state)).to.equal(8_800);
    expect(schedule.budgetW).to.equal(44_000 - 8_800);
    expect(powerOf(schedule, 'tx1') + powerOf(schedule, 'tx2')).to.equal(35_200);
  });

  it("re-uses a lost charge point's share only after its lease has expired", () => {
    let state = siteWithLeases(['cp1', 'cp2']); // chargePointsMax 5: fs = 8.8 kW
    state = run(state, [
      start('tx1', 'cp1'),
      start('tx2', 'cp2'),
      needs('tx1', T0 + 2, 50_000, 0, 30_000, T0 + 2 + HOUR_MS),
      needs('tx2', T0 + 2, 50_000, 0, 30_000, T0 + 2 + HOUR_MS),
    ]);
    // Only cp1 keeps renewing; cp2 is cut off after its renewal at T0 + 1.
    state = run(state, [renew(state, 'cp1', T0 + 20_000)]);
    const expiry = state.chargePoints['cp2']?.lease?.expiresAtMs ?? 0;
    const before = computeSchedule(state, expiry - 1);
    expect(before.chargePoints.find((c) => c.chargePointId === 'cp2')?.mode).to.equal('leased');
    expect(powerOf(before, 'tx1')).to.equal(22_000);
    expect(powerOf(before, 'tx2')).to.equal(22_000);
    const after = computeSchedule(state, expiry);
    expect(after.chargePoints.find((c) => c.chargePointId === 'cp2')).to.deep.include({
      mode: 'lease-expired',
      reservedW: 8_800,
    });
    expect(powerOf(after, 'tx2')).to.equal(0);
    expect(after.allocations.find((a) => a.transactionId === 'tx2')?.status).to.equal('fail-safe');
    expect(after.reservedW).to.be.at.most(44_000);
  });

  it('gives the same result on every call (a pure function of state and time)', () => {
    const state = run(leasedSite(), [
      start('tx1', 'cp1'),
      needs('tx1', T0 + 2, 1, 0, 1_000, T0 + HOUR_MS),
    ]);
    expect(computeSchedule(state, T0 + 5)).to.deep.equal(computeSchedule(state, T0 + 5));
  });
});

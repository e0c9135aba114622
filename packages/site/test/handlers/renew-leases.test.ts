import { expect } from 'chai';
import { applySiteCommand, createSiteState } from '../../src';
import type { LeaseRenewal, RenewLeases, SiteResult, SiteState } from '../../src';
import { handleRenewLeases } from '../../src/handlers/renew-leases';
import { T0, register, run } from '../helpers';

const LEASE_MS = 30_000;

const renewal = (heldLeaseExpiresAtMs: number | null): RenewLeases => ({
  type: 'RenewLeases',
  atMs: T0,
  renewals: [{ chargePointId: 'cp1', heldLeaseExpiresAtMs }],
});

/** The one renewal's answer of an accepted command (the test fails on a refused one). */
function only(result: SiteResult) {
  expect(result.ok, JSON.stringify(result)).to.equal(true);
  return result.ok ? result.renewals?.[0] : undefined;
}

describe('handlers: RenewLeases (lease.ts rules R2, R3)', () => {
  const site = run(createSiteState({ leaseMs: LEASE_MS }), [register('cp1')]);
  const renewAt = (state: SiteState, held: number | null, t: number) =>
    handleRenewLeases(state, renewal(held), t);

  it('R3: a charge point without a lease gets a fresh, unconfirmed one', () => {
    const { state, result } = renewAt(site, null, T0);
    expect(only(result)).to.include({ leaseExpiresAtMs: T0 + LEASE_MS, leaseConfirmed: false });
    expect(state.chargePoints['cp1']?.lease).to.deep.equal({
      expiresAtMs: T0 + LEASE_MS,
      confirmed: false,
      previousExpiresAtMs: null,
    });
  });

  it('R2: naming the live lease extends it, confirmed, keeping the named expiry', () => {
    const first = renewAt(site, null, T0).state;
    const { state, result } = renewAt(first, T0 + LEASE_MS, T0 + 10_000);
    expect(only(result)).to.include({
      leaseConfirmed: true,
      leaseExpiresAtMs: T0 + 10_000 + LEASE_MS,
    });
    expect(state.chargePoints['cp1']?.lease?.previousExpiresAtMs).to.equal(T0 + LEASE_MS);
  });

  it('R2: a live lease named wrongly is not extended', () => {
    const first = renewAt(site, null, T0).state;
    const { state, result } = renewAt(first, null, T0 + 10_000);
    expect(result).to.include({ ok: false, code: 'lease-not-held' });
    expect(state).to.equal(first);
  });

  it('R3: after expiry it starts over unconfirmed, whatever the charge point names', () => {
    const first = renewAt(site, null, T0).state;
    const { result } = renewAt(first, T0 + LEASE_MS, T0 + LEASE_MS);
    expect(only(result)).to.include({ ok: true, leaseConfirmed: false });
  });

  it('R5: a renewal opens a new epoch with empty bounds', () => {
    const first = renewAt(site, null, T0).state;
    const bounds = renewAt(first, T0 + LEASE_MS, T0 + 1).state.chargePoints['cp1']?.bounds;
    expect(bounds).to.include({ drawW: 0, holdW: 0 });
  });

  it('rejects an unknown charge point', () => {
    const command: RenewLeases = {
      ...renewal(null),
      renewals: [{ chargePointId: 'cp9', heldLeaseExpiresAtMs: null }],
    };
    const { result } = handleRenewLeases(site, command, T0);
    expect(result).to.include({ ok: false, code: 'unknown-charge-point' });
  });

  describe('several renewals in one command', () => {
    // cp1 … cp4 hold leases granted at T0; at T0 + 10 s: cp1 names its lease, cp2 names one it
    // does not hold (it raced another renewal), cp3 lets its lease lapse and asks again at
    // T0 + 31 s (see below), cp4 is not named, cp9 is not registered.
    const leased = run(createSiteState({ leaseMs: LEASE_MS }), [
      register('cp1'),
      register('cp2'),
      register('cp3'),
      register('cp4'),
      {
        type: 'RenewLeases',
        atMs: T0,
        renewals: ['cp1', 'cp2', 'cp3', 'cp4'].map((chargePointId) => ({
          chargePointId,
          heldLeaseExpiresAtMs: null,
        })),
      },
    ]);
    const heldExpiryMs = T0 + LEASE_MS;

    it('renews each renewal that holds its lease and refuses the racing one, alone', () => {
      const renewals: LeaseRenewal[] = [
        { chargePointId: 'cp1', heldLeaseExpiresAtMs: heldExpiryMs },
        { chargePointId: 'cp2', heldLeaseExpiresAtMs: heldExpiryMs - 1 },
        { chargePointId: 'cp9', heldLeaseExpiresAtMs: null },
        { chargePointId: 'cp3', heldLeaseExpiresAtMs: heldExpiryMs },
      ];
      const t = T0 + 10_000;
      const { state, result } = applySiteCommand(leased, {
        type: 'RenewLeases',
        atMs: t,
        renewals,
      });
      expect(result).to.deep.include({ ok: true, type: 'RenewLeases' });
      const answers = result.ok ? result.renewals : undefined;
      expect(answers?.map((answer) => [answer.chargePointId, answer.ok])).to.deep.equal([
        ['cp1', true],
        ['cp2', false],
        ['cp9', false],
        ['cp3', true],
      ]);
      expect(answers?.[1]).to.include({ code: 'lease-not-held' });
      expect(answers?.[2]).to.include({ code: 'unknown-charge-point' });
      const confirmed = {
        expiresAtMs: t + LEASE_MS,
        confirmed: true,
        previousExpiresAtMs: heldExpiryMs,
      };
      expect(state.chargePoints['cp1']?.lease).to.deep.equal(confirmed);
      expect(state.chargePoints['cp3']?.lease).to.deep.equal(confirmed);
      // The refused and the unnamed keep the very lease and bounds they had.
      expect(state.chargePoints['cp2']?.lease).to.deep.equal(leased.chargePoints['cp2']?.lease);
      expect(state.chargePoints['cp2']?.bounds).to.deep.equal(leased.chargePoints['cp2']?.bounds);
      expect(state.chargePoints['cp4']?.lease).to.deep.equal(leased.chargePoints['cp4']?.lease);
    });

    it('gives each renewal the state it would reach in a command of its own', () => {
      const t = T0 + 10_000;
      const renewals: LeaseRenewal[] = ['cp1', 'cp2', 'cp3'].map((chargePointId) => ({
        chargePointId,
        heldLeaseExpiresAtMs: heldExpiryMs,
      }));
      const together = applySiteCommand(leased, { type: 'RenewLeases', atMs: t, renewals }).state;
      for (const one of renewals) {
        const alone = applySiteCommand(leased, { type: 'RenewLeases', atMs: t, renewals: [one] });
        const id = one.chargePointId;
        expect(together.chargePoints[id]?.lease, id).to.deep.equal(
          alone.state.chargePoints[id]?.lease,
        );
        expect(together.chargePoints[id]?.bounds, id).to.deep.equal(
          alone.state.chargePoints[id]?.bounds,
        );
      }
    });

    it('R3: a lapsed lease is not resurrected: it starts over unconfirmed, the live ones are extended', () => {
      // At T0 + 31 s every lease of T0 has ended: naming it proves nothing.
      const t = heldExpiryMs + 1_000;
      const { state, result } = applySiteCommand(leased, {
        type: 'RenewLeases',
        atMs: t,
        renewals: [{ chargePointId: 'cp3', heldLeaseExpiresAtMs: heldExpiryMs }],
      });
      expect(result.ok && result.renewals?.[0]).to.include({ ok: true, leaseConfirmed: false });
      expect(state.chargePoints['cp3']?.lease).to.deep.equal({
        expiresAtMs: t + LEASE_MS,
        confirmed: false,
        previousExpiresAtMs: heldExpiryMs,
      });
    });

    it('is refused as a whole, the state untouched, when no renewal renews', () => {
      const renewals: LeaseRenewal[] = [
        { chargePointId: 'cp1', heldLeaseExpiresAtMs: null },
        { chargePointId: 'cp9', heldLeaseExpiresAtMs: null },
      ];
      const { state, result } = applySiteCommand(leased, {
        type: 'RenewLeases',
        atMs: T0 + 10_000,
        renewals,
      });
      expect(state).to.equal(leased);
      expect(result).to.include({ ok: false, code: 'lease-not-held' });
      expect(result.ok ? '' : result.reason)
        .to.contain('cp1')
        .and.to.contain('cp9');
    });
  });
});

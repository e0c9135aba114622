import { expect } from 'chai';
import { createSiteState } from '../../src';
import type { RenewLease, SiteState } from '../../src';
import { handleRenewLease } from '../../src/handlers/renew-lease';
import { T0, register, run } from '../helpers';

const LEASE_MS = 30_000;

const renewal = (heldLeaseExpiresAtMs: number | null): RenewLease => ({
  type: 'RenewLease',
  atMs: T0,
  chargePointId: 'cp1',
  heldLeaseExpiresAtMs,
});

describe('handlers: RenewLease (lease.ts rules R2, R3)', () => {
  const site = run(createSiteState({ leaseMs: LEASE_MS }), [register('cp1')]);
  const renewAt = (state: SiteState, held: number | null, t: number) =>
    handleRenewLease(state, renewal(held), t);

  it('R3: a charge point without a lease gets a fresh, unconfirmed one', () => {
    const { state, result } = renewAt(site, null, T0);
    expect(result).to.include({ leaseExpiresAtMs: T0 + LEASE_MS, leaseConfirmed: false });
    expect(state.chargePoints['cp1']?.lease).to.deep.equal({
      expiresAtMs: T0 + LEASE_MS,
      confirmed: false,
      previousExpiresAtMs: null,
    });
  });

  it('R2: naming the live lease extends it, confirmed, keeping the named expiry', () => {
    const first = renewAt(site, null, T0).state;
    const { state, result } = renewAt(first, T0 + LEASE_MS, T0 + 10_000);
    expect(result).to.include({ leaseConfirmed: true, leaseExpiresAtMs: T0 + 10_000 + LEASE_MS });
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
    expect(result).to.include({ ok: true, leaseConfirmed: false });
  });

  it('R5: a renewal opens a new epoch with empty bounds', () => {
    const first = renewAt(site, null, T0).state;
    const bounds = renewAt(first, T0 + LEASE_MS, T0 + 1).state.chargePoints['cp1']?.bounds;
    expect(bounds).to.include({ drawW: 0, holdW: 0 });
  });

  it('rejects an unknown charge point', () => {
    const { result } = handleRenewLease(site, { ...renewal(null), chargePointId: 'cp9' }, T0);
    expect(result).to.include({ ok: false, code: 'unknown-charge-point' });
  });
});

import { expect } from 'chai';
import { powerLimitAt } from '@evpaxos/site';
import {
  drawW,
  grantFor,
  isLeased,
  needsAgreed,
  powerChange,
  powerMode,
  scheduleFromReplica,
  type EvNeeds,
  type EvPowerFacts,
  type PowerChangeInput,
} from '../src/power-governor';
import { FakeReplica } from './fakes';

const CP = 'cp1';
const NOW_MS = Date.parse('2026-06-01T12:00:00.000Z');
const NEEDS: EvNeeds = {
  energyRequestedWh: 20_000,
  minPowerW: 1_400,
  maxPowerW: 7_000,
  departureAtMs: NOW_MS + 3_600_000,
};

/** A leased charge point with transaction tx1 whose needs the site agreed. */
function replicaWithAgreedNeeds(leasedAtMs = NOW_MS): FakeReplica {
  const replica = new FakeReplica();
  replica.registerLeased(CP, leasedAtMs);
  replica.apply({
    type: 'StartSession',
    atMs: leasedAtMs + 2,
    transactionId: 'tx1',
    chargePointId: CP,
    connectorId: 1,
    idToken: 'EV1',
  });
  replica.apply({ type: 'UpdateNeeds', atMs: leasedAtMs + 3, transactionId: 'tx1', ...NEEDS });
  return replica;
}

const facts = (overrides: Partial<EvPowerFacts> = {}): EvPowerFacts => ({
  transactionId: 'tx1',
  needs: NEEDS,
  scheduleAgreed: true,
  drawing: true,
  ...overrides,
});

describe('power governor (a pure function of the replica and the clock)', () => {
  it('grants the replica limit with the replica schedule while leased and agreed', () => {
    const { state } = replicaWithAgreedNeeds();
    const limit = powerLimitAt(state, CP, NOW_MS + 10);
    expect(isLeased(limit)).to.equal(true);
    const grant = grantFor(state, limit, facts(), NOW_MS + 10);
    expect(grant.mode).to.equal('profile');
    expect(grant.limitW).to.equal(Math.floor(limit.powerW));
    expect(grant.schedule?.periods[0]?.startOffsetS).to.equal(0);
    expect(grant.schedule).to.deep.equal(scheduleFromReplica(state, 'tx1', NOW_MS + 10));
  });

  it('grants fail-safe without a schedule while no schedule is agreed, even under a live lease', () => {
    const { state } = replicaWithAgreedNeeds();
    const limit = powerLimitAt(state, CP, NOW_MS + 10);
    const grant = grantFor(state, limit, facts({ scheduleAgreed: false }), NOW_MS + 10);
    expect(grant).to.deep.equal({ limitW: Math.floor(limit.powerW), mode: 'fail-safe' });
  });

  it('falls to fail-safe power (site limit / charge points) once the lease ran out on our clock', () => {
    const { state } = replicaWithAgreedNeeds(NOW_MS - 10 * 60_000);
    const limit = powerLimitAt(state, CP, NOW_MS);
    expect(isLeased(limit)).to.equal(false);
    expect(powerMode(limit, true)).to.equal('fail-safe');
    expect(grantFor(state, limit, facts(), NOW_MS)).to.deep.equal({
      limitW: 44_000 / 5,
      mode: 'fail-safe',
    });
  });

  it('draws nothing with the contactor open, else the grant capped by the EV maximum', () => {
    const grant = { limitW: 11_000, mode: 'profile' as const };
    expect(drawW(grant, facts({ drawing: false }))).to.equal(0);
    expect(drawW(grant, facts())).to.equal(7_000);
    expect(drawW({ limitW: 3_000, mode: 'fail-safe' }, facts())).to.equal(3_000);
    expect(drawW(grant, facts({ needs: null }))).to.equal(11_000);
  });

  it('counts needs as agreed only when the replica holds exactly these needs for the transaction', () => {
    const { state } = replicaWithAgreedNeeds();
    expect(needsAgreed(state, 'tx1', NEEDS)).to.equal(true);
    expect(needsAgreed(state, 'tx1', { ...NEEDS, maxPowerW: 11_000 })).to.equal(false);
    expect(needsAgreed(state, 'tx2', NEEDS)).to.equal(false);
    expect(needsAgreed(state, null, NEEDS)).to.equal(false);
    expect(needsAgreed(state, 'tx1', null)).to.equal(false);
  });

  it('has no schedule for a transaction the replica does not know', () => {
    const { state } = replicaWithAgreedNeeds();
    expect(scheduleFromReplica(state, 'unknown', NOW_MS)).to.equal(undefined);
  });

  describe('powerChange', () => {
    const input = (overrides: Partial<PowerChangeInput> = {}): PowerChangeInput => ({
      evseState: 'charging',
      scheduleAgreed: true,
      wasLeased: true,
      leased: true,
      needsAgreed: true,
      lastGrant: { limitW: 11_000, mode: 'profile' },
      grant: { limitW: 11_000, mode: 'profile' },
      ...overrides,
    });

    it('changes nothing while the grant and the lease stay as they were', () => {
      expect(powerChange(input())).to.equal('none');
    });

    it('calls a lease loss when the lease was live at the last evaluation and is not now', () => {
      expect(powerChange(input({ leased: false }))).to.equal('lease-lost');
      expect(powerChange(input({ leased: false, scheduleAgreed: false }))).to.equal('lease-lost');
    });

    it('restores the profile when the lease is live and the needs reached the replica', () => {
      expect(powerChange(input({ scheduleAgreed: false, wasLeased: false }))).to.equal(
        'lease-restored',
      );
      expect(powerChange(input({ scheduleAgreed: false }))).to.equal('lease-restored');
    });

    it('keeps fail-safe while the needs have not reached the replica', () => {
      const waiting = input({
        scheduleAgreed: false,
        needsAgreed: false,
        lastGrant: { limitW: 8_800, mode: 'fail-safe' },
        grant: { limitW: 8_800, mode: 'fail-safe' },
      });
      expect(powerChange(waiting)).to.equal('none');
    });

    it('tells the EV a new grant when the limit moved', () => {
      expect(powerChange(input({ grant: { limitW: 7_000, mode: 'profile' } }))).to.equal(
        'renegotiation',
      );
      expect(
        powerChange(input({ lastGrant: null, grant: { limitW: 7_000, mode: 'profile' } })),
      ).to.equal('none');
    });

    it('changes nothing outside the charging state', () => {
      for (const evseState of ['energyNegotiation', 'restartingSession', 'endSession'] as const) {
        expect(powerChange(input({ evseState, leased: false })), evseState).to.equal('none');
      }
    });
  });
});

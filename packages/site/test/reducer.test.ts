import { expect } from 'chai';
import type { SiteCommand, SiteErrorCode, SiteState } from '../src';
import { applySiteCommand, createSiteState } from '../src';
import { MINUTE_MS, T0, needs, register, renew, renewOne, run, start, step } from './helpers';

/** Asserts the command is rejected with `code` and leaves the very same state behind. */
function expectRejected(state: SiteState, command: SiteCommand, code: SiteErrorCode): string {
  const next = applySiteCommand(state, command);
  expect(next.result, JSON.stringify(command)).to.include({ ok: false, code });
  expect(next.state).to.equal(state);
  return next.result.ok ? '' : next.result.reason;
}

const base = (): SiteState => run(createSiteState(), [register('cp1'), register('cp2')]);

describe('applySiteCommand', () => {
  describe('RegisterChargePoint', () => {
    it('adds a charge point with no lease and no faults', () => {
      const state = base();
      expect(state.chargePoints['cp1']).to.deep.include({
        connectorCount: 2,
        maxPowerW: 22_000,
        faultedConnectorIds: [],
        lease: null,
      });
    });

    it('rejects a charge point registered twice', () => {
      expectRejected(base(), register('cp1'), 'charge-point-exists');
    });

    it('rejects a charge point beyond chargePointsMax', () => {
      const state = run(createSiteState({ chargePointsMax: 1 }), [register('cp1')]);
      expectRejected(state, register('cp2'), 'charge-points-full');
    });

    it('rejects too many connectors or too much power', () => {
      const state = base();
      expectRejected(
        state,
        {
          type: 'RegisterChargePoint',
          atMs: T0,
          chargePointId: 'x',
          connectorCount: 9,
          maxPowerW: 1,
        },
        'connector-count-out-of-range',
      );
      expectRejected(
        state,
        {
          type: 'RegisterChargePoint',
          atMs: T0,
          chargePointId: 'x',
          connectorCount: 1,
          maxPowerW: 400_001,
        },
        'power-out-of-range',
      );
    });
  });

  describe('Reserve', () => {
    const reserve = (
      over: Partial<Extract<SiteCommand, { type: 'Reserve' }>> = {},
    ): SiteCommand => ({
      type: 'Reserve',
      atMs: T0,
      reservationId: 1,
      chargePointId: 'cp1',
      connectorId: 1,
      idToken: 'ALICE',
      expiresAtMs: T0 + 10 * MINUTE_MS,
      ...over,
    });

    it('holds a free connector for an idToken', () => {
      const state = run(base(), [reserve()]);
      expect(state.reservations['1']).to.deep.include({
        chargePointId: 'cp1',
        connectorId: 1,
        idToken: 'ALICE',
      });
    });

    it('replaces a reservation with the same id (H01.FR.02)', () => {
      const state = run(base(), [reserve(), reserve({ connectorId: 2 })]);
      expect(Object.keys(state.reservations)).to.deep.equal(['1']);
      expect(state.reservations['1']?.connectorId).to.equal(2);
    });

    it('rejects an unknown charge point or connector', () => {
      expectRejected(base(), reserve({ chargePointId: 'cp9' }), 'unknown-charge-point');
      expectRejected(base(), reserve({ connectorId: 3 }), 'unknown-connector');
    });

    it('rejects a reservation that expires in the past', () => {
      const reason = expectRejected(base(), reserve({ expiresAtMs: T0 }), 'reservation-in-past');
      expect(reason).to.contain('reservation 1');
    });

    it('rejects a reservation longer than reservationDurationMsMax', () => {
      expectRejected(
        base(),
        reserve({ expiresAtMs: T0 + 25 * 60 * MINUTE_MS }),
        'reservation-too-long',
      );
    });

    it('rejects double booking of a connector by another reservation', () => {
      const state = run(base(), [reserve()]);
      expectRejected(state, reserve({ reservationId: 2, idToken: 'BOB' }), 'connector-reserved');
    });

    it('allows a new reservation once the old one has expired', () => {
      const state = run(base(), [reserve({ expiresAtMs: T0 + MINUTE_MS })]);
      const later = run(state, [
        reserve({ reservationId: 2, atMs: T0 + MINUTE_MS, expiresAtMs: T0 + 2 * MINUTE_MS }),
      ]);
      expect(Object.keys(later.reservations)).to.deep.equal(['2']);
    });

    it('rejects a connector in session or faulted', () => {
      expectRejected(run(base(), [start('tx1', 'cp1')]), reserve(), 'connector-occupied');
      const faulted = run(base(), [{ type: 'ChargePointFaulted', atMs: T0, chargePointId: 'cp1' }]);
      expectRejected(faulted, reserve(), 'connector-faulted');
    });

    it('rejects beyond reservationsMax', () => {
      const state = run(createSiteState({ reservationsMax: 1 }), [register('cp1'), reserve()]);
      expectRejected(state, reserve({ reservationId: 2, connectorId: 2 }), 'reservations-full');
    });
  });

  describe('CancelReservation', () => {
    const reserved = (): SiteState =>
      run(base(), [
        {
          type: 'Reserve',
          atMs: T0,
          reservationId: 4,
          chargePointId: 'cp1',
          connectorId: 1,
          idToken: 'A',
          expiresAtMs: T0 + MINUTE_MS,
        },
      ]);

    it('frees the connector', () => {
      const state = run(reserved(), [{ type: 'CancelReservation', atMs: T0, reservationId: 4 }]);
      expect(state.reservations).to.deep.equal({});
    });

    it('rejects an unknown or expired reservation (H02.FR.01)', () => {
      expectRejected(
        reserved(),
        { type: 'CancelReservation', atMs: T0, reservationId: 5 },
        'unknown-reservation',
      );
      expectRejected(
        reserved(),
        { type: 'CancelReservation', atMs: T0 + MINUTE_MS, reservationId: 4 },
        'unknown-reservation',
      );
    });
  });

  describe('StartSession', () => {
    it('starts a transaction on a free connector with a profile id', () => {
      const [state, result] = step(base(), start('tx1', 'cp1'));
      expect(result).to.deep.include({ ok: true, chargingProfileId: 1 });
      expect(state.sessions['tx1']).to.deep.include({
        chargePointId: 'cp1',
        connectorId: 1,
        needs: null,
      });
    });

    it('consumes a reservation held for the same idToken (H03)', () => {
      const state = run(base(), [
        {
          type: 'Reserve',
          atMs: T0,
          reservationId: 4,
          chargePointId: 'cp1',
          connectorId: 1,
          idToken: 'A',
          expiresAtMs: T0 + MINUTE_MS,
        },
      ]);
      const [after, result] = step(state, start('tx1', 'cp1', 1, T0, 'A'));
      expect(result).to.deep.include({ ok: true, reservationId: 4 });
      expect(after.reservations).to.deep.equal({});
      expect(after.sessions['tx1']?.reservationId).to.equal(4);
    });

    it('rejects another idToken on a reserved connector', () => {
      const state = run(base(), [
        {
          type: 'Reserve',
          atMs: T0,
          reservationId: 4,
          chargePointId: 'cp1',
          connectorId: 1,
          idToken: 'A',
          expiresAtMs: T0 + MINUTE_MS,
        },
      ]);
      expectRejected(state, start('tx1', 'cp1', 1, T0, 'B'), 'connector-reserved');
    });

    it('rejects double booking of a connector by a second session', () => {
      expectRejected(run(base(), [start('tx1', 'cp1')]), start('tx2', 'cp1'), 'connector-occupied');
    });

    it('rejects a session on a faulted connector', () => {
      const state = run(base(), [
        { type: 'ChargePointFaulted', atMs: T0, chargePointId: 'cp1', connectorId: 1 },
      ]);
      expectRejected(state, start('tx1', 'cp1', 1), 'connector-faulted');
      expect(run(state, [start('tx1', 'cp1', 2)]).sessions['tx1']).to.not.equal(undefined);
    });

    it('rejects an unknown charge point or connector, a reused transaction id, and sessionsMax', () => {
      expectRejected(base(), start('tx1', 'cp9'), 'unknown-charge-point');
      expectRejected(base(), start('tx1', 'cp1', 3), 'unknown-connector');
      expectRejected(run(base(), [start('tx1', 'cp1')]), start('tx1', 'cp2'), 'transaction-exists');
      const full = run(createSiteState({ sessionsMax: 1 }), [register('cp1'), start('tx1', 'cp1')]);
      expectRejected(full, start('tx2', 'cp1', 2), 'sessions-full');
    });
  });

  describe('UpdateNeeds', () => {
    const inSession = (): SiteState => run(base(), [start('tx1', 'cp1')]);

    it('records the EV needs with the time they were stated', () => {
      const state = run(inSession(), [
        needs('tx1', T0 + 5, 20_000, 1_400, 11_000, T0 + 60 * MINUTE_MS),
      ]);
      expect(state.sessions['tx1']?.needs).to.deep.equal({
        energyRequestedWh: 20_000,
        minPowerW: 1_400,
        maxPowerW: 11_000,
        departureAtMs: T0 + 60 * MINUTE_MS,
        statedAtMs: T0 + 5,
      });
    });

    it('rejects needs out of range', () => {
      const later = T0 + MINUTE_MS;
      expectRejected(inSession(), needs('tx9', T0, 1, 0, 1, later), 'unknown-transaction');
      expectRejected(inSession(), needs('tx1', T0, 200_001, 0, 1, later), 'needs-out-of-range');
      expectRejected(inSession(), needs('tx1', T0, 1, 5_000, 4_000, later), 'needs-out-of-range');
      expectRejected(inSession(), needs('tx1', T0, 1, 0, 400_001, later), 'needs-out-of-range');
      expectRejected(inSession(), needs('tx1', T0, 1, 0, 1, T0), 'departure-out-of-range');
      expectRejected(
        inSession(),
        needs('tx1', T0, 1, 0, 1, T0 + 8 * 24 * 60 * MINUTE_MS),
        'departure-out-of-range',
      );
    });
  });

  describe('StopSession', () => {
    it('ends the transaction and frees the connector', () => {
      const state = run(base(), [
        start('tx1', 'cp1'),
        { type: 'StopSession', atMs: T0, transactionId: 'tx1' },
      ]);
      expect(state.sessions).to.deep.equal({});
      expect(run(state, [start('tx2', 'cp1')]).sessions['tx2']).to.not.equal(undefined);
    });

    it('rejects an unknown transaction', () => {
      expectRejected(
        base(),
        { type: 'StopSession', atMs: T0, transactionId: 'nope' },
        'unknown-transaction',
      );
    });
  });

  describe('ChargePointFaulted and ChargePointRecovered', () => {
    it('faults every connector, ends their sessions and removes their reservations (H01.FR.16)', () => {
      const state = run(base(), [
        start('tx1', 'cp1', 1),
        {
          type: 'Reserve',
          atMs: T0,
          reservationId: 9,
          chargePointId: 'cp1',
          connectorId: 2,
          idToken: 'A',
          expiresAtMs: T0 + MINUTE_MS,
        },
      ]);
      const [after, result] = step(state, {
        type: 'ChargePointFaulted',
        atMs: T0,
        chargePointId: 'cp1',
      });
      expect(result).to.deep.include({
        ok: true,
        endedTransactionIds: ['tx1'],
        removedReservationIds: [9],
      });
      expect(after.chargePoints['cp1']?.faultedConnectorIds).to.deep.equal([1, 2]);
      expect(after.sessions).to.deep.equal({});
    });

    it('rejects faulting what is already faulted, and unknown targets', () => {
      const state = run(base(), [
        { type: 'ChargePointFaulted', atMs: T0, chargePointId: 'cp1', connectorId: 2 },
      ]);
      expectRejected(
        state,
        { type: 'ChargePointFaulted', atMs: T0, chargePointId: 'cp1', connectorId: 2 },
        'already-faulted',
      );
      expectRejected(
        state,
        { type: 'ChargePointFaulted', atMs: T0, chargePointId: 'cp9' },
        'unknown-charge-point',
      );
      expectRejected(
        state,
        { type: 'ChargePointFaulted', atMs: T0, chargePointId: 'cp1', connectorId: 3 },
        'unknown-connector',
      );
      // Faulting the whole charge point still faults connector 1.
      const all = run(state, [{ type: 'ChargePointFaulted', atMs: T0, chargePointId: 'cp1' }]);
      expect(all.chargePoints['cp1']?.faultedConnectorIds).to.deep.equal([1, 2]);
    });

    it('recovers one connector or all, and rejects recovering a healthy one', () => {
      const faulted = run(base(), [{ type: 'ChargePointFaulted', atMs: T0, chargePointId: 'cp1' }]);
      const one = run(faulted, [
        { type: 'ChargePointRecovered', atMs: T0, chargePointId: 'cp1', connectorId: 1 },
      ]);
      expect(one.chargePoints['cp1']?.faultedConnectorIds).to.deep.equal([2]);
      expectRejected(
        one,
        { type: 'ChargePointRecovered', atMs: T0, chargePointId: 'cp1', connectorId: 1 },
        'not-faulted',
      );
      const all = run(one, [{ type: 'ChargePointRecovered', atMs: T0, chargePointId: 'cp1' }]);
      expect(all.chargePoints['cp1']?.faultedConnectorIds).to.deep.equal([]);
      expectRejected(
        all,
        { type: 'ChargePointRecovered', atMs: T0, chargePointId: 'cp1' },
        'not-faulted',
      );
      expectRejected(
        all,
        { type: 'ChargePointRecovered', atMs: T0, chargePointId: 'cp9' },
        'unknown-charge-point',
      );
    });
  });

  describe('SetSiteLimit', () => {
    it('changes the limit and rejects one above SITE_LIMIT_W_MAX', () => {
      expect(
        run(base(), [{ type: 'SetSiteLimit', atMs: T0, siteLimitW: 30_000 }]).siteLimitW,
      ).to.equal(30_000);
      expectRejected(
        base(),
        { type: 'SetSiteLimit', atMs: T0, siteLimitW: 10_000_001 },
        'site-limit-out-of-range',
      );
    });
  });

  describe('RenewLeases', () => {
    it('grants a fresh, unconfirmed lease, then confirms it when renewed by its holder', () => {
      const first = step(base(), renewOne(T0, 'cp1', null));
      expect(first[1]).to.deep.include({
        ok: true,
        renewals: [
          { chargePointId: 'cp1', ok: true, leaseExpiresAtMs: T0 + 30_000, leaseConfirmed: false },
        ],
      });
      const second = step(first[0], renew(first[0], 'cp1', T0 + 10_000));
      expect(second[1]).to.deep.include({
        ok: true,
        renewals: [
          { chargePointId: 'cp1', ok: true, leaseExpiresAtMs: T0 + 40_000, leaseConfirmed: true },
        ],
      });
    });

    it('rejects a renewal of a live lease the charge point does not hold', () => {
      const state = run(base(), [renewOne(T0, 'cp1', null)]);
      const reason = expectRejected(state, renewOne(T0 + 1, 'cp1', null), 'lease-not-held');
      expect(reason).to.contain('cp1');
    });

    it('starts over unconfirmed after the lease expired, whatever the charge point says it holds', () => {
      const state = run(base(), [renewOne(T0, 'cp1', null)]);
      const [after, result] = step(state, renew(state, 'cp1', T0 + 30_000));
      expect(result.ok && result.renewals?.[0]).to.deep.include({
        ok: true,
        leaseConfirmed: false,
      });
      expect(after.chargePoints['cp1']?.lease).to.deep.equal({
        expiresAtMs: T0 + 60_000,
        confirmed: false,
        previousExpiresAtMs: T0 + 30_000,
      });
    });

    it('rejects an unknown charge point', () => {
      expectRejected(base(), renewOne(T0, 'cp9', null), 'unknown-charge-point');
    });
  });

  describe('the replicated clock', () => {
    it('advances on accepted commands, never runs backwards, and stays put on rejection', () => {
      const state = run(base(), [{ type: 'Noop', atMs: T0 + 100 }]);
      expect(state.clockMs).to.equal(T0 + 100);
      expect(run(state, [{ type: 'Noop', atMs: T0 + 50 }]).clockMs).to.equal(T0 + 100);
      expectRejected(
        state,
        { type: 'StopSession', atMs: T0 + 500, transactionId: 'x' },
        'unknown-transaction',
      );
    });

    it('judges reservations against the replicated clock, not a stale atMs', () => {
      const state = run(base(), [{ type: 'Noop', atMs: T0 + 100 }]);
      expectRejected(
        state,
        {
          type: 'Reserve',
          atMs: T0,
          reservationId: 1,
          chargePointId: 'cp1',
          connectorId: 1,
          idToken: 'A',
          expiresAtMs: T0 + 50,
        },
        'reservation-in-past',
      );
    });
  });

  it('never mutates the state it is given', () => {
    const state = base();
    const frozen = JSON.stringify(state);
    run(state, [
      start('tx1', 'cp1'),
      { type: 'ChargePointFaulted', atMs: T0, chargePointId: 'cp1' },
    ]);
    expect(JSON.stringify(state)).to.equal(frozen);
  });
});

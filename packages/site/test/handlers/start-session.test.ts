import { expect } from 'chai';
import { createSiteState } from '../../src';
import type { StartSession } from '../../src';
import { handleStartSession } from '../../src/handlers/start-session';
import { T0, register, reserve, run, start } from '../helpers';

const startSession = (transactionId: string, idToken = 'A'): StartSession => ({
  type: 'StartSession',
  atMs: T0,
  transactionId,
  chargePointId: 'cp1',
  connectorId: 1,
  idToken,
});

describe('handlers: StartSession', () => {
  const site = run(createSiteState(), [register('cp1')]);

  it('starts at 0 W fail-safe with the next ChargingProfile.id', () => {
    const { state, result } = handleStartSession(site, startSession('tx1'), T0 + 2);
    expect(result).to.deep.equal({ ok: true, type: 'StartSession', chargingProfileId: 1 });
    expect(state.nextChargingProfileId).to.equal(2);
    expect(state.sessions['tx1']).to.include({
      startedAtMs: T0 + 2,
      allocatedW: 0,
      allocationStatus: 'fail-safe',
      reservationId: null,
    });
  });

  it('consumes the reservation held for its idToken (H03) and refuses any other idToken', () => {
    const reserved = run(site, [reserve(9, 'cp1', 1, 'A', T0 + 60_000)]);
    const other = handleStartSession(reserved, startSession('tx1', 'B'), T0);
    expect(other.result).to.include({ ok: false, code: 'connector-reserved' });
    const own = handleStartSession(reserved, startSession('tx1', 'A'), T0);
    expect(own.result).to.include({ ok: true, reservationId: 9 });
    expect(own.state.reservations).to.deep.equal({});
  });

  it('refuses a transaction id in progress, and a connector in session', () => {
    const busy = run(site, [start('tx1', 'cp1', 1)]);
    expect(handleStartSession(busy, startSession('tx1'), T0).result).to.include({
      code: 'transaction-exists',
    });
    expect(handleStartSession(busy, startSession('tx2'), T0).result).to.include({
      code: 'connector-occupied',
    });
  });

  it('refuses beyond sessionsMax', () => {
    const full = run(createSiteState({ sessionsMax: 1 }), [
      register('cp1'),
      start('tx1', 'cp1', 2),
    ]);
    expect(handleStartSession(full, startSession('tx2'), T0).result).to.include({
      code: 'sessions-full',
    });
  });
});

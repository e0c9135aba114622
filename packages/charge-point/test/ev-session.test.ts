import { expect } from 'chai';
import * as path from 'node:path';
import { EvLinkClient, EvLinkServer } from '@evpaxos/ev-link';
import { QUEUE_FILE_NAME } from '../src/constants';
import { reservationAgainst, reservationHeldFor } from '../src/connector-reservations';
import { EvSession, refusalOf } from '../src/ev-session';
import { Evse } from '../src/evse';
import { OcppPump } from '../src/ocpp-pump';
import { TransactionQueue } from '../src/transaction-queue';
import { Waiters } from '../src/waiters';
import { FakeCsms, FakeReplica, recordingLogger, tempDir, type Logged } from './fakes';

const CP = 'cp1';

/** The EV session alone, with its collaborators, the CSMS offline, and an EV on the link. */
async function startSession(replica: FakeReplica) {
  const lines: Logged[] = [];
  const logger = recordingLogger(lines);
  const csms = new FakeCsms(false);
  const queue = TransactionQueue.open(path.join(tempDir(), QUEUE_FILE_NAME));
  const waiters = new Waiters(Date.now);
  const evse = new Evse(CP, logger);
  const ocpp = new OcppPump({
    chargePointId: CP,
    csms,
    queue,
    logger,
    onDelivered: () => undefined,
  });
  let evaluations = 0;
  const session = new EvSession(
    { chargePointId: CP, negotiationTimeoutMs: 1_000, meterValueIntervalMs: 10_000 },
    {
      evse,
      ocpp,
      csms,
      replica,
      waiters,
      logger,
      nowMs: Date.now,
      newTransactionId: () => 'tx-1',
      evaluate: () => (evaluations += 1),
    },
  );
  const server = await EvLinkServer.listen({ port: 0 }, { onSession: (s) => session.attach(s) });
  const client = await EvLinkClient.connect(server.url);
  return {
    session,
    evse,
    queue,
    lines,
    client,
    server,
    evaluations: () => evaluations,
    close: async () => {
      await client.close();
      await server.close();
      session.close();
      waiters.close();
      queue.close();
    },
  };
}

describe('EvSession (the EV link side)', () => {
  it('shows the EV state the EVSE can infer from the link at each step', async () => {
    const rig = await startSession(new FakeReplica());
    try {
      expect(rig.session.evStateSeen()).to.equal('not_connected');
      const setup = await rig.client.request({ type: 'SessionSetupReq', evId: 'EV1' });
      expect(setup).to.include({ responseCode: 'OK', sessionId: 'tx-1', chargePointId: CP });
      expect(rig.session.evStateSeen()).to.equal('sendNeeds');
      const discovery = await rig.client.request({
        type: 'ChargeParameterDiscoveryReq',
        energyRequestedWh: 10_000,
        minPowerW: 1_000,
        maxPowerW: 7_000,
        departureAtMs: Date.now() + 3_600_000,
      });
      // Unregistered and offline: the station's own limits, 0 W.
      expect(discovery).to.include({ responseCode: 'OK', mode: 'fail-safe', limitW: 0 });
      expect(rig.session.evStateSeen()).to.equal('connected_not_charging');
      await rig.client.request({ type: 'PowerDeliveryReq', start: true });
      expect(rig.session.evStateSeen()).to.equal('charging_without_profile');
      expect(rig.session.current?.contactorClosed).to.equal(true);
      expect(rig.evaluations()).to.be.greaterThan(0);
      await rig.client.request({ type: 'SessionStopReq' });
      expect(rig.session.current).to.equal(null);
      expect(rig.evse.state).to.equal('waitingEV');
      expect(rig.queue.list().map((q) => q.request.eventType)).to.deep.equal([
        'Started',
        'Updated',
        'Ended',
      ]);
    } finally {
      await rig.close();
    }
  });

  it('refuses a second EV while one is plugged in, and requests from a link with no session', async () => {
    const rig = await startSession(new FakeReplica());
    const other = await EvLinkClient.connect(rig.server.url);
    try {
      await rig.client.request({ type: 'SessionSetupReq', evId: 'EV1' });
      const second = await other.request({ type: 'SessionSetupReq', evId: 'EV2' });
      expect(second).to.include({ responseCode: 'FAILED', sessionId: '' });
      const stray = await other.request({ type: 'PowerDeliveryReq', start: true });
      expect(stray).to.include({ responseCode: 'FAILED_UnknownSession', limitW: 0 });
      const again = await rig.client.request({ type: 'SessionSetupReq', evId: 'EV1' });
      expect(again.responseCode).to.equal('FAILED_SequenceError');
      expect(rig.lines.filter((l) => l.message === 'ev-refused')).to.have.length(2);
    } finally {
      await other.close();
      await rig.close();
    }
  });

  it('refuses an EV at a connector reserved for another idToken (H01)', async () => {
    const replica = new FakeReplica();
    replica.registerLeased(CP, Date.now());
    replica.apply({
      type: 'Reserve',
      atMs: Date.now(),
      reservationId: 5,
      chargePointId: CP,
      connectorId: 1,
      idToken: 'DRIVER-A',
      expiresAtMs: Date.now() + 600_000,
    });
    const rig = await startSession(replica);
    try {
      const setup = await rig.client.request({
        type: 'SessionSetupReq',
        evId: 'EV1',
        idToken: 'B',
      });
      expect(setup.responseCode).to.equal('FAILED');
      expect(rig.evse.state).to.equal('waitingEV');
      expect(String(rig.lines.find((l) => l.message === 'ev-refused')?.meta.reason)).to.include(
        'reservation 5',
      );
    } finally {
      await rig.close();
    }
  });

  describe('reservations in the replica', () => {
    const replica = new FakeReplica();
    const nowMs = Date.now();
    replica.registerLeased(CP, nowMs);
    replica.apply({
      type: 'Reserve',
      atMs: nowMs,
      reservationId: 9,
      chargePointId: CP,
      connectorId: 1,
      idToken: 'A',
      expiresAtMs: nowMs + 60_000,
    });

    // The window opens at the replicated clock when it was agreed: registerLeased left it at nowMs + 1.
    const openMs = nowMs + 1;

    it('blocks other idTokens, not its own, and only until it expires', () => {
      expect(reservationAgainst(replica.state, CP, 'B', openMs)?.reservationId).to.equal(9);
      expect(reservationAgainst(replica.state, CP, 'A', openMs)).to.equal(undefined);
      expect(reservationAgainst(replica.state, CP, 'B', nowMs + 60_000)).to.equal(undefined);
      expect(reservationAgainst(replica.state, 'cp2', 'B', openMs)).to.equal(undefined);
    });

    it('is consumed by the transaction of its own idToken', () => {
      expect(reservationHeldFor(replica.state, CP, 'A', openMs)?.reservationId).to.equal(9);
      expect(reservationHeldFor(replica.state, CP, 'B', openMs)).to.equal(undefined);
    });

    it('holds a window that opens later only once it opens', () => {
      const ahead = new FakeReplica();
      ahead.registerLeased(CP, nowMs);
      ahead.apply({
        type: 'Reserve',
        atMs: nowMs + 1,
        reservationId: 10,
        chargePointId: CP,
        connectorId: 1,
        idToken: 'A',
        startsAtMs: nowMs + 30_000,
        expiresAtMs: nowMs + 60_000,
      });
      expect(reservationAgainst(ahead.state, CP, 'B', nowMs + 29_999)).to.equal(undefined);
      expect(reservationAgainst(ahead.state, CP, 'B', nowMs + 30_000)?.reservationId).to.equal(10);
      expect(reservationAgainst(ahead.state, CP, 'B', nowMs + 60_000)).to.equal(undefined);
    });
  });

  it('refuses each request type with its own response type, granting nothing', () => {
    expect(refusalOf('SessionSetupReq', 'FAILED', CP)).to.deep.equal({
      type: 'SessionSetupRes',
      responseCode: 'FAILED',
      sessionId: '',
      chargePointId: CP,
    });
    expect(refusalOf('SessionStopReq', 'FAILED_UnknownSession', CP)).to.deep.equal({
      type: 'SessionStopRes',
      responseCode: 'FAILED_UnknownSession',
    });
    for (const type of [
      'ChargeParameterDiscoveryReq',
      'PowerDeliveryReq',
      'ChargingStatusReq',
    ] as const) {
      expect(refusalOf(type, 'FAILED_SequenceError', CP)).to.include({
        type: type.replace(/Req$/, 'Res'),
        limitW: 0,
        mode: 'fail-safe',
      });
    }
  });
});

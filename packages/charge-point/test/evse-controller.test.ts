import { expect } from 'chai';
import * as path from 'node:path';
import { EvLinkClient, EvLinkServer, type EvseNotification } from '@evpaxos/ev-link';
import { QUEUE_FILE_NAME } from '../src/constants';
import type { EvChargingNeeds } from '../src/csms-link';
import { EvseController } from '../src/evse-controller';
import { needsAsRecorded } from '../src/ocpp-adapter';
import { TransactionQueue } from '../src/transaction-queue';
import { FakeCsms, FakeReplica, recordingLogger, tempDir, waitFor, type Logged } from './fakes';

const CP = 'cp1';

interface Rig {
  controller: EvseController;
  server: EvLinkServer;
  client: EvLinkClient;
  queue: TransactionQueue;
  lines: Logged[];
  close(): Promise<void>;
}

async function startRig(
  csms: FakeCsms,
  replica: FakeReplica,
  options: { dir?: string; nowMs?: () => number; negotiationTimeoutMs?: number } = {},
): Promise<Rig> {
  const lines: Logged[] = [];
  const dir = options.dir ?? tempDir();
  const queue = TransactionQueue.open(path.join(dir, QUEUE_FILE_NAME));
  const controller = new EvseController(
    { chargePointId: CP, negotiationTimeoutMs: options.negotiationTimeoutMs ?? 2_000 },
    {
      logger: recordingLogger(lines),
      csms,
      queue,
      replica,
      ...(options.nowMs ? { nowMs: options.nowMs } : {}),
    },
  );
  const server = await EvLinkServer.listen(
    { port: 0 },
    { onSession: (s) => controller.attachSession(s) },
  );
  const client = await EvLinkClient.connect(server.url);
  return {
    controller,
    server,
    client,
    queue,
    lines,
    close: async () => {
      await client.close();
      await server.close();
      controller.close();
      queue.close();
    },
  };
}

function transitions(lines: Logged[]): string[] {
  return lines
    .filter((l) => l.message === 'evse-transition')
    .map((l) => `${String(l.meta.from)} -${String(l.meta.event)}-> ${String(l.meta.to)}`);
}

const needs = () => ({
  type: 'ChargeParameterDiscoveryReq' as const,
  energyRequestedWh: 20_000,
  minPowerW: 1_400,
  maxPowerW: 11_000,
  departureAtMs: Date.now() + 3_600_000,
});

describe('EvseController', () => {
  const rigs: Rig[] = [];
  afterEach(async () => {
    for (const rig of rigs.splice(0)) await rig.close();
  });

  /** A leased charge point whose CSMS applies what it is sent to the replica at once. */
  async function leasedRig(): Promise<{ csms: FakeCsms; replica: FakeReplica; rig: Rig }> {
    const replica = new FakeReplica();
    replica.registerLeased(CP, Date.now());
    const holder: { rig?: Rig } = {};
    const csms = new FakeCsms(true, {
      replica,
      chargePointId: CP,
      onApplied: () => holder.rig?.controller.evaluate('applied'),
    });
    const rig = (holder.rig = await startRig(csms, replica));
    rigs.push(rig);
    return { csms, replica, rig };
  }

  it('drives a session waitingEV → beginSession → authentication → energyNegotiation → charging → endSession → waitingEV', async () => {
    const { csms, rig } = await leasedRig();

    const setup = await rig.client.request({ type: 'SessionSetupReq', evId: 'EV1' });
    expect(setup.responseCode).to.equal('OK');
    expect(setup.sessionId).to.have.length.greaterThan(0);
    const discovery = await rig.client.request(needs());
    expect(discovery.mode).to.equal('profile');
    expect(discovery.limitW).to.be.greaterThan(0);
    expect(discovery.schedule?.periods[0]?.startOffsetS).to.equal(0);
    const delivery = await rig.client.request({ type: 'PowerDeliveryReq', start: true });
    expect(delivery).to.include({ responseCode: 'OK', mode: 'profile' });
    const status = await rig.client.request({
      type: 'ChargingStatusReq',
      energyDeliveredWh: 500,
      socPercent: 30,
    });
    expect(status.responseCode).to.equal('OK');
    await rig.client.request({ type: 'PowerDeliveryReq', start: false });
    const stop = await rig.client.request({ type: 'SessionStopReq' });
    expect(stop.responseCode).to.equal('OK');
    expect(rig.controller.state).to.equal('waitingEV');

    expect(transitions(rig.lines)).to.deep.equal([
      'waitingEV -plugIn-> beginSession',
      'beginSession -idTokenPresented-> authentication',
      'authentication -authorized-> energyNegotiation',
      'energyNegotiation -scheduleAgreed-> charging',
      'charging -stopRequested-> endSession',
      'endSession -sessionClosed-> waitingEV',
    ]);
    for (const line of rig.lines.filter((l) => l.message === 'evse-transition')) {
      expect(line.meta).to.include({ chargePointId: CP, evId: 'EV1' });
    }
    await waitFor(() => csms.sent.some((e) => e.eventType === 'Ended'), 'Ended sent');
    expect(csms.sent.map((e) => [e.eventType, e.seqNo, e.offline ?? false])).to.deep.equal([
      ['Started', 0, false],
      ['Updated', 1, false],
      ['Updated', 2, false],
      ['Updated', 3, false],
      ['Ended', 4, false],
    ]);
    expect(csms.sent[0]?.idToken).to.deep.equal({ idToken: 'EV1', type: 'eMAID' });
    expect(csms.needs).to.have.length(1);
    expect(csms.statuses).to.include.members(['Occupied', 'Available']);
    const power = rig.lines.filter((l) => l.message === 'power');
    expect(
      power.some(
        (l) => l.meta.evId === 'EV1' && (l.meta.powerW as number) > 0 && l.meta.mode === 'profile',
      ),
    ).to.equal(true);
    expect(power.at(-1)?.meta).to.include({ powerW: 0, evId: null });
  });

  it('fault: the EV is told stop-charging at 0 W, the EVSE goes to failure and shows Faulted; recover brings it back Available', async () => {
    const { csms, rig } = await leasedRig();
    const told: EvseNotification[] = [];
    rig.client.onNotification((notification) => told.push(notification));
    expect(
      (await rig.client.request({ type: 'SessionSetupReq', evId: 'EV1' })).responseCode,
    ).to.equal('OK');
    await rig.client.request(needs());
    await rig.client.request({ type: 'PowerDeliveryReq', start: true });

    expect(rig.controller.fault()).to.equal(true);
    expect(rig.controller.state).to.equal('failure');
    await waitFor(() => told.some((n) => n.reason === 'stop-charging'), 'stop-charging told');
    expect(told.find((n) => n.reason === 'stop-charging')).to.include({ limitW: 0 });
    await waitFor(() => csms.statuses.includes('Faulted'), 'StatusNotification Faulted');
    // A second fault is refused (the table has no fault in failure), the state kept.
    expect(rig.controller.fault()).to.equal(false);
    // The EV ends its session: the transaction ends, the connector stays Faulted.
    await rig.client.request({ type: 'SessionStopReq' });
    await waitFor(() => csms.sent.some((e) => e.eventType === 'Ended'), 'Ended sent');
    expect(csms.statuses.at(-1)).to.equal('Faulted');
    expect(rig.lines.filter((l) => l.message === 'power').at(-1)?.meta).to.include({ powerW: 0 });

    expect(rig.controller.recover()).to.equal(true);
    expect(rig.controller.state).to.equal('waitingEV');
    await waitFor(() => csms.statuses.at(-1) === 'Available', 'StatusNotification Available');
    expect(rig.controller.recover()).to.equal(false);
    expect(transitions(rig.lines)).to.include.members([
      'charging -fault-> failure',
      'failure -recover-> waitingEV',
    ]);
  });

  it('charges under the profile once its replica holds the needs as OCPP carried them (whole amperes), with no TxProfile received', async () => {
    const replica = new FakeReplica();
    replica.registerLeased(CP, Date.now());
    const holder: { rig?: Rig } = {};
    /** Sends the needs as OCPP does: the central records them in whole amperes. */
    class OcppLikeCsms extends FakeCsms {
      override notifyEvChargingNeeds(sent: EvChargingNeeds) {
        return super.notifyEvChargingNeeds(needsAsRecorded(sent));
      }
      needsAsRecorded = needsAsRecorded;
    }
    const csms = new OcppLikeCsms(true, {
      replica,
      chargePointId: CP,
      onApplied: () => holder.rig?.controller.evaluate('applied'),
    });
    const rig = (holder.rig = await startRig(csms, replica));
    rigs.push(rig);
    await rig.client.request({ type: 'SessionSetupReq', evId: 'EV8' });
    const discovery = await rig.client.request(needs());
    expect(discovery).to.include({ responseCode: 'OK', mode: 'profile' });
    expect(rig.lines.some((l) => l.message === 'charging-profile-received')).to.equal(false);
    expect(Object.values(replica.state.sessions)[0]?.needs?.maxPowerW).to.equal(15 * 690);
  });

  it('refuses an event the table does not allow, with a logged error, and keeps its state', async () => {
    const rig = await startRig(new FakeCsms(false), new FakeReplica());
    rigs.push(rig);
    expect(rig.controller.fireEvent('sessionClosed')).to.equal(false);
    expect(rig.controller.fireEvent('warp-drive')).to.equal(false);
    expect(rig.controller.state).to.equal('waitingEV');
    const refused = rig.lines.filter((l) => l.message === 'evse-transition-refused');
    expect(refused).to.have.length(2);
    expect(refused[0]).to.include({ level: 'error' });
    // And a request out of sequence gets FAILED_SequenceError, not a crash.
    const early = await rig.client.request({ type: 'PowerDeliveryReq', start: true });
    expect(early.responseCode).to.equal('FAILED_UnknownSession');
  });

  it('refuses an EV whose idToken the CSMS blocks and returns to waitingEV', async () => {
    const csms = new FakeCsms(true);
    csms.authorizeAnswer = 'Blocked';
    const replica = new FakeReplica();
    replica.registerLeased(CP, Date.now());
    const rig = await startRig(csms, replica);
    rigs.push(rig);
    const setup = await rig.client.request({
      type: 'SessionSetupReq',
      evId: 'EV9',
      idToken: 'BLOCKED',
    });
    expect(setup.responseCode).to.equal('FAILED');
    expect(rig.controller.state).to.equal('waitingEV');
    expect(transitions(rig.lines)).to.include('authentication -authorizationRejected-> endSession');
  });

  it('queues TransactionEvents while offline, keeps them across a restart, and sends them in order with offline=true', async () => {
    const dir = tempDir();
    const replica = new FakeReplica();
    replica.registerLeased(CP, Date.now());
    const offline = new FakeCsms(false);
    const first = await startRig(offline, replica, { dir });
    await first.client.request({ type: 'SessionSetupReq', evId: 'EV2' });
    const discovery = await first.client.request(needs());
    expect(discovery.mode).to.equal('fail-safe'); // K15.FR.15: offline, charge on own limits
    await first.client.request({ type: 'PowerDeliveryReq', start: true });
    await first.client.request({ type: 'PowerDeliveryReq', start: false });
    await first.client.request({ type: 'SessionStopReq' });
    expect(first.queue.size).to.equal(4);
    await first.close(); // the process stops

    const online = new FakeCsms(true);
    const second = await startRig(online, replica, { dir });
    rigs.push(second);
    await waitFor(() => online.sent.length === 4 && second.queue.size === 0, 'queue replayed');
    expect(online.sent.map((e) => [e.eventType, e.seqNo, e.offline])).to.deep.equal([
      ['Started', 0, true],
      ['Updated', 1, true],
      ['Updated', 2, true],
      ['Ended', 3, true],
    ]);
    expect(new Set(online.sent.map((e) => e.transactionInfo.transactionId)).size).to.equal(1);
    // Acknowledged events are gone for good: a third start sends nothing again.
    const reopened = TransactionQueue.open(path.join(dir, QUEUE_FILE_NAME));
    expect(reopened.size).to.equal(0);
    reopened.close();
  });

  it('ends a transaction left open by a restart (Ended, stoppedReason Reboot, next seqNo)', async () => {
    const dir = tempDir();
    const replica = new FakeReplica();
    const first = await startRig(new FakeCsms(false), replica, { dir });
    await first.client.request({ type: 'SessionSetupReq', evId: 'EV3' });
    // The process stops mid-session: the controller and its queue go first, the EV link with them.
    first.controller.close();
    first.queue.close();
    await first.close();
    const online = new FakeCsms(true);
    const second = await startRig(online, replica, { dir });
    rigs.push(second);
    await waitFor(() => second.queue.size === 0, 'queue drained');
    const types = online.sent.map((e) => `${e.eventType}#${e.seqNo}`);
    expect(types).to.deep.equal(['Started#0', 'Ended#1']);
    expect(online.sent[1]?.transactionInfo.stoppedReason).to.equal('Reboot');
    expect(online.sent[0]?.offline).to.equal(true);
  });

  it('the power clock runs only while an EV is connected: an idle charge point does not wake for it', async () => {
    const replica = new FakeReplica();
    replica.registerLeased(CP, Date.now());
    const rig = await startRig(new FakeCsms(true), replica);
    rigs.push(rig);
    rig.controller.evaluate('applied');
    expect(rig.controller.powerSampling).to.equal(false);
    await rig.client.request({ type: 'SessionSetupReq', evId: 'EV9' });
    expect(rig.controller.powerSampling).to.equal(true);
    await rig.client.close();
    await waitFor(() => !rig.controller.powerSampling, 'the power clock stopped with the unplug');
  });

  it('fail-safe: with an expired lease the EV is told fail-safe at site limit / charge points', async () => {
    const replica = new FakeReplica();
    replica.registerLeased(CP, Date.now() - 10 * 60_000); // leaseMs 30 s: long expired
    const rig = await startRig(new FakeCsms(true), replica);
    rigs.push(rig);
    await rig.client.request({ type: 'SessionSetupReq', evId: 'EV4' });
    const discovery = await rig.client.request(needs());
    expect(discovery.mode).to.equal('fail-safe');
    expect(discovery.limitW).to.equal(44_000 / 5);
    expect(discovery.schedule).to.equal(undefined);
    const delivery = await rig.client.request({ type: 'PowerDeliveryReq', start: true });
    expect(delivery).to.include({ mode: 'fail-safe', limitW: 8_800 });
    rig.controller.evaluate('tick');
    expect(rig.lines.filter((l) => l.message === 'power').at(-1)?.meta).to.include({
      powerW: 8_800,
      mode: 'fail-safe',
      evId: 'EV4',
    });
  });

  it('fail-safe: a charging EV is told fail-safe when the lease runs out on the charge point clock', async () => {
    let offsetMs = 0;
    const nowMs = () => Date.now() + offsetMs;
    const replica = new FakeReplica();
    replica.registerLeased(CP, Date.now());
    const holder: { rig?: Rig } = {};
    const csms = new FakeCsms(true, {
      replica,
      chargePointId: CP,
      onApplied: () => holder.rig?.controller.evaluate('applied'),
    });
    const rig = (holder.rig = await startRig(csms, replica, { nowMs }));
    rigs.push(rig);
    await rig.client.request({ type: 'SessionSetupReq', evId: 'EV5' });
    expect((await rig.client.request(needs())).mode).to.equal('profile');
    await rig.client.request({ type: 'PowerDeliveryReq', start: true });
    const notified = new Promise<EvseNotification>((resolve) => rig.client.onNotification(resolve));
    offsetMs = 30_000 + 30_000 + 2_000 + 1_000; // past expiry + hold-down (leaseMs) + skew
    rig.controller.evaluate('tick');
    const notification = await notified;
    expect(notification).to.include({ reason: 'lease-lost', mode: 'fail-safe', limitW: 8_800 });
    expect(transitions(rig.lines).slice(-2)).to.deep.equal([
      'charging -leaseLost-> restartingSession',
      'restartingSession -negotiationTimedOut-> charging',
    ]);
    const status = await rig.client.request({
      type: 'ChargingStatusReq',
      energyDeliveredWh: 1,
      socPercent: 50,
    });
    expect(status).to.include({ mode: 'fail-safe', limitW: 8_800 });
  });

  it('answers the needs with fail-safe when no schedule comes within the negotiation timeout (K15.FR.08)', async () => {
    const replica = new FakeReplica();
    replica.registerLeased(CP, Date.now());
    const csms = new FakeCsms(true); // accepts the needs but never decides them
    const rig = await startRig(csms, replica, { negotiationTimeoutMs: 100 });
    rigs.push(rig);
    await rig.client.request({ type: 'SessionSetupReq', evId: 'EV6' });
    const discovery = await rig.client.request(needs());
    expect(discovery.mode).to.equal('fail-safe');
    expect(transitions(rig.lines)).to.include('energyNegotiation -negotiationTimedOut-> charging');
  });

  it('treats a dropped EV connection as unplug and ends the transaction', async () => {
    const csms = new FakeCsms(true);
    const replica = new FakeReplica();
    replica.registerLeased(CP, Date.now());
    const rig = await startRig(csms, replica);
    rigs.push(rig);
    await rig.client.request({ type: 'SessionSetupReq', evId: 'EV7' });
    await rig.client.close();
    await waitFor(() => rig.controller.state === 'waitingEV', 'back to waitingEV');
    await waitFor(() => csms.sent.some((e) => e.eventType === 'Ended'), 'Ended sent');
    expect(csms.sent.find((e) => e.eventType === 'Ended')?.transactionInfo).to.include({
      stoppedReason: 'EVDisconnected',
    });
  });

  describe('the station ends or refuses transactions: remote control (F01–F03), reset (B12), deauthorization (E05), availability (G03)', () => {
    const operatorToken = { idToken: 'OPERATOR-1', type: 'Central' } as const;
    const remoteStart = (remoteStartId: number, evConnectionTimeoutMs = 60_000) => ({
      idToken: operatorToken,
      remoteStartId,
      evConnectionTimeoutMs,
    });
    const handlersOf = (csms: FakeCsms) => {
      if (csms.handlers === undefined) throw new Error('the controller installed no handlers');
      return csms.handlers;
    };

    it('F02: a remote start with no EV starts the transaction (RemoteStart, remoteStartId); the EV that plugs in joins it and charges; a remote stop ends it (Remote) and tells the EV', async () => {
      const { csms, rig } = await leasedRig();
      const handlers = handlersOf(csms);
      expect(handlers.requestStartTransaction(remoteStart(41))).to.deep.equal({
        status: 'Accepted',
      });
      await waitFor(() => csms.sent.some((e) => e.eventType === 'Started'), 'Started sent');
      const started = csms.sent[0];
      expect(started).to.deep.include({ triggerReason: 'RemoteStart', idToken: operatorToken });
      expect(started?.transactionInfo).to.include({ remoteStartId: 41, chargingState: 'Idle' });
      const transactionId = started?.transactionInfo.transactionId ?? '';
      expect(rig.controller.view().transactionId).to.equal(transactionId);
      // The site's TxProfile for it arrives before any EV does: it is this station's (K01.FR.03).
      const profile = {
        id: 1,
        stackLevel: 0,
        chargingProfilePurpose: 'TxProfile',
        chargingProfileKind: 'Absolute',
        transactionId,
        chargingSchedule: [],
      } as const;
      expect(
        handlers.setChargingProfile({ evseId: 1, chargingProfile: profile } as never),
      ).to.equal('Accepted');
      // A second start on the busy connector names the running transaction (F01.FR.24).
      expect(handlers.requestStartTransaction(remoteStart(42))).to.deep.include({
        status: 'Rejected',
        reasonCode: 'TxInProgress',
        transactionId,
      });

      const told: EvseNotification[] = [];
      rig.client.onNotification((notification) => told.push(notification));
      const setup = await rig.client.request({ type: 'SessionSetupReq', evId: 'EV-R' });
      expect(setup).to.include({ responseCode: 'OK', sessionId: transactionId });
      expect((await rig.client.request(needs())).mode).to.equal('profile');
      await rig.client.request({ type: 'PowerDeliveryReq', start: true });
      await rig.client.request({
        type: 'ChargingStatusReq',
        energyDeliveredWh: 700,
        socPercent: 40,
      });

      expect(handlers.requestStopTransaction('no-such-transaction')).to.equal(false);
      expect(handlers.requestStopTransaction(transactionId)).to.equal(true);
      await waitFor(() => told.some((n) => n.reason === 'stop-charging'), 'stop-charging told');
      await waitFor(() => csms.sent.some((e) => e.eventType === 'Ended'), 'Ended sent');
      const ended = csms.sent.find((e) => e.eventType === 'Ended');
      expect(ended?.triggerReason).to.equal('RemoteStop');
      expect(ended?.transactionInfo).to.include({ transactionId, stoppedReason: 'Remote' });
      expect(ended?.meterValue?.[0]?.sampledValue[0]?.value).to.equal(700);
      expect(rig.controller.view().transactionId).to.equal(null);
      // The EV leaves as it does at a fault: one Ended, the connector free again.
      await rig.client.request({ type: 'SessionStopReq' });
      expect(rig.controller.state).to.equal('waitingEV');
      expect(csms.sent.filter((e) => e.eventType === 'Ended')).to.have.length(1);
      expect(
        csms.sent.some((e) => e.eventType === 'Updated' && e.triggerReason === 'CablePluggedIn'),
      ).to.equal(true);
      expect(transitions(rig.lines)).to.include.members([
        'authentication -authorized-> energyNegotiation',
        'charging -stopRequested-> endSession',
        'endSession -sessionClosed-> waitingEV',
      ]);
    });

    it('E03: no EV within EVConnectionTimeOut ends the remotely started transaction (EVConnectTimeout, Timeout)', async () => {
      const { csms, rig } = await leasedRig();
      expect(handlersOf(csms).requestStartTransaction(remoteStart(7, 50)).status).to.equal(
        'Accepted',
      );
      await waitFor(() => csms.sent.some((e) => e.eventType === 'Ended'), 'Ended sent');
      const ended = csms.sent.find((e) => e.eventType === 'Ended');
      expect(ended?.triggerReason).to.equal('EVConnectTimeout');
      expect(ended?.transactionInfo.stoppedReason).to.equal('Timeout');
      expect(rig.controller.view().transactionId).to.equal(null);
      // The EV that comes later starts its own session (Plug & Charge), not the expired one.
      const setup = await rig.client.request({ type: 'SessionSetupReq', evId: 'EV-L' });
      expect(setup.sessionId).to.not.equal(ended?.transactionInfo.transactionId);
    });

    it('F01: an EV waiting for its Authorize is authorised by a remote start, which the Started event names', async () => {
      const { csms, rig } = await leasedRig();
      let answer: (status: 'Accepted') => void = () => undefined;
      csms.authorize = () => new Promise((resolve) => (answer = resolve));
      const setup = rig.client.request({ type: 'SessionSetupReq', evId: 'EV-W' });
      await waitFor(() => rig.controller.state === 'authentication', 'EV authenticating');
      expect(handlersOf(csms).requestStartTransaction(remoteStart(9)).status).to.equal('Accepted');
      expect((await setup).responseCode).to.equal('OK');
      answer('Accepted'); // the CSMS's late answer changes nothing
      await waitFor(() => csms.sent.some((e) => e.eventType === 'Started'), 'Started sent');
      const started = csms.sent[0];
      expect(started).to.deep.include({ triggerReason: 'RemoteStart', idToken: operatorToken });
      expect(started?.transactionInfo.remoteStartId).to.equal(9);
    });

    it('refuses a remote start on a failed connector, and a stop of a transaction that is not here', async () => {
      const { csms, rig } = await leasedRig();
      expect(rig.controller.fault()).to.equal(true);
      expect(handlersOf(csms).requestStartTransaction(remoteStart(1))).to.deep.include({
        status: 'Rejected',
        reasonCode: 'Faulted',
      });
      expect(handlersOf(csms).requestStopTransaction('tx-unknown')).to.equal(false);
      expect(csms.sent).to.deep.equal([]);
    });

    it('B12 Immediate: the running transaction ends with ImmediateReset and the reset waits until the CSMS has it; OnIdle waits for no transaction', async () => {
      const { csms, rig } = await leasedRig();
      const handlers = handlersOf(csms);
      expect(await handlers.whenIdle()).to.equal(true);
      await rig.client.request({ type: 'SessionSetupReq', evId: 'EV-I' });
      let idle = false;
      void handlers.whenIdle().then((ok) => (idle = ok));
      await handlers.endTransactionForReset();
      expect(rig.queue.size).to.equal(0);
      const ended = csms.sent.find((e) => e.eventType === 'Ended');
      expect(ended?.triggerReason).to.equal('ResetCommand');
      expect(ended?.transactionInfo.stoppedReason).to.equal('ImmediateReset');
      await waitFor(() => idle, 'idle after the transaction ended');
    });

    it('E05: a transaction whose idToken the CSMS does not accept in its TransactionEventResponse ends (Deauthorized, DeAuthorized) and the EV is told', async () => {
      const { csms, rig } = await leasedRig();
      csms.idTokenInfoAnswer = 'Invalid';
      const told: EvseNotification[] = [];
      rig.client.onNotification((notification) => told.push(notification));
      const setup = await rig.client.request({ type: 'SessionSetupReq', evId: 'EV-X' });
      expect(setup.responseCode).to.equal('OK');
      await waitFor(() => csms.sent.some((e) => e.eventType === 'Ended'), 'Ended sent');
      const ended = csms.sent.find((e) => e.eventType === 'Ended');
      expect(ended?.triggerReason).to.equal('Deauthorized');
      expect(ended?.transactionInfo).to.include({
        transactionId: setup.sessionId,
        stoppedReason: 'DeAuthorized',
      });
      await waitFor(() => told.some((n) => n.reason === 'stop-charging'), 'stop-charging told');
      expect(rig.controller.view().transactionId).to.equal(null);
    });

    it('G03: an Inoperative EVSE refuses a new EV', async () => {
      const { csms, rig } = await leasedRig();
      csms.operative = false;
      const setup = await rig.client.request({ type: 'SessionSetupReq', evId: 'EV-N' });
      expect(setup.responseCode).to.equal('FAILED');
      expect(rig.controller.state).to.equal('waitingEV');
      expect(csms.sent).to.deep.equal([]);
    });
  });
});

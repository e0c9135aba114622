/* eslint-disable @typescript-eslint/no-explicit-any -- the HTTP API and OCPP hand back untyped JSON, asserted field by field. */
import { expect } from 'chai';
import { EvLinkClient, type EvseNotification } from '@evpaxos/ev-link';
import { OcppSchemas } from './ocpp-schemas';
import { PlainStation } from './plain-station';
import { startProcessCluster, type ProcessCluster } from './process-cluster';

const now = () => new Date().toISOString();

/** The outside stations' passwords (Security Profile 1, the default; docs/OCPP.md). */
const stationPasswords: Record<string, string> = Object.fromEntries(
  [1, 2, 3, 4, 5, 6].map((n) => [`plain-${n}`, `plain-${n}-password-0123456789`]),
);

function energy(registerWh: number, context?: string, powerW?: number): any[] {
  return [
    {
      timestamp: now(),
      sampledValue: [
        {
          value: registerWh,
          measurand: 'Energy.Active.Import.Register',
          unitOfMeasure: { unit: 'Wh' },
          ...(context === undefined ? {} : { context }),
        },
        ...(powerW === undefined
          ? []
          : [
              {
                value: powerW / 1000,
                measurand: 'Power.Active.Import',
                unitOfMeasure: { unit: 'kW' },
              },
            ]),
      ],
    },
  ];
}

const bootPayload = {
  chargingStation: { model: 'PLAIN-WS', vendorName: 'test' },
  reason: 'PowerUp',
} as const;

/** A TransactionEvent Started for a local authorization (a token presented at the station). */
function authorizedStart(
  transactionId: string,
  idToken: string,
  seqNo: number,
  registerWh?: number,
) {
  return {
    eventType: 'Started',
    timestamp: now(),
    triggerReason: 'Authorized',
    seqNo,
    transactionInfo: { transactionId, chargingState: 'Charging' },
    evse: { id: 1, connectorId: 1 },
    idToken: { idToken, type: 'ISO14443' },
    ...(registerWh === undefined ? {} : { meterValue: energy(registerWh, 'Transaction.Begin') }),
  };
}

/**
 * Answers RequestStopTransaction as a real station does: Accepted, then its Ended event with the
 * final meter reading (seqNo from the station's own counter).
 */
function endOnRemoteStop(station: PlainStation, nextSeqNo: () => number, endRegisterWh: number) {
  station.handle('RequestStopTransaction', (request) => {
    setImmediate(() => {
      void station.call('TransactionEvent', {
        eventType: 'Ended',
        timestamp: now(),
        triggerReason: 'RemoteStop',
        seqNo: nextSeqNo(),
        transactionInfo: { transactionId: request.transactionId, stoppedReason: 'Remote' },
        evse: { id: 1, connectorId: 1 },
        meterValue: energy(endRegisterWh, 'Transaction.End'),
      });
    });
    return { status: 'Accepted' };
  });
}

describe('OCPP 2.0.1 against a plain-ws station, every payload checked with the official schemas', function () {
  this.timeout(120_000);
  const schemas = new OcppSchemas();
  let cluster: ProcessCluster;
  let leader: string;
  const stations: PlainStation[] = [];
  const heartbeats: NodeJS.Timeout[] = [];

  before(async () => {
    cluster = await startProcessCluster({
      centrals: 2,
      chargePoints: 1,
      siteLimitW: 44_000,
      // Room in the site for cp1 and plain-1…plain-6 (the default is the cluster's charge points).
      chargePointsMax: 7,
      stationPasswords,
    });
    // A stable leader, and cp1 booted on some central: every central serves stations
    // (docs/OCPP.md, "Failover"), so cp1 may stay on a central that led only for a moment.
    leader = await cluster.waitForLeader(30_000);
    await until('cp1 connected to a central', async () => (await homeOf('cp1')) !== null, 60_000);
  });

  after(async () => {
    for (const timer of heartbeats) clearInterval(timer);
    for (const station of stations) station.close();
    await cluster?.down();
    if (cluster !== undefined) console.log(`      logs in ${cluster.dir}/logs`);
  });

  afterEach(() => {
    for (const station of stations) expect(station.violations, station.identity).to.deep.equal([]);
  });

  const urlOf = (id: string) => `ws://127.0.0.1:${cluster.node(id).servicePort}`;

  async function boot(identity: string): Promise<PlainStation> {
    const station = new PlainStation(schemas, identity, stationPasswords[identity]);
    stations.push(station);
    leader = await cluster.waitForLeader(30_000);
    await station.connect([urlOf(leader)]);
    const answer = await station.call('BootNotification', bootPayload);
    expect(answer.status).to.equal('Accepted');
    // A third-party station's lease is renewed by its Heartbeats (docs/SITE.md, "Leases").
    heartbeats.push(
      setInterval(() => {
        if (station.connected) station.call('Heartbeat', {}).catch(() => undefined);
      }, 1_000),
    );
    return station;
  }

  async function stationsView(): Promise<any> {
    const answer = await cluster.httpJson(leader, 'GET', '/ocpp/stations');
    expect(answer.status).to.equal(200);
    return answer.body;
  }

  /** The central a station's OCPP connection is open on (a central lists only its own), or null. */
  async function homeOf(stationId: string): Promise<string | null> {
    for (const { id } of cluster.nodes.filter((node) => node.role === 'central')) {
      const answer = await cluster.httpJson(id, 'GET', '/ocpp/stations').catch(() => null);
      if (answer?.status === 200 && (answer.body.connected as string[]).includes(stationId)) {
        return id;
      }
    }
    return null;
  }

  /** RequestStopTransaction through the leader's API: answered 200, the stop agreed. */
  async function remoteStop(stationId: string, transactionId: string): Promise<void> {
    const stopped = await cluster.httpJson(
      leader,
      'POST',
      `/ocpp/stations/${stationId}/RequestStopTransaction`,
      { transactionId },
    );
    expect(stopped.status, JSON.stringify(stopped.body)).to.equal(200);
    expect(stopped.body.agreed).to.equal(true);
  }

  /** The leader's session-ended line for a transaction. */
  function sessionEnded(transactionId: string) {
    return cluster.waitForLine(
      leader,
      (line) => line.message === 'session-ended' && line.transactionId === transactionId,
    );
  }

  async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('runs a session: reports after boot, remote start, needs → profile, meter values, remote stop; the energy is agreed', async () => {
    const station = await boot('plain-1');
    const transactionId = 'plain-tx-1';
    let startedResponse: any;
    let seqNo = 0;
    station.handle('SetChargingProfile', () => ({ status: 'Accepted' }));
    station.handle('RequestStartTransaction', (request) => {
      setImmediate(() => {
        void station
          .call('TransactionEvent', {
            eventType: 'Started',
            timestamp: now(),
            triggerReason: 'RemoteStart',
            seqNo: seqNo++,
            transactionInfo: {
              transactionId,
              chargingState: 'EVConnected',
              remoteStartId: request.remoteStartId,
            },
            evse: { id: request.evseId, connectorId: 1 },
            idToken: request.idToken,
            meterValue: energy(1_000, 'Transaction.Begin'),
          })
          .then((response) => (startedResponse = response));
      });
      return { status: 'Accepted' };
    });
    endOnRemoteStop(station, () => seqNo++, 5_000);

    // What real stations send right after boot: each answered with its (empty) response.
    for (const [action, payload] of [
      [
        'StatusNotification',
        { timestamp: now(), connectorStatus: 'Available', evseId: 1, connectorId: 1 },
      ],
      ['SecurityEventNotification', { type: 'StartupOfTheDevice', timestamp: now() }],
      [
        'NotifyEvent',
        {
          generatedAt: now(),
          seqNo: 0,
          eventData: [
            {
              eventId: 1,
              timestamp: now(),
              trigger: 'Delta',
              actualValue: 'Available',
              component: { name: 'Connector', evse: { id: 1, connectorId: 1 } },
              variable: { name: 'AvailabilityState' },
              eventNotificationType: 'HardWiredNotification',
            },
          ],
        },
      ],
      ['FirmwareStatusNotification', { status: 'Idle' }],
      ['LogStatusNotification', { status: 'Idle' }],
      ['NotifyReport', { requestId: 1, generatedAt: now(), seqNo: 0 }],
    ] as const) {
      expect(await station.call(action, payload), action).to.deep.equal({});
    }

    const started = await cluster.httpJson(
      leader,
      'POST',
      '/ocpp/stations/plain-1/RequestStartTransaction',
      {
        idToken: { idToken: 'REMOTE-1', type: 'Central' },
        remoteStartId: 42,
        evseId: 1,
      },
    );
    expect(started.status, JSON.stringify(started.body)).to.equal(200);
    expect(started.body).to.deep.include({ agreed: true, transactionId });
    await until('the Started response', async () => startedResponse !== undefined);
    // Part 2 §1.60.2: the request had an idToken, so the response has idTokenInfo.
    expect(startedResponse.idTokenInfo.status).to.equal('Accepted');

    expect(
      (
        await station.call('NotifyEVChargingNeeds', {
          evseId: 1,
          chargingNeeds: {
            requestedEnergyTransfer: 'AC_three_phase',
            acChargingParameters: {
              energyAmount: 20_000,
              evMinCurrent: 6,
              evMaxCurrent: 16,
              evMaxVoltage: 230,
            },
          },
        })
      ).status,
    ).to.equal('Accepted');
    await until('a TxProfile', async () =>
      station.received.some((call) => call.action === 'SetChargingProfile'),
    );
    expect(
      await station.call('MeterValues', { evseId: 1, meterValue: energy(1_800, undefined, 7_000) }),
    ).to.deep.equal({});
    expect(
      await station.call('TransactionEvent', {
        eventType: 'Updated',
        timestamp: now(),
        triggerReason: 'MeterValuePeriodic',
        seqNo: seqNo++,
        transactionInfo: { transactionId, chargingState: 'Charging' },
        evse: { id: 1, connectorId: 1 },
        meterValue: energy(2_500, 'Sample.Periodic', 7_000),
      }),
    ).to.deep.equal({});
    const during = await stationsView();
    const session = during.sessions.find((entry: any) => entry.transactionId === transactionId);
    expect(session.meter.startRegisterWh).to.equal(1_000);

    await remoteStop('plain-1', transactionId);
    const after = await stationsView();
    expect(after.sessions.map((entry: any) => entry.transactionId)).to.not.include(transactionId);
    expect(after.deliveredWh).to.equal(4_000);
    expect((await sessionEnded(transactionId)).energyWh).to.equal(4_000);
  });

  it('ReservationStatusUpdate frees the reservation; a refused ReserveNow is released and answered 409', async () => {
    const station = await boot('plain-2');
    station.handle('ReserveNow', (request) => ({
      status: request.id === 7001 ? 'Accepted' : 'Occupied',
    }));
    const expiresAtMs = Date.now() + 10 * 60_000;
    const held = await cluster.httpJson(leader, 'POST', '/reservations', {
      chargePointId: 'plain-2',
      idToken: 'RES-1',
      expiresAtMs,
      reservationId: 7001,
    });
    expect(held.status, JSON.stringify(held.body)).to.equal(201);
    expect(
      await station.call('ReservationStatusUpdate', {
        reservationId: 7001,
        reservationUpdateStatus: 'Removed',
      }),
    ).to.deep.equal({});
    await until('the reservation freed', async () => {
      const list = await cluster.httpJson(leader, 'GET', '/reservations');
      return !list.body.reservations.some((entry: any) => entry.reservationId === 7001);
    });

    const refused = await cluster.httpJson(leader, 'POST', '/reservations', {
      chargePointId: 'plain-2',
      idToken: 'RES-2',
      expiresAtMs,
      reservationId: 7002,
    });
    expect(refused.status).to.equal(409);
    expect(refused.body).to.deep.include({ reserveNowStatus: 'Occupied', released: true });
    const list = await cluster.httpJson(leader, 'GET', '/reservations');
    expect(list.body.reservations.map((entry: any) => entry.reservationId)).to.not.include(7002);
  });

  it('a station without Smart Charging is recorded, budgeted at its maximum, and not sent profiles again at once', async () => {
    const station = await boot('plain-3');
    station.handle('SetChargingProfile', () => ['CALLERROR', 'NotSupported', 'no smart charging']);
    const response = await station.call(
      'TransactionEvent',
      authorizedStart('plain-tx-3', 'LOCAL-3', 0),
    );
    expect(response.idTokenInfo.status).to.equal('Accepted');
    await until('the refusal recorded', async () => {
      const view = await stationsView();
      return view.chargePoints.some(
        (cp: any) => cp.chargePointId === 'plain-3' && cp.profilesRefused,
      );
    });
    await until('budgeted at its maximum (22 kW)', async () => {
      const view = await stationsView();
      return view.sessions.some(
        (s: any) => s.transactionId === 'plain-tx-3' && s.allocatedW === 22_000,
      );
    });
    // Many batches are decided meanwhile (lease renewals); the backoff holds the next profile back.
    const sentBefore = station.received.filter(
      (call) => call.action === 'SetChargingProfile',
    ).length;
    await cluster.waitForLine(
      leader,
      (line) => line.message === 'profile-refused' && line.chargePointId === 'plain-3',
    );
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const sentAfter = station.received.filter(
      (call) => call.action === 'SetChargingProfile',
    ).length;
    expect(sentAfter - sentBefore).to.equal(0);
  });

  it('our charge point answers every operator operation (CLI/HTTP API), schema-valid; availability is agreed', async () => {
    // Operations go to the leader, which relays them to the central cp1 is connected to.
    leader = await cluster.waitForLeader(30_000);
    let home: string | null = null;
    await until('cp1 connected to a central', async () => (home = await homeOf('cp1')) !== null);
    const reportingCentral: string = home ?? leader;
    const operate = async (action: string, payload: unknown, expected = 200) => {
      const answer = await cluster.httpJson(
        leader,
        'POST',
        `/ocpp/stations/cp1/${action}`,
        payload,
      );
      expect(answer.status, `${action}: ${JSON.stringify(answer.body)}`).to.equal(expected);
      const response = answer.body.response;
      expect(schemas.check(action, 'Response', response), action).to.equal(null);
      return response;
    };
    const heartbeat = {
      component: { name: 'OCPPCommCtrlr' },
      variable: { name: 'HeartbeatInterval' },
    };
    expect(
      (await operate('GetVariables', { getVariableData: [heartbeat] })).getVariableResult[0],
    ).to.deep.include({
      attributeStatus: 'Accepted',
      attributeValue: '5',
    });
    const set = await operate('SetVariables', {
      setVariableData: [
        { ...heartbeat, attributeValue: '6' },
        {
          component: { name: 'TxCtrlr' },
          variable: { name: 'TxStartPoint' },
          attributeValue: 'PowerPathClosed',
        },
        { component: { name: 'NoSuchCtrlr' }, variable: { name: 'X' }, attributeValue: '1' },
      ],
    });
    expect(set.setVariableResult.map((r: any) => r.attributeStatus)).to.deep.equal([
      'Accepted',
      'Rejected',
      'UnknownComponent',
    ]);
    expect(
      (await operate('GetBaseReport', { requestId: 9, reportBase: 'FullInventory' })).status,
    ).to.equal('Accepted');
    const report = await cluster.waitForLine(
      reportingCentral,
      (line) => line.message === 'station-report' && line.chargePointId === 'cp1',
    );
    expect(
      (report.items as any[]).map((item) => `${item.component}.${item.variable}`),
    ).to.include.members([
      'OCPPCommCtrlr.HeartbeatInterval',
      'OCPPCommCtrlr.OfflineThreshold',
      'TxCtrlr.TxStartPoint',
      'SmartChargingCtrlr.Enabled',
    ]);
    expect((await operate('TriggerMessage', { requestedMessage: 'Heartbeat' })).status).to.equal(
      'Accepted',
    );
    expect((await operate('UnlockConnector', { evseId: 1, connectorId: 1 })).status).to.equal(
      'Unlocked',
    );
    expect((await operate('GetCompositeSchedule', { duration: 60, evseId: 1 })).status).to.equal(
      'Accepted',
    );
    expect(
      (await operate('GetChargingProfiles', { requestId: 3, chargingProfile: {} })).status,
    ).to.equal('NoProfiles');
    expect((await operate('ClearChargingProfile', { chargingProfileId: 12345 })).status).to.equal(
      'Unknown',
    );
    // B11/B12: a reset of one EVSE is not supported (the station has one): Rejected, saying why.
    expect((await operate('Reset', { type: 'OnIdle', evseId: 1 })).statusInfo).to.include({
      reasonCode: 'EvseResetUnsupported',
    });

    // G03: Inoperative is agreed as the EVSE out of service; Operative brings it back.
    expect(
      (await operate('ChangeAvailability', { operationalStatus: 'Inoperative', evse: { id: 1 } }))
        .status,
    ).to.equal('Accepted');
    // An Inoperative EVSE takes no remote start (F01): 409 with the station's reason.
    expect(
      (
        await operate(
          'RequestStartTransaction',
          { idToken: { idToken: 'X', type: 'Central' }, remoteStartId: 1 },
          409,
        )
      ).statusInfo,
    ).to.include({ reasonCode: 'Inoperative' });
    expect(
      (await stationsView()).chargePoints.find((cp: any) => cp.chargePointId === 'cp1')
        .faultedConnectorIds,
    ).to.deep.equal([1]);
    expect(
      (await operate('ChangeAvailability', { operationalStatus: 'Operative', evse: { id: 1 } }))
        .status,
    ).to.equal('Accepted');
    expect(
      (await stationsView()).chargePoints.find((cp: any) => cp.chargePointId === 'cp1')
        .faultedConnectorIds,
    ).to.deep.equal([]);

    // Bad input: an unknown operation and a schema-invalid payload are refused, nothing sent.
    const unknown = await cluster.httpJson(leader, 'POST', '/ocpp/stations/cp1/Explode', {});
    expect(unknown.status).to.equal(404);
    const invalid = await cluster.httpJson(leader, 'POST', '/ocpp/stations/cp1/UnlockConnector', {
      evseId: 'one',
    });
    // An operation changes a station: without the API token it is refused (docs/CLUSTER.md).
    const anonymous = await fetch(
      `http://127.0.0.1:${cluster.node(leader).httpPort}/ocpp/stations/cp1/Reset`,
      {
        method: 'POST',
        body: '{"type":"OnIdle"}',
        headers: { 'content-type': 'application/json' },
      },
    );
    expect(anonymous.status).to.equal(401);
    expect(invalid.status).to.equal(400);
  });

  it('our charge point: a remote start is agreed and its EV charges, a remote stop ends it; Reset OnIdle and Immediate re-boot its OCPP side (RemoteReset) while its replica keeps applying', async () => {
    leader = await cluster.waitForLeader(30_000);
    await until('cp1 connected to a central', async () => (await homeOf('cp1')) !== null);
    const operate = (action: string, payload: unknown) =>
      cluster.httpJson(leader, 'POST', `/ocpp/stations/cp1/${action}`, payload);
    const evUrl = `ws://127.0.0.1:${cluster.node('cp1').servicePort}/ev`;
    const evs: EvLinkClient[] = [];
    const plugIn = async (told: EvseNotification[]) => {
      const ev = await EvLinkClient.connect(evUrl);
      evs.push(ev);
      ev.onNotification((notification) => told.push(notification));
      return ev;
    };
    const remoteResetBoots = () =>
      cluster.nodes
        .filter((node) => node.role === 'central')
        .flatMap((node) => cluster.linesOf(node.id))
        .filter(
          (line) =>
            line.message === 'station-boot' &&
            line.chargePointId === 'cp1' &&
            line.reason === 'RemoteReset',
        ).length;
    const sessionOf = async (transactionId: string) =>
      (await stationsView()).sessions.find((s: any) => s.transactionId === transactionId);
    try {
      // F02: no EV yet: the transaction starts at once, through the log like any (StartSession).
      const start = { idToken: { idToken: 'OPERATOR-7', type: 'Central' }, remoteStartId: 7 };
      const started = await operate('RequestStartTransaction', start);
      expect(started.status, JSON.stringify(started.body)).to.equal(200);
      expect(schemas.check('RequestStartTransaction', 'Response', started.body.response)).to.equal(
        null,
      );
      expect(started.body.agreed).to.equal(true);
      const transactionId: string = started.body.transactionId;
      // A busy connector is refused before the station is asked.
      // Its TxProfile, sent before any EV came, is accepted: cp1 is not recorded as without Smart
      // Charging (which would budget it at its maximum for good).
      await cluster.waitForLine(
        'cp1',
        (line) =>
          line.message === 'charging-profile-received' && line.transactionId === transactionId,
      );
      expect(
        (await stationsView()).chargePoints.find((cp: any) => cp.chargePointId === 'cp1')
          .profilesRefused,
      ).to.equal(false);
      const busy = await operate('RequestStartTransaction', { ...start, remoteStartId: 8 });
      expect(busy.status).to.equal(409);
      expect(busy.body).to.include({ error: 'connector-occupied', transactionId });

      // The EV plugs in within EVConnectionTimeOut and joins it, authorised already; it charges.
      const told: EvseNotification[] = [];
      const ev = await plugIn(told);
      const setup = await ev.request({ type: 'SessionSetupReq', evId: 'EV-REMOTE' });
      expect(setup).to.include({ responseCode: 'OK', sessionId: transactionId });
      await ev.request({
        type: 'ChargeParameterDiscoveryReq',
        energyRequestedWh: 10_000,
        minPowerW: 1_400,
        maxPowerW: 11_000,
        departureAtMs: Date.now() + 3_600_000,
      });
      await ev.request({ type: 'PowerDeliveryReq', start: true });
      // The site grants cp1 power once its lease allows it (lease.ts R4: pending at first).
      await until(
        'the EV granted power',
        async () =>
          (await ev.request({ type: 'ChargingStatusReq', energyDeliveredWh: 0, socPercent: 30 }))
            .limitW > 0,
        60_000,
      );
      expect(
        (await ev.request({ type: 'ChargingStatusReq', energyDeliveredWh: 1_200, socPercent: 35 }))
          .responseCode,
      ).to.equal('OK');

      // G03.FR.05: Inoperative while a transaction runs is Scheduled, to take effect after it.
      const inoperative = { operationalStatus: 'Inoperative', evse: { id: 1 } };
      const scheduled = await operate('ChangeAvailability', inoperative);
      expect(scheduled.status, JSON.stringify(scheduled.body)).to.equal(202);
      expect(scheduled.body.response.status).to.equal('Scheduled');

      // F03: the stop is agreed (StopSession); the EV is told to stop, as a normal stop, and leaves.
      expect(
        (await operate('RequestStopTransaction', { transactionId: 'tx-nowhere' })).status,
      ).to.equal(404);
      await remoteStop('cp1', transactionId);
      // The EV's energy, in the Ended event's final meter, is what the site records for the session.
      expect((await sessionEnded(transactionId)).energyWh).to.equal(1_200);
      await until('the EV told to stop', async () =>
        told.some((n) => n.reason === 'stop-charging'),
      );
      expect((await ev.request({ type: 'SessionStopReq' })).responseCode).to.equal('OK');
      await ev.close();

      // The scheduled Inoperative now holds: the site has the EVSE out of service (the station's
      // StatusNotification Unavailable) and the station refuses a new EV; Operative brings it back.
      const faultedConnectors = async () =>
        (await stationsView()).chargePoints.find((cp: any) => cp.chargePointId === 'cp1')
          .faultedConnectorIds as number[];
      await until('the EVSE out of service', async () => (await faultedConnectors()).length === 1);
      const late = await plugIn([]);
      expect(
        (await late.request({ type: 'SessionSetupReq', evId: 'EV-LATE' })).responseCode,
      ).to.equal('FAILED');
      await late.close();
      const operative = await operate('ChangeAvailability', {
        ...inoperative,
        operationalStatus: 'Operative',
      });
      expect(operative.status, JSON.stringify(operative.body)).to.equal(200);
      await until('the EVSE in service', async () => (await faultedConnectors()).length === 0);

      // B11 OnIdle, no transaction: the station's OCPP side reboots; its replica is the same process.
      const before = (await cluster.httpJson('cp1', 'GET', '/status')).body;
      const boots = remoteResetBoots();
      const reset = await operate('Reset', { type: 'OnIdle' });
      expect(reset.status).to.equal(200);
      expect(reset.body.response.status).to.equal('Accepted');
      await until('cp1 booted with reason RemoteReset', async () => remoteResetBoots() > boots);
      await until('the replica in cp1 keeps applying the log', async () => {
        const after = (await cluster.httpJson('cp1', 'GET', '/status')).body;
        return after.pid === before.pid && after.paxos.appliedThrough > before.paxos.appliedThrough;
      });

      // B12 Immediate, a transaction running (the EV's own, Plug & Charge): it ends
      // (ImmediateReset), agreed, the EV is told to stop, and the station boots again.
      await until('cp1 connected to a central', async () => (await homeOf('cp1')) !== null);
      const toldSecond: EvseNotification[] = [];
      const second = await plugIn(toldSecond);
      const own = await second.request({ type: 'SessionSetupReq', evId: 'EV-IMMEDIATE' });
      expect(own.responseCode).to.equal('OK');
      await until('its session agreed', async () => (await sessionOf(own.sessionId)) !== undefined);
      // B12 OnIdle during a transaction is Scheduled; the Immediate reset after it supersedes it.
      const onIdle = await operate('Reset', { type: 'OnIdle' });
      expect(onIdle.body.response.status).to.equal('Scheduled');
      const immediate = await operate('Reset', { type: 'Immediate' });
      expect(immediate.body.response.status).to.equal('Accepted');
      await until('the session ended', async () => (await sessionOf(own.sessionId)) === undefined);
      await until('the EV told to stop', async () =>
        toldSecond.some((n) => n.reason === 'stop-charging'),
      );
      await cluster.waitForLine(
        'cp1',
        (line) =>
          line.message === 'transaction-stopped-by-station' &&
          line.transactionId === own.sessionId &&
          line.cause === 'immediate-reset',
      );
      await until('cp1 booted again with RemoteReset', async () => remoteResetBoots() > boots + 1);
    } finally {
      for (const ev of evs) await ev.close().catch(() => undefined);
    }
  });

  // Runs last: it kills the leader. The station on the leader holds every central's URL (B10) and
  // moves on; the station on the standby keeps its connection (docs/OCPP.md, "Failover").
  it('a leader kill: the station on the standby keeps its connection and its session, metered and stopped through the new leader; the station on the leader fails over, boots again, and its session is stopped there', async () => {
    const station = new PlainStation(schemas, 'plain-5', stationPasswords['plain-5']);
    stations.push(station);
    leader = await cluster.waitForLeader(30_000);
    const urls = cluster.nodes.filter((n) => n.role === 'central').map((n) => urlOf(n.id));
    const standby = cluster.nodes.find((n) => n.role === 'central' && n.id !== leader)!.id;
    const onStandby = new PlainStation(schemas, 'plain-6', stationPasswords['plain-6']);
    stations.push(onStandby);
    await onStandby.connect([urlOf(standby)]);
    expect((await onStandby.call('BootNotification', bootPayload)).status).to.equal('Accepted');
    let standbySeqNo = 0;
    expect(
      (
        await onStandby.call(
          'TransactionEvent',
          authorizedStart('plain-tx-6', 'STANDBY-6', standbySeqNo++, 0),
        )
      ).idTokenInfo.status,
    ).to.equal('Accepted');
    onStandby.handle('SetChargingProfile', () => ({ status: 'Accepted' }));
    endOnRemoteStop(onStandby, () => standbySeqNo++, 2_000);
    await station.connect([urlOf(leader), ...urls.filter((url) => url !== urlOf(leader))]);
    expect((await station.call('BootNotification', bootPayload)).status).to.equal('Accepted');
    let seqNo = 0;
    const started = await station.call(
      'TransactionEvent',
      authorizedStart('plain-tx-5', 'KILL-5', seqNo++, 0),
    );
    expect(started.idTokenInfo.status).to.equal('Accepted');
    station.handle('SetChargingProfile', () => ({ status: 'Accepted' }));
    endOnRemoteStop(station, () => seqNo++, 1_250);

    const killed = leader;
    await cluster.kill(killed);
    await until('the connection to the killed leader closed', async () => !station.connected);
    const survivor = cluster.nodes.find((n) => n.role === 'central' && n.id !== killed)!.id;
    await until(
      'a new leader',
      async () => (await cluster.waitForLeader(30_000).catch(() => '')) === survivor,
      60_000,
    );
    leader = survivor;
    // The station on the standby (now the leader) never lost its connection: its calls go on.
    expect(onStandby.connected).to.equal(true);
    await onStandby.call('MeterValues', { evseId: 1, meterValue: energy(900, undefined, 7_000) });
    await cluster.waitForLine(
      standby,
      (line) =>
        line.message === 'station-meter' &&
        line.transactionId === 'plain-tx-6' &&
        line.registerWh === 900,
    );
    await remoteStop('plain-6', 'plain-tx-6');
    expect((await sessionEnded('plain-tx-6')).energyWh).to.equal(2_000);
    await station.connect(
      urls.filter((url) => url !== urlOf(killed)),
      60_000,
    );
    expect((await station.call('BootNotification', bootPayload)).status).to.equal('Accepted');
    await remoteStop('plain-5', 'plain-tx-5');
    expect((await sessionEnded('plain-tx-5')).energyWh).to.equal(1_250);
  });
});

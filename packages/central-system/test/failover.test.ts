/* eslint-disable @typescript-eslint/no-explicit-any -- the raw station and the HTTP API hand back untyped JSON, asserted field by field. */
/**
 * docs/OCPP.md, "Security profiles", "Failover" and "Bad input", on real processes and real TCP:
 * 3 centrals + 3 charge points, Security Profile 1, outside stations with listed passwords.
 */
import { expect } from 'chai';
import WebSocket from 'ws';
import {
  acChargingNeeds,
  rawStation,
  stableLeader,
  stationPasswords,
  type RawStation,
} from './outside-station';
import { startProcessCluster, type ProcessCluster } from './process-cluster';

const now = () => new Date().toISOString();

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

describe('OCPP security, failover and bad input (3 centrals + 3 charge-point processes)', function () {
  this.timeout(90_000);
  let cluster: ProcessCluster;
  const stations: RawStation[] = [];
  const sockets: WebSocket[] = [];

  before(async () => {
    cluster = await startProcessCluster({
      centrals: 3,
      chargePoints: 3,
      siteLimitW: 44_000,
      // The outside stations register beside cp1..cp3 (capacity is configuration, docs/SITE.md).
      chargePointsMax: 6,
      stationPasswords,
      ocppSecurity: { profile: 1, callsPerSecondMax: 5, callBurstMax: 10 },
    });
    await cluster.waitForLeader();
  });

  after(async () => {
    for (const socket of sockets) socket.terminate();
    await Promise.all(
      stations.map((station) => station.close({ force: true }).catch(() => undefined)),
    );
    await cluster?.down();
    if (cluster !== undefined) console.log(`      logs in ${cluster.dir}/logs`);
  });

  const centrals = () =>
    cluster.nodes.filter((node) => node.role === 'central').map((node) => node.id);
  const ocppUrl = (id: string) => `ws://127.0.0.1:${cluster.node(id).servicePort}`;

  async function connect(central: string, identity: string): Promise<RawStation> {
    const station = rawStation(ocppUrl(central), identity);
    stations.push(station);
    await station.connect();
    return station;
  }

  /** Every site command in `leader`'s log that names the station. */
  async function commandsOf(leader: string, identity: string): Promise<string[]> {
    const log = await cluster.httpJson(leader, 'GET', '/log?from=0&limit=10000');
    return (log.body.entries as any[]).flatMap((entry) =>
      (entry.commands as any[])
        .filter(
          (c) =>
            c.payload?.chargePointId === identity ||
            String(c.payload?.transactionId).startsWith(`tx-${identity}`),
        )
        .map((c) => c.payload.type as string),
    );
  }

  function rawOpen(central: string, identity: string, protocols: string[], password?: string) {
    return new Promise<{ socket: WebSocket } | { status: number }>((resolve, reject) => {
      const socket = new WebSocket(`${ocppUrl(central)}/${identity}`, protocols, {
        headers: { authorization: basic(identity, password ?? stationPasswords[identity] ?? 'x') },
      });
      sockets.push(socket);
      socket.once('unexpected-response', (_request, response) => {
        resolve({ status: response.statusCode ?? 0 });
        socket.terminate();
      });
      socket.once('open', () => resolve({ socket }));
      socket.once('error', reject);
    });
  }

  function rawCall(
    socket: WebSocket,
    id: string,
    action: string,
    payload: unknown,
  ): Promise<any[]> {
    return new Promise((resolve) => {
      const onMessage = (data: WebSocket.RawData): void => {
        const frame = JSON.parse(data.toString()) as any[];
        if (frame[1] !== id) return;
        socket.off('message', onMessage);
        resolve(frame);
      };
      socket.on('message', onMessage);
      socket.send(JSON.stringify([2, id, action, payload]));
    });
  }

  it('refuses a wrong password, an unknown identity and a foreign user name with 401 at every central, logs why (never the password), and changes nothing', async () => {
    for (const central of centrals()) {
      const wrong = await rawOpen(central, 'cs-sb', ['ocpp2.0.1'], 'not-the-password-at-all');
      expect(wrong).to.deep.equal({ status: 401 });
      const unknown = await rawOpen(central, 'cs-nobody', ['ocpp2.0.1'], 'cs-nobody-password-000');
      expect(unknown).to.deep.equal({ status: 401 });
      await cluster.waitForLine(
        central,
        (line) => line.message === 'ocpp-upgrade-refused' && line.reason === 'wrong password',
      );
      await cluster.waitForLine(
        central,
        (line) => line.message === 'ocpp-upgrade-refused' && line.reason === 'unknown identity',
      );
    }
    // A charge point's identity with another's password (cp2's derived one is not cp1's).
    const asCp1 = await rawOpen('central-b', 'cp1', ['ocpp2.0.1'], stationPasswords['cs-sb']);
    expect(asCp1).to.deep.equal({ status: 401 });
    const leader = await stableLeader(cluster);
    expect(await commandsOf(leader, 'cs-nobody')).to.deep.equal([]);
    for (const node of cluster.nodes) {
      const text = cluster.logOf(node.id);
      expect(text).to.not.contain('not-the-password-at-all');
      for (const password of Object.values(stationPasswords)) expect(text).to.not.contain(password);
    }
  });

  it('a station on a standby runs a session: its calls are forwarded to the leader, the standby pushes its profile', async () => {
    const leader = await stableLeader(cluster);
    const standby = centrals().find((id) => id !== leader)!;
    const station = await connect(standby, 'cs-sb');
    const profiles: any[] = [];
    station.handle('SetChargingProfile', ({ params }) => {
      profiles.push(params);
      return { status: 'Accepted' };
    });
    const boot = await station.call('BootNotification', {
      chargingStation: { model: 'EXT-SB', vendorName: 'third-party' },
      reason: 'PowerUp',
    });
    expect(boot.status).to.equal('Accepted');
    const idToken = { idToken: 'SB-TOKEN', type: 'eMAID' };
    const started = await station.call('TransactionEvent', {
      eventType: 'Started',
      timestamp: now(),
      triggerReason: 'Authorized',
      seqNo: 0,
      transactionInfo: { transactionId: 'tx-cs-sb-1', chargingState: 'EVConnected' },
      evse: { id: 1, connectorId: 1 },
      idToken,
    });
    expect(started.idTokenInfo?.status ?? 'Accepted').to.equal('Accepted');
    const needs = await station.call('NotifyEVChargingNeeds', acChargingNeeds());
    expect(needs.status).to.equal('Accepted');
    await cluster.waitForLine(
      standby,
      (line) => line.message === 'profile-sent' && line.transactionId === 'tx-cs-sb-1',
    );
    expect(profiles.at(-1)?.chargingProfile.transactionId).to.equal('tx-cs-sb-1');
    expect(await commandsOf(leader, 'cs-sb')).to.include.members([
      'RegisterChargePoint',
      'StartSession',
      'UpdateNeeds',
    ]);
  });

  it('the leader is killed while the station is on a standby: its connection stays open and its next event is agreed', async () => {
    const station = stations.at(-1)!;
    let closedWith: number | undefined;
    station.on('close', (event) => {
      closedWith = event.code ?? -1;
    });
    const leader = await stableLeader(cluster);
    const holder = centrals().find((id) =>
      cluster
        .linesOf(id)
        .some((line) => line.message === 'ocpp-connected' && line.chargePointId === 'cs-sb'),
    );
    expect(holder).to.not.equal(leader);
    await cluster.kill(leader);
    const next = await cluster.waitForLeader(30_000);
    expect(next).to.not.equal(leader);
    // The station's call may reach the holder before a new leader is known: it is forwarded once one is.
    const ended = await station.call('TransactionEvent', {
      eventType: 'Ended',
      timestamp: now(),
      triggerReason: 'EVDeparted',
      seqNo: 1,
      transactionInfo: { transactionId: 'tx-cs-sb-1', stoppedReason: 'EVDisconnected' },
    });
    expect(ended).to.be.an('object');
    expect(closedWith).to.equal(undefined);
    expect(await commandsOf(next, 'cs-sb')).to.include('StopSession');
    for (const id of centrals().filter((central) => central !== leader)) {
      expect(
        cluster
          .linesOf(id)
          .some((line) => line.message === 'ocpp-disconnected' && line.code === 1012),
      ).to.equal(false);
    }
  });

  it('bad input gets the OCPP answer a station expects and changes nothing in the site', async () => {
    const central = await stableLeader(cluster);
    const alive = async () => (await cluster.httpJson(central, 'GET', '/status')).status === 200;
    // Wrong subprotocol: the handshake completes without one, then 1002.
    const wrongProtocol = await rawOpen(central, 'cs-bad', ['ocpp1.6']).catch(
      (error: Error) => error,
    );
    expect(wrongProtocol).to.be.instanceOf(Error);
    expect((wrongProtocol as Error).message).to.equal('Server sent no subprotocol');
    await cluster.waitForLine(
      central,
      (line) =>
        line.message === 'ocpp-upgrade-refused' &&
        line.chargePointId === 'cs-bad' &&
        String(line.reason).includes('ocpp2.0.1'),
    );
    // Unknown action, schema-invalid payload, oversize frame.
    const opened = await rawOpen(central, 'cs-bad', ['ocpp2.0.1']);
    if (!('socket' in opened)) throw new Error('expected an open socket');
    const unknown = await rawCall(opened.socket, 'b1', 'BrewCoffee', {});
    expect([unknown[0], unknown[2]]).to.deep.equal([4, 'NotImplemented']);
    const invalid = await rawCall(opened.socket, 'b2', 'StatusNotification', {
      timestamp: now(),
      connectorStatus: 'Exploded',
      evseId: 1,
      connectorId: 1,
    });
    expect(invalid[0]).to.equal(4);
    expect(invalid[2]).to.match(/Violation/);
    const tooBig = new Promise<number>((resolve) => opened.socket.once('close', resolve));
    opened.socket.send(JSON.stringify([2, 'b3', 'Heartbeat', { pad: 'x'.repeat(300 * 1024) }]));
    expect(await tooBig).to.equal(1009);
    // A flood: over the limit (5/s, burst 10 here) each call gets CALLERROR GenericError.
    const flooder = await rawOpen(central, 'cs-flood', ['ocpp2.0.1']);
    if (!('socket' in flooder)) throw new Error('expected an open socket');
    flooder.socket.setMaxListeners(50);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => rawCall(flooder.socket, `f${i}`, 'Heartbeat', {})),
    );
    const refused = answers.filter((frame) => frame[0] === 4);
    expect(refused.length).to.be.at.least(20);
    expect(refused.every((frame) => frame[2] === 'GenericError')).to.equal(true);
    await cluster.waitForLine(
      central,
      (line) => line.message === 'ocpp-rate-limited' && line.chargePointId === 'cs-flood',
    );
    // A second connection of a connected identity: the newer wins, the older is closed.
    const older = await rawOpen(central, 'cs-dup', ['ocpp2.0.1']);
    if (!('socket' in older)) throw new Error('expected an open socket');
    const olderClosed = new Promise<number>((resolve) => older.socket.once('close', resolve));
    const newer = await rawOpen(central, 'cs-dup', ['ocpp2.0.1']);
    if (!('socket' in newer)) throw new Error('expected an open socket');
    expect(await olderClosed).to.equal(1000);
    expect((await rawCall(newer.socket, 'd1', 'Heartbeat', {}))[0]).to.equal(3);
    await cluster.waitForLine(
      central,
      (line) => line.message === 'ocpp-replaced-connection' && line.chargePointId === 'cs-dup',
    );
    expect(await alive()).to.equal(true);
    const leader = await stableLeader(cluster);
    for (const identity of ['cs-bad', 'cs-flood', 'cs-dup']) {
      expect(await commandsOf(leader, identity)).to.deep.equal([]);
    }
  });
});

import * as net from 'node:net';
import { expect } from 'chai';
import * as ocppRpc from 'ocpp-rpc';
import {
  ChargingStationClient,
  CsmsServer,
  OcppError,
  type ChargingStationClientEvents,
  type OcppLogger,
  type SetChargingProfileRequest,
} from '../src';

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly meta: Record<string, unknown>;
}

function recordingLogger(): OcppLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (message: string, meta: Record<string, unknown> = {}): void => {
      lines.push({ level, message, meta });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function nextEvent<E extends keyof ChargingStationClientEvents>(
  client: ChargingStationClient,
  event: E,
): Promise<ChargingStationClientEvents[E]> {
  return new Promise((resolve) => {
    const off = client.on(event, (payload) => {
      off();
      resolve(payload);
    });
  });
}

const boot = {
  chargingStation: { model: 'EVP-22', vendorName: 'evpaxos' },
  reason: 'PowerUp',
} as const;

const profile: SetChargingProfileRequest = {
  evseId: 1,
  chargingProfile: {
    id: 7,
    stackLevel: 0,
    chargingProfilePurpose: 'TxProfile',
    chargingProfileKind: 'Absolute',
    transactionId: 'tx-1',
    chargingSchedule: [
      {
        id: 7,
        startSchedule: '2026-01-01T00:00:00.000Z',
        chargingRateUnit: 'W',
        chargingSchedulePeriod: [{ startPeriod: 0, limit: 8.1 }],
      },
    ],
  },
};

describe('OCPP link (CsmsServer ⇄ ChargingStationClient, strict ocpp2.0.1)', function () {
  this.timeout(15_000);
  let server: CsmsServer;
  let serverLog: ReturnType<typeof recordingLogger>;
  let url: string;
  const clients: ChargingStationClient[] = [];
  const rawClients: { close(): Promise<unknown> }[] = [];

  function client(urls: readonly string[], identity = 'cs-1') {
    const log = recordingLogger();
    const created = new ChargingStationClient(
      { identity, csmsUrls: urls, backoffInitialMs: 20, backoffMaxMs: 200 },
      { logger: log },
    );
    clients.push(created);
    return { client: created, log };
  }

  beforeEach(async () => {
    serverLog = recordingLogger();
    server = new CsmsServer({ host: '127.0.0.1', port: 0 }, { logger: serverLog });
    server.handle('BootNotification', () => ({
      currentTime: new Date().toISOString(),
      interval: 5,
      status: 'Accepted',
    }));
    server.handle('Heartbeat', () => ({ currentTime: new Date().toISOString() }));
    const port = await server.listen();
    url = `ws://127.0.0.1:${port}`;
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(rawClients.splice(0).map((c) => c.close()));
    await server.close();
  });

  it('boots and heartbeats, and the server logs each call as "ocpp" in', async () => {
    const { client: station } = client([url]);
    station.start();
    await station.waitConnected();
    const response = await station.call('BootNotification', boot);
    expect(response.status).to.equal('Accepted');
    expect(response.interval).to.equal(5);
    const beat = await station.call('Heartbeat', {});
    expect(Number.isFinite(Date.parse(beat.currentTime))).to.equal(true);
    expect(server.connectedIds()).to.deep.equal(['cs-1']);
    const traffic = serverLog.lines.filter((line) => line.message === 'ocpp');
    expect(traffic.map((line) => line.meta)).to.deep.equal([
      { chargePointId: 'cs-1', direction: 'in', action: 'BootNotification' },
      { chargePointId: 'cs-1', direction: 'in', action: 'Heartbeat' },
    ]);
  });

  it('calls a station handler from the server (SetChargingProfile with an 8.1 W limit)', async () => {
    const { client: station } = client([url]);
    const received: SetChargingProfileRequest[] = [];
    station.handle('SetChargingProfile', (request) => {
      received.push(request);
      return { status: 'Accepted' };
    });
    station.start();
    await station.waitConnected();
    const response = await server.call('cs-1', 'SetChargingProfile', profile);
    expect(response.status).to.equal('Accepted');
    expect(received).to.deep.equal([profile]);
  });

  it('refuses an invalid outbound payload locally on both sides, with a logged reason', async () => {
    const { client: station, log } = client([url]);
    station.handle('SetChargingProfile', () => ({ status: 'Accepted' }));
    station.start();
    await station.waitConnected();
    const invalidBoot = { reason: 'PowerUp' } as unknown as typeof boot;
    const stationError = await station.call('BootNotification', invalidBoot).then(
      () => null,
      (error: unknown) => error,
    );
    expect(stationError).to.be.instanceOf(OcppError);
    expect((stationError as OcppError).code).to.equal('OCPP_VALIDATION');
    expect((stationError as OcppError).rpcErrorCode).to.equal('OccurenceConstraintViolation');
    const stationLine = log.lines.find((line) => line.message === 'ocpp-validation-failed');
    expect(stationLine?.meta).to.include({ action: 'BootNotification', direction: 'out' });
    expect(String(stationLine?.meta.reason)).to.contain('chargingStation');

    const tooManySchedules = {
      ...profile,
      chargingProfile: {
        ...profile.chargingProfile,
        chargingSchedule: [0, 1, 2, 3].map(() => profile.chargingProfile.chargingSchedule[0]!),
      },
    };
    const serverError = await server.call('cs-1', 'SetChargingProfile', tooManySchedules).then(
      () => null,
      (error: unknown) => error,
    );
    expect((serverError as OcppError).code).to.equal('OCPP_VALIDATION');
    const serverLine = serverLog.lines.find((line) => line.message === 'ocpp-validation-failed');
    expect(serverLine?.meta).to.include({ action: 'SetChargingProfile', direction: 'out' });
    expect(String(serverLine?.meta.reason)).to.contain('chargingSchedule');
  });

  it('answers an invalid inbound call with a CALLERROR, logs it, and keeps serving', async () => {
    // A non-strict third-party client can send what our strict client never would.
    const RpcClient = ocppRpc.RPCClient as unknown as new (options: object) => {
      connect(): Promise<unknown>;
      call(method: string, params: unknown): Promise<unknown>;
      close(): Promise<unknown>;
    };
    const raw = new RpcClient({
      endpoint: url,
      identity: 'cs-raw',
      protocols: ['ocpp2.0.1'],
      strictMode: false,
      reconnect: false,
    });
    rawClients.push(raw);
    await raw.connect();
    const error = await raw.call('BootNotification', { reason: 'PowerUp' }).then(
      () => null,
      (caught: unknown) => caught as { rpcErrorCode?: string },
    );
    expect(error?.rpcErrorCode).to.equal('OccurenceConstraintViolation');
    const line = serverLog.lines.find((entry) => entry.message === 'ocpp-validation-failed');
    expect(line?.meta).to.include({ chargePointId: 'cs-raw', direction: 'in', part: 'request' });
    const ok = (await raw.call('BootNotification', boot)) as { status: string };
    expect(ok.status).to.equal('Accepted');
  });

  it('turns an invalid response from the server into an error on the station (InternalError)', async () => {
    server.handle('Heartbeat', () => ({ currentTime: 'not-a-date' }));
    const { client: station } = client([url]);
    station.start();
    await station.waitConnected();
    const error = await station.call('Heartbeat', {}).then(
      () => null,
      (caught: unknown) => caught as OcppError,
    );
    expect(error?.code).to.equal('OCPP_CALL_ERROR');
    expect(error?.rpcErrorCode).to.equal('InternalError');
    const line = serverLog.lines.find((entry) => entry.message === 'ocpp-validation-failed');
    expect(line?.meta).to.include({ action: 'Heartbeat', direction: 'out', part: 'response' });
  });

  it('fails over from a dead URL to a live one', async () => {
    const deadUrl = `ws://127.0.0.1:${await freePort()}`;
    const { client: station } = client([deadUrl, url]);
    const failed = nextEvent(station, 'connect-failed');
    const connected = nextEvent(station, 'connected');
    station.start();
    expect((await failed).url).to.equal(deadUrl);
    expect((await connected).url).to.equal(url);
    expect(station.connectedUrl).to.equal(url);
    expect((await station.call('BootNotification', boot)).status).to.equal('Accepted');
  });

  it('is refused with HTTP 503 by the accept predicate, then rotates; closeAll(1012) makes it reconnect', async () => {
    let leading = false;
    server.accept(() => (leading ? true : 'standby'));
    const { client: station } = client([url]);
    const refused = nextEvent(station, 'connect-failed');
    station.start();
    expect((await refused).reason).to.contain('503');
    leading = true;
    await station.waitConnected();
    const disconnected = nextEvent(station, 'disconnected');
    const reconnected = new Promise<void>((resolve) => {
      const off = station.on('connected', () => {
        off();
        resolve();
      });
    });
    await server.closeAll(1012, 'not the leader any more');
    expect((await disconnected).code).to.equal(1012);
    await reconnected;
    expect(station.isConnected).to.equal(true);
  });

  it('disconnect closes the open connection (1000) and connects again, as a reset station does; a no-op when not connected', async () => {
    const { client: station } = client([url]);
    await station.disconnect('nothing open yet');
    station.start();
    await station.waitConnected();
    const disconnected = nextEvent(station, 'disconnected');
    const reconnected = new Promise<void>((resolve) => {
      const off = station.on('connected', () => {
        off();
        resolve();
      });
    });
    await station.disconnect('reset');
    expect(await disconnected).to.include({ code: 1000, reason: 'reset' });
    await reconnected;
    expect((await station.call('BootNotification', boot)).status).to.equal('Accepted');
  });

  it('fails fast when offline instead of queueing (ocpp-rpc issue #53)', async () => {
    const { client: station } = client([`ws://127.0.0.1:${await freePort()}`]);
    const error = await station.call('Heartbeat', {}).then(
      () => null,
      (caught: unknown) => caught as OcppError,
    );
    expect(error?.code).to.equal('OCPP_NOT_CONNECTED');
  });

  it('refuses bad options at construction, one sentence per problem', () => {
    expect(() => new ChargingStationClient({ identity: 'a:b', csmsUrls: ['http://x'] })).to.throw(
      OcppError,
      /identity must not contain ':'.*must start with ws:\/\//,
    );
  });

  it('keeps the backoff capped and jittered', () => {
    const station = new ChargingStationClient(
      {
        identity: 'cs-b',
        csmsUrls: ['ws://127.0.0.1:1'],
        backoffInitialMs: 100,
        backoffMaxMs: 1_000,
        backoffJitter: 0.5,
      },
      { random: () => 0.999 },
    );
    expect(station.backoffDelayMs(1)).to.be.within(50, 150);
    expect(station.backoffDelayMs(20)).to.be.at.most(1_000);
  });
});

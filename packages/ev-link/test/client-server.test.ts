import { expect } from 'chai';
import { WebSocket } from 'ws';
import {
  EvLinkClient,
  EvLinkError,
  EvLinkServer,
  decodeFrame,
  encodeFrame,
  type EvLinkSession,
  type EvRequestHandler,
  type EvseNotification,
} from '../src';

interface Logged {
  message: string;
  meta?: Record<string, unknown>;
}

function recordingLogger(lines: Logged[]) {
  const log = (message: string, meta?: Record<string, unknown>) =>
    lines.push({ message, ...(meta ? { meta } : {}) });
  return { info: log, warn: log, error: log };
}

const echo: EvRequestHandler = (request) => {
  switch (request.type) {
    case 'SessionSetupReq':
      return {
        type: 'SessionSetupRes',
        responseCode: 'OK',
        sessionId: `s-${request.evId}`,
        chargePointId: 'cp1',
      };
    case 'ChargeParameterDiscoveryReq':
      return {
        type: 'ChargeParameterDiscoveryRes',
        responseCode: 'OK',
        limitW: request.maxPowerW,
        mode: 'profile',
      };
    case 'PowerDeliveryReq':
      return { type: 'PowerDeliveryRes', responseCode: 'OK', limitW: 1_000, mode: 'fail-safe' };
    case 'ChargingStatusReq':
      return { type: 'ChargingStatusRes', responseCode: 'OK', limitW: 1_000, mode: 'fail-safe' };
    case 'SessionStopReq':
      return { type: 'SessionStopRes', responseCode: 'OK' };
  }
};

function rawSocket(
  url: string,
): Promise<{ socket: WebSocket; frames: unknown[]; next: () => Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const frames: unknown[] = [];
    const waiting: ((frame: unknown) => void)[] = [];
    socket.on('message', (data) => {
      const frame = decodeFrame(data as Buffer);
      const waiter = waiting.shift();
      if (waiter) waiter(frame);
      else frames.push(frame);
    });
    socket.once('error', reject);
    socket.once('open', () =>
      resolve({
        socket,
        frames,
        next: () =>
          frames.length > 0 ? Promise.resolve(frames.shift()) : new Promise((r) => waiting.push(r)),
      }),
    );
  });
}

describe('EvLinkServer and EvLinkClient', () => {
  let server: EvLinkServer;
  let sessions: EvLinkSession[];
  let handler: EvRequestHandler;
  let lines: Logged[];
  const clients: EvLinkClient[] = [];

  beforeEach(async () => {
    sessions = [];
    lines = [];
    handler = echo;
    server = await EvLinkServer.listen(
      { port: 0, badFramesMax: 3 },
      {
        logger: recordingLogger(lines),
        onSession: (session) => {
          sessions.push(session);
          session.handle((request) => handler(request));
        },
      },
    );
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    await server.close();
  });

  async function connect(options = {}): Promise<EvLinkClient> {
    const client = await EvLinkClient.connect(server.url, options);
    clients.push(client);
    return client;
  }

  it('listens on a free port on /ev and answers each request with its typed response', async () => {
    expect(server.port).to.be.greaterThan(0);
    expect(server.url).to.match(/^ws:\/\/127\.0\.0\.1:\d+\/ev$/);
    const client = await connect();
    const setup = await client.request({ type: 'SessionSetupReq', evId: 'EV1' });
    expect(setup).to.include({ type: 'SessionSetupRes', responseCode: 'OK', sessionId: 's-EV1' });
    const discovery = await client.request({
      type: 'ChargeParameterDiscoveryReq',
      energyRequestedWh: 10_000,
      minPowerW: 0,
      maxPowerW: 7_400,
      departureAtMs: Date.now() + 3_600_000,
    });
    expect(discovery.limitW).to.equal(7_400);
    expect(sessions).to.have.length(1);
  });

  it('delivers EvseNotification pushes to onNotification', async () => {
    const client = await connect();
    const received = new Promise<EvseNotification>((resolve) => client.onNotification(resolve));
    await client.request({ type: 'SessionStopReq' });
    sessions[0]?.notify({ reason: 'lease-lost', limitW: 8_800, mode: 'fail-safe' });
    expect(await received).to.deep.equal({
      type: 'EvseNotification',
      reason: 'lease-lost',
      limitW: 8_800,
      mode: 'fail-safe',
    });
  });

  it('rejects with timeout after the given real milliseconds', async () => {
    handler = () => new Promise(() => undefined);
    const client = await connect();
    const started = Date.now();
    const error = await client
      .request({ type: 'SessionStopReq' }, { timeoutMs: 50 })
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(EvLinkError).with.property('code', 'timeout');
    expect(Date.now() - started).to.be.at.least(45);
  });

  it('rejects with remote-error (internal-error) when the handler fails, and keeps serving', async () => {
    handler = (request) => {
      if (request.type === 'PowerDeliveryReq') throw new Error('boom');
      return echo(request);
    };
    const client = await connect();
    const error = await client
      .request({ type: 'PowerDeliveryReq', start: true })
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(EvLinkError).with.property('code', 'remote-error');
    expect(error).to.have.property('remoteCode', 'internal-error');
    expect(await client.request({ type: 'SessionStopReq' })).to.include({ responseCode: 'OK' });
    expect(lines.some((l) => l.message === 'ev-link-handler-failed')).to.equal(true);
  });

  it('rejects with not-connected once closed, and pending requests fail on close', async () => {
    handler = () => new Promise(() => undefined);
    const client = await connect();
    const pending = client.request({ type: 'SessionStopReq' }).catch((e: unknown) => e);
    sessions[0]?.close();
    expect(await pending).to.have.property('code', 'not-connected');
    const after = await client.request({ type: 'SessionStopReq' }).catch((e: unknown) => e);
    expect(after).to.have.property('code', 'not-connected');
  });

  it('refuses with overloaded beyond pendingRequestsMax', async () => {
    handler = () => new Promise(() => undefined);
    const client = await connect({ pendingRequestsMax: 1, requestTimeoutMs: 200 });
    const first = client.request({ type: 'SessionStopReq' }).catch(() => undefined);
    const error = await client.request({ type: 'SessionStopReq' }).catch((e: unknown) => e);
    expect(error).to.have.property('code', 'overloaded');
    await first;
  });

  it('rejects connect to a closed port with not-connected', async () => {
    const error = await EvLinkClient.connect('ws://127.0.0.1:1/ev', {
      connectTimeoutMs: 500,
    }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(EvLinkError).with.property('code', 'not-connected');
  });

  it('answers bad frames with an error frame and a log line, keeps the connection, closes after badFramesMax', async () => {
    const { socket, next } = await rawSocket(server.url);
    socket.send(Buffer.from([0x82, 0xa1]));
    expect(await next()).to.include({ type: 'Error', code: 'malformed-frame', requestId: null });
    socket.send('text');
    expect(await next()).to.include({ type: 'Error', code: 'malformed-frame' });
    // Still open: a valid request is answered.
    socket.send(encodeFrame({ type: 'SessionStopReq', requestId: 5 }));
    expect(await next()).to.deep.equal({
      type: 'SessionStopRes',
      requestId: 5,
      responseCode: 'OK',
    });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(encodeFrame({ type: 'SessionStopRes', requestId: 5, responseCode: 'OK' }));
    expect(await next()).to.include({ type: 'Error', code: 'unexpected-message', requestId: 5 });
    expect(await closed).to.equal(1008);
    expect(lines.filter((l) => l.message === 'ev-link-bad-frame')).to.have.length(3);
  });

  it('answers a frame above frameBytesMax with frame-too-large and closes with 1009', async () => {
    const { socket, next } = await rawSocket(server.url);
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(Buffer.alloc(20 * 1024, 0xa0));
    expect(await next()).to.include({ type: 'Error', code: 'frame-too-large' });
    expect(await closed).to.equal(1009);
  });

  it('refuses other paths', async () => {
    const error = await EvLinkClient.connect(server.url.replace('/ev', '/other')).catch(
      (e: unknown) => e,
    );
    expect(error).to.have.property('code', 'not-connected');
  });
});

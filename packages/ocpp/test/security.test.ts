/**
 * Security profiles and bad input at the CSMS (docs/OCPP.md, "Security profiles", "Bad input"), on
 * real TCP: our ChargingStationClient where a station behaves, plain `ws` where it must misbehave.
 */
import { expect } from 'chai';
import WebSocket from 'ws';
import {
  ChargingStationClient,
  CsmsServer,
  deriveStationPassword,
  generateDemoCertificates,
  OcppError,
  type DemoCertificates,
  type OcppLogger,
} from '../src';

interface LogLine {
  readonly message: string;
  readonly meta: Record<string, unknown>;
}

function recordingLogger(): OcppLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (message: string, meta: Record<string, unknown> = {}): void => {
    lines.push({ message, meta });
  };
  return { lines, debug: at, info: at, warn: at, error: at };
}

const secret = 'a-cluster-secret-of-at-least-32-characters!';
const passwords = new Map([
  ['cs-1', deriveStationPassword(secret, 'cs-1')],
  ['cs-2', 'an-outside-station-password'],
]);

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** Opens a raw WebSocket; resolves with how the attempt ended. */
function rawAttempt(
  url: string,
  options: { protocols?: string[]; authorization?: string; ca?: string } = {},
): Promise<
  | { kind: 'http'; status: number; wwwAuthenticate: string | undefined }
  | { kind: 'open'; socket: WebSocket; protocol: string }
  | { kind: 'error'; message: string }
> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, options.protocols ?? ['ocpp2.0.1'], {
      headers: options.authorization === undefined ? {} : { authorization: options.authorization },
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve({
        kind: 'http',
        status: response.statusCode ?? 0,
        wwwAuthenticate: response.headers['www-authenticate'] as string | undefined,
      });
      socket.terminate();
    });
    socket.once('open', () => resolve({ kind: 'open', socket, protocol: socket.protocol }));
    socket.once('error', (error) => resolve({ kind: 'error', message: error.message }));
  });
}

function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

/** Sends a CALL on a raw socket and resolves with the answer frame. */
function rawCall(
  socket: WebSocket,
  id: string,
  action: string,
  payload: unknown,
): Promise<unknown[]> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData): void => {
      const frame = JSON.parse(data.toString()) as unknown[];
      if (frame[1] !== id) return;
      socket.off('message', onMessage);
      resolve(frame);
    };
    socket.on('message', onMessage);
    socket.send(JSON.stringify([2, id, action, payload]));
  });
}

describe('CSMS security and bad input (real TCP)', function () {
  this.timeout(20_000);
  let server: CsmsServer;
  let log: ReturnType<typeof recordingLogger>;
  let base: string;
  let heartbeats = 0;
  const cleanup: (() => Promise<unknown> | void)[] = [];

  async function start(
    options: { tls?: DemoCertificates; callsPerSecondMax?: number; callBurstMax?: number } = {},
  ) {
    log = recordingLogger();
    heartbeats = 0;
    server = new CsmsServer(
      {
        host: '127.0.0.1',
        port: 0,
        frameBytesMax: 4096,
        ...(options.tls === undefined
          ? {}
          : { tls: { certPem: options.tls.serverCertPem, keyPem: options.tls.serverKeyPem } }),
        ...(options.callsPerSecondMax === undefined
          ? {}
          : {
              callsPerSecondMax: options.callsPerSecondMax,
              callBurstMax: options.callBurstMax ?? 1,
            }),
      },
      { logger: log, passwordOf: (identity) => passwords.get(identity) },
    );
    server.handle('Heartbeat', () => {
      heartbeats += 1;
      return { currentTime: new Date().toISOString() };
    });
    const port = await server.listen();
    base = `${server.scheme}://127.0.0.1:${port}`;
  }

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
    await server.close();
  });

  function station(identity: string, password: string | undefined, caPem?: string) {
    const created = new ChargingStationClient(
      {
        identity,
        csmsUrls: [base],
        backoffInitialMs: 20,
        backoffMaxMs: 200,
        ...(password === undefined ? {} : { password }),
        ...(caPem === undefined ? {} : { caPem }),
      },
      { logger: recordingLogger() },
    );
    cleanup.push(() => created.close());
    return created;
  }

  describe('Security Profile 1 (Basic auth)', () => {
    beforeEach(() => start());

    it('accepts the right password (derived or listed) and refuses everything else with 401', async () => {
      const good = station('cs-1', passwords.get('cs-1'));
      good.start();
      await good.waitConnected();
      expect((await good.call('Heartbeat', {})).currentTime).to.be.a('string');
      const outside = station('cs-2', 'an-outside-station-password');
      outside.start();
      await outside.waitConnected();

      const cases: [string, string | undefined, string][] = [
        ['cs-1', undefined, 'no Authorization header (Basic auth required)'],
        ['cs-1', basic('cs-1', 'wrong-password-wrong-password'), 'wrong password'],
        [
          'cs-1',
          basic('cs-2', 'an-outside-station-password'),
          'the Basic user name is not the identity in the URL',
        ],
        ['cs-9', basic('cs-9', 'whatever-whatever-whatever'), 'unknown identity'],
        ['cs-1', 'Bearer abc', 'the Authorization header is not HTTP Basic'],
      ];
      for (const [identity, authorization, reason] of cases) {
        const attempt = await rawAttempt(
          `${base}/${identity}`,
          authorization === undefined ? {} : { authorization },
        );
        expect(attempt, reason).to.deep.include({ kind: 'http', status: 401 });
        if (attempt.kind === 'http') expect(attempt.wwwAuthenticate).to.match(/^Basic realm=/);
        const line = log.lines.filter((entry) => entry.message === 'ocpp-upgrade-refused').pop();
        expect(line?.meta).to.include({ chargePointId: identity, status: 401, reason });
      }
      // Nothing was adopted, and no password is in any log line.
      expect(server.connectedIds()).to.deep.equal(['cs-1', 'cs-2']);
      const logged = JSON.stringify(log.lines);
      for (const password of [...passwords.values(), 'wrong-password-wrong-password']) {
        expect(logged).to.not.contain(password);
      }
    });

    it('our client with a wrong password is refused (401) and warns, never logging the password', async () => {
      const stationLog = recordingLogger();
      const wrong = new ChargingStationClient(
        {
          identity: 'cs-1',
          csmsUrls: [base],
          password: 'wrong-password-wrong-password',
          backoffInitialMs: 20,
        },
        { logger: stationLog },
      );
      cleanup.push(() => wrong.close());
      const failed = new Promise<string>((resolve) => {
        const off = wrong.on('connect-failed', ({ reason }) => {
          off();
          resolve(reason);
        });
      });
      wrong.start();
      expect(await failed).to.contain('HTTP 401');
      expect(stationLog.lines.some((line) => line.message === 'ocpp-connect-failed')).to.equal(
        true,
      );
      expect(JSON.stringify(stationLog.lines)).to.not.contain('wrong-password-wrong-password');
      expect(server.connectedIds()).to.deep.equal([]);
    });

    it('a station that does not offer ocpp2.0.1 gets a handshake without subprotocol, then close 1002', async () => {
      const attempt = await rawAttempt(`${base}/cs-1`, {
        protocols: ['ocpp1.6'],
        authorization: basic('cs-1', passwords.get('cs-1') as string),
      });
      // The handshake completes without a subprotocol: a strict client (ws) fails it itself, a
      // lenient one sees the close 1002.
      if (attempt.kind === 'open') {
        expect(attempt.protocol).to.equal('');
        expect((await closed(attempt.socket)).code).to.equal(1002);
      } else {
        expect(attempt).to.deep.equal({ kind: 'error', message: 'Server sent no subprotocol' });
      }
      expect(server.connectedIds()).to.deep.equal([]);
      expect(
        log.lines.some(
          (entry) =>
            entry.message === 'ocpp-upgrade-refused' &&
            String(entry.meta.reason).includes('ocpp2.0.1'),
        ),
      ).to.equal(true);
    });

    it('answers an unknown action with NotImplemented and closes an oversize frame with 1009', async () => {
      const attempt = await rawAttempt(`${base}/cs-1`, {
        authorization: basic('cs-1', passwords.get('cs-1') as string),
      });
      if (attempt.kind !== 'open') throw new Error(`not open: ${JSON.stringify(attempt)}`);
      cleanup.push(() => attempt.socket.terminate());
      const unknown = await rawCall(attempt.socket, 'u1', 'BrewCoffee', {});
      expect(unknown[0]).to.equal(4);
      expect(unknown[2]).to.be.oneOf(['NotImplemented', 'NotSupported']);
      const invalid = await rawCall(attempt.socket, 'u2', 'Heartbeat', { extra: 1 });
      expect(invalid[0]).to.equal(4);
      expect(heartbeats).to.equal(0);
      const ended = closed(attempt.socket);
      attempt.socket.send(JSON.stringify([2, 'big', 'Heartbeat', { pad: 'x'.repeat(5000) }]));
      expect((await ended).code).to.equal(1009);
      expect(heartbeats).to.equal(0);
      await waitFor(() => log.lines.some((entry) => entry.message === 'ocpp-frame-too-large'));
    });

    it('a second connection of a connected identity replaces the first (the newer one wins)', async () => {
      const auth = { authorization: basic('cs-1', passwords.get('cs-1') as string) };
      const first = await rawAttempt(`${base}/cs-1`, auth);
      if (first.kind !== 'open') throw new Error('first not open');
      const firstClosed = closed(first.socket);
      const second = await rawAttempt(`${base}/cs-1`, auth);
      if (second.kind !== 'open') throw new Error('second not open');
      cleanup.push(() => second.socket.terminate());
      expect((await firstClosed).code).to.equal(1000);
      const answer = await rawCall(second.socket, 'h1', 'Heartbeat', {});
      expect(answer[0]).to.equal(3);
      expect(server.connectedIds()).to.deep.equal(['cs-1']);
      expect(log.lines.some((entry) => entry.message === 'ocpp-replaced-connection')).to.equal(
        true,
      );
    });
  });

  describe('per-station rate limit', () => {
    beforeEach(() => start({ callsPerSecondMax: 1, callBurstMax: 3 }));

    it('answers calls over the limit with CALLERROR GenericError and runs no handler for them', async () => {
      const flooder = station('cs-1', passwords.get('cs-1'));
      flooder.start();
      await flooder.waitConnected();
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, () =>
          flooder.call('Heartbeat', {}).then(
            () => 'ok',
            (error: OcppError) => error.rpcErrorCode ?? error.code,
          ),
        ),
      );
      expect(outcomes.filter((outcome) => outcome === 'ok').length).to.be.within(3, 4);
      expect(outcomes.filter((outcome) => outcome === 'GenericError').length).to.be.within(6, 7);
      expect(heartbeats).to.equal(outcomes.filter((outcome) => outcome === 'ok').length);
      expect(log.lines.filter((entry) => entry.message === 'ocpp-rate-limited')).to.have.length(1);
      // Another station has its own bucket.
      const other = station('cs-2', 'an-outside-station-password');
      other.start();
      await other.waitConnected();
      expect((await other.call('Heartbeat', {})).currentTime).to.be.a('string');
    });
  });

  describe('Security Profile 2 (TLS)', () => {
    const certs = generateDemoCertificates({ hosts: ['127.0.0.1', 'localhost'], validDays: 2 });
    beforeEach(() => start({ tls: certs }));

    it('serves wss:// to a station that trusts the demo CA and refuses one that does not', async () => {
      expect(base.startsWith('wss://')).to.equal(true);
      const trusting = station('cs-1', passwords.get('cs-1'), certs.caCertPem);
      trusting.start();
      await trusting.waitConnected();
      expect((await trusting.call('Heartbeat', {})).currentTime).to.be.a('string');
      const untrusting = await rawAttempt(`${base}/cs-2`, {
        authorization: basic('cs-2', 'an-outside-station-password'),
      });
      expect(untrusting.kind).to.equal('error');
      if (untrusting.kind === 'error') expect(untrusting.message).to.match(/certificate/i);
      await waitFor(() => log.lines.some((entry) => entry.message === 'ocpp-tls-error'));
      expect(server.connectedIds()).to.deep.equal(['cs-1']);
      // Plain ws:// to a TLS port does not get in either.
      const plain = await rawAttempt(`${base.replace('wss:', 'ws:')}/cs-1`, {
        authorization: basic('cs-1', passwords.get('cs-1') as string),
      });
      expect(plain.kind).to.not.equal('open');
    });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

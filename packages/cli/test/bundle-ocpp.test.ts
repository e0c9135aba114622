/* eslint-disable @typescript-eslint/no-explicit-any -- OCPP-J frames are untyped JSON here, asserted field by field. */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer, type WebSocket } from 'ws';

// docs/CLUSTER.md, "Memory": a charge point runs its role's bundle, whose ocpp-rpc builds strict
// mode's validator for OCPP 2.0.1 only (scripts/bundle.mjs). This starts the bundled charge point
// against a CSMS written here on plain `ws` (OCPP-J framing by hand, OCPP 2.0.1 Part 4 §4), so that
// what is checked is the charge point's own strict validation of what it receives, not ours.
const cli = path.resolve(__dirname, '../..');
const bin = path.join(cli, 'bin', 'evpaxos.js');

const CALL = 2;
const CALLRESULT = 3;
const CALLERROR = 4;

/** Ports nothing listens on at the moment of asking (the charge point binds its own two). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return server;
    }),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** A CSMS that answers the station's calls minimally and lets the test send its own. */
class HandWrittenCsms {
  readonly received: any[][] = [];
  private socket: WebSocket | undefined;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly server: WebSocketServer) {
    server.on('connection', (socket) => {
      this.socket = socket;
      socket.on('message', (data) => this.onFrame(socket, JSON.parse(String(data)) as any[]));
    });
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  private onFrame(socket: WebSocket, frame: any[]): void {
    this.received.push(frame);
    for (const wake of this.waiters.splice(0)) wake();
    if (frame[0] !== CALL) return;
    const [, id, action] = frame as [number, string, string];
    const answers: Record<string, unknown> = {
      BootNotification: {
        currentTime: new Date().toISOString(),
        interval: 300,
        status: 'Accepted',
      },
      DataTransfer: { status: 'Rejected' },
    };
    socket.send(JSON.stringify([CALLRESULT, id, answers[action] ?? {}]));
  }

  /** Waits for a frame from the station that `match` accepts. */
  async frame(match: (frame: any[]) => boolean, timeoutMs = 60_000): Promise<any[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no matching frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  /** Sends a CALL to the station and returns its answer (CALLRESULT or CALLERROR). */
  async call(action: string, payload: unknown): Promise<any[]> {
    const id = randomBytes(6).toString('hex');
    if (this.socket === undefined) throw new Error('no station connected');
    this.socket.send(JSON.stringify([CALL, id, action, payload]));
    return this.frame((frame) => frame[0] !== CALL && frame[1] === id);
  }
}

describe("the charge point's bundle: strict OCPP 2.0.1 validation", () => {
  let dir: string;
  let csms: HandWrittenCsms;
  let child: ChildProcess | undefined;

  before(async function () {
    this.timeout(120_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-bundle-ocpp-'));
    const server = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      handleProtocols: (protocols) => (protocols.has('ocpp2.0.1') ? 'ocpp2.0.1' : false),
    });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    csms = new HandWrittenCsms(server);
    // central-a is only the hand-written CSMS's service port: its cluster and HTTP ports have
    // nobody behind them, so the charge point runs without a Paxos leader, as at a site's start.
    const [centralCluster, centralHttp, cpCluster, cpHttp, cpService] = await freePorts(5);
    const clusterFile = path.join(dir, 'cluster.json');
    fs.writeFileSync(
      clusterFile,
      JSON.stringify({
        clusterId: 'bundle-ocpp-test',
        secret: randomBytes(32).toString('hex'),
        site: { siteLimitW: 22_000 },
        nodes: [
          {
            id: 'central-a',
            role: 'central',
            host: '127.0.0.1',
            clusterPort: centralCluster,
            httpPort: centralHttp,
            servicePort: csms.port,
          },
          {
            id: 'cp1',
            role: 'charge-point',
            host: '127.0.0.1',
            clusterPort: cpCluster,
            httpPort: cpHttp,
            servicePort: cpService,
          },
        ],
      }),
    );
    const log = fs.openSync(path.join(dir, 'cp1.log'), 'a');
    child = spawn(
      process.execPath,
      [
        bin,
        'charge-point',
        '--id',
        'cp1',
        '--cluster-file',
        clusterFile,
        '--data-dir',
        path.join(dir, 'data'),
        '--unsafe-no-fsync',
        '--log-level',
        'info',
      ],
      { stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
    await csms.frame((frame) => frame[0] === CALL && frame[2] === 'BootNotification', 90_000);
  });

  after(async function () {
    this.timeout(30_000);
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await new Promise((resolve) => csms.server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs the role bundle, which asks for no OCPP schema but 2.0.1', () => {
    const bundle = fs.readFileSync(path.join(cli, 'dist', 'bundle', 'charge-point.js'), 'utf8');
    const schemas = [...bundle.matchAll(/require\("(ocpp-rpc\/lib\/schemas\/[^"]+)"\)/g)].map(
      (match) => match[1],
    );
    expect(schemas).to.deep.equal(['ocpp-rpc/lib/schemas/ocpp2_0_1.json']);
    const cmdline = fs.readFileSync(`/proc/${child?.pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline).to.include(bin);
    expect(cmdline).to.include('charge-point');
  });

  it('answers a call that breaks the OCPP 2.0.1 schema with the right CALLERROR, logs why, and keeps serving', async function () {
    this.timeout(60_000);
    // RequestStartTransaction without its required idToken (OCPP 2.0.1 Part 2 F01).
    const missing = await csms.call('RequestStartTransaction', { remoteStartId: 7 });
    expect(missing[0]).to.equal(CALLERROR);
    expect(missing[2]).to.equal('OccurenceConstraintViolation');
    expect(String(missing[3])).to.match(/idToken/);
    // A field of the wrong JSON type.
    const wrongType = await csms.call('RequestStopTransaction', { transactionId: 42 });
    expect(wrongType[0]).to.equal(CALLERROR);
    expect(wrongType[2]).to.equal('TypeConstraintViolation');
    // A string that is not a date-time: ajv-formats's check, with the Ajv ocpp-rpc hands it.
    const badDate = await csms.call('ReserveNow', {
      id: 1,
      expiryDateTime: 'tomorrow at noon',
      idToken: { idToken: 'TOKEN-1', type: 'Central' },
    });
    expect(badDate[0]).to.equal(CALLERROR);
    expect(badDate[2]).to.equal('FormatViolation');
    expect(String(badDate[3])).to.match(/date-time/);
    const line = await waitForLine(
      path.join(dir, 'cp1.log'),
      (entry) =>
        entry.message === 'ocpp-validation-failed' &&
        entry.action === 'RequestStartTransaction' &&
        entry.messageId === missing[1],
    );
    expect(line.direction).to.equal('in');
    expect(line.part).to.equal('request');
    // The same link still answers a valid call.
    const valid = await csms.call('GetVariables', {
      getVariableData: [
        { component: { name: 'OCPPCommCtrlr' }, variable: { name: 'HeartbeatInterval' } },
      ],
    });
    expect(valid[0]).to.equal(CALLRESULT);
    expect(valid[2].getVariableResult[0].attributeStatus).to.equal('Accepted');
    expect(child?.exitCode).to.equal(null);
  });
});

async function waitForLine(
  file: string,
  match: (entry: Record<string, unknown>) => boolean,
  timeoutMs = 20_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const text of fs.readFileSync(file, 'utf8').split('\n')) {
      try {
        const entry = JSON.parse(text) as Record<string, unknown>;
        if (match(entry)) return entry;
      } catch {
        // not a JSON line
      }
    }
    if (Date.now() > deadline)
      throw new Error(`no matching line in ${file} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

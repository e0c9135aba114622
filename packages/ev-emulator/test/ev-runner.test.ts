import { expect } from 'chai';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  EvLinkClient,
  EvLinkServer,
  type EvLinkSession,
  type EvRequest,
  type PowerMode,
  type RequestBody,
  type RequestOptions,
  type ResponseBody,
} from '@evpaxos/ev-link';
import {
  runScenario,
  validateScenario,
  type ClusterInfo,
  type EmulatorLogger,
  type EvLinkConnector,
  type FaultController,
  type RealClock,
} from '../src';

interface Logged {
  readonly message: string;
  readonly meta: Record<string, unknown>;
}

function recordingLogger(): EmulatorLogger & { lines: Logged[] } {
  const lines: Logged[] = [];
  const push = (message: string, meta: Record<string, unknown> = {}) =>
    lines.push({ message, meta });
  return { lines, info: push, warn: push, error: push };
}

/**
 * A fake EVSE: answers every request at once with `limitW` in the current `mode`. Tests flip the
 * mode (a lease lost and restored) or drop the connection (a crashed charge point).
 */
class FakeEvse {
  mode: PowerMode = 'profile';
  limitW = 11_000;
  readonly requests: EvRequest['type'][] = [];
  readonly sessions: EvLinkSession[] = [];
  statusRequests = 0;
  onStatus: (count: number, session: EvLinkSession) => void = () => undefined;
  /** The ChargingStatusReq (1 = the first) whose response waits until the EV's next request. */
  holdStatus = 0;
  /** Responses held back (see holdStatus), each released by the EV's next request. */
  private readonly held: (() => void)[] = [];

  private constructor(readonly server: EvLinkServer) {}

  static async start(): Promise<FakeEvse> {
    // The server calls onSession only after listen resolves, so the holder is filled by then.
    const holder: { evse?: FakeEvse } = {};
    const server = await EvLinkServer.listen(
      { port: 0 },
      { onSession: (session) => holder.evse!.accept(session) },
    );
    holder.evse = new FakeEvse(server);
    return holder.evse;
  }

  private accept(session: EvLinkSession): void {
    this.sessions.push(session);
    session.handle((request) => this.answer(request, session));
  }

  get heldCount(): number {
    return this.held.length;
  }

  private answer(request: EvRequest, session: EvLinkSession): ResponseBody | Promise<ResponseBody> {
    this.requests.push(request.type);
    for (const release of this.held.splice(0)) release();
    const grant = { limitW: this.limitW, mode: this.mode };
    switch (request.type) {
      case 'SessionSetupReq':
        return {
          type: 'SessionSetupRes',
          responseCode: 'OK',
          sessionId: 'tx-1',
          chargePointId: 'cp1',
        };
      case 'ChargeParameterDiscoveryReq':
        return { type: 'ChargeParameterDiscoveryRes', responseCode: 'OK', ...grant };
      case 'PowerDeliveryReq':
        return {
          type: 'PowerDeliveryRes',
          responseCode: 'OK',
          ...(request.start ? grant : { limitW: 0, mode: this.mode }),
        };
      case 'ChargingStatusReq':
        this.statusRequests += 1;
        this.onStatus(this.statusRequests, session);
        return this.maybeHold(this.statusRequests === this.holdStatus, {
          type: 'ChargingStatusRes',
          responseCode: 'OK',
          limitW: this.limitW,
          mode: this.mode,
        });
      case 'SessionStopReq':
        return { type: 'SessionStopRes', responseCode: 'OK' };
    }
  }

  private maybeHold(hold: boolean, response: ResponseBody): ResponseBody | Promise<ResponseBody> {
    if (!hold) return response;
    return new Promise((resolve) => this.held.push(() => resolve(response)));
  }

  close(): Promise<void> {
    for (const release of this.held.splice(0)) release();
    return this.server.close();
  }
}

/**
 * EvLinkClient.connect, counting what the EV has in flight on the link (a connect or a request)
 * so that a SteppedClock moves only while the EV waits on a timer.
 */
class LinkTracker {
  inFlight = 0;

  readonly connect: EvLinkConnector = async (url, options) => {
    const client = await this.track(EvLinkClient.connect(url, options));
    const request = client.request.bind(client);
    client.request = <B extends RequestBody>(body: B, requestOptions?: RequestOptions) =>
      this.track(request(body, requestOptions));
    return client;
  };

  private track<T>(call: Promise<T>): Promise<T> {
    this.inFlight += 1;
    const done = () => void (this.inFlight -= 1);
    call.then(done, done);
    return call;
  }
}

/**
 * Real time that a loaded machine cannot race: it stands still while the EV talks to the EVSE and
 * jumps to the next timer only when the test says so (see runStepped). The sockets stay real; the
 * scenario's timeline is virtual, so every run takes the same steps in the same order. Under the
 * system clock at speed 60 a whole visit has 130 real ms, and a cold, loaded process can spend
 * that on its first connection alone.
 */
class SteppedClock implements RealClock {
  private now = 1_000_000;
  private timerSequence = 0;
  private timers: { atMs: number; sequence: number; callback: () => void }[] = [];

  nowMs(): number {
    return this.now;
  }

  setTimer(callback: () => void, delayMs: number): () => void {
    const timer = {
      atMs: this.now + Math.max(0, delayMs),
      sequence: this.timerSequence++,
      callback,
    };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((other) => other !== timer);
    };
  }

  /** Moves to the earliest timer (the first set, among equals) and fires it; false if none. */
  fireNextTimer(): boolean {
    const next = this.timers.reduce<(typeof this.timers)[number] | undefined>(
      (earliest, timer) =>
        earliest === undefined ||
        timer.atMs < earliest.atMs ||
        (timer.atMs === earliest.atMs && timer.sequence < earliest.sequence)
          ? timer
          : earliest,
      undefined,
    );
    if (next === undefined) return false;
    this.timers = this.timers.filter((timer) => timer !== next);
    this.now = Math.max(this.now, next.atMs);
    next.callback();
    return true;
  }
}

/** Timers one stepped run may fire: far above what these scenarios set, so a loop fails fast. */
const STEPPED_TIMERS_MAX = 1_000;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Awaits `run` while firing `clock`'s timers one at a time, each only once the EV is settled:
 * `settled()` holds (typically: nothing in flight on the link) across a full event-loop turn,
 * so the continuations of the last response have run and armed whatever the EV waits on next.
 */
async function runStepped<T>(
  clock: SteppedClock,
  run: Promise<T>,
  settled: () => boolean,
): Promise<T> {
  let finished = false;
  const finish = () => void (finished = true);
  run.then(finish, finish);
  let fired = 0;
  while (!finished) {
    await nextTurn();
    if (!settled()) continue;
    await nextTurn();
    if (!settled() || finished) continue;
    if (clock.fireNextTimer()) {
      fired += 1;
      if (fired > STEPPED_TIMERS_MAX) throw new Error(`more than ${STEPPED_TIMERS_MAX} timers`);
    } else {
      // No timer armed: the run is closing its sockets (real I/O only); wait for it.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
  return run;
}

function clusterWith(evse: FakeEvse, centralHttpPort = 1): ClusterInfo {
  return {
    nodes: [
      { id: 'central-a', role: 'central', host: '127.0.0.1', httpPort: centralHttpPort },
      {
        id: 'cp1',
        role: 'charge-point',
        host: '127.0.0.1',
        httpPort: 2,
        servicePort: evse.server.port,
      },
    ],
  };
}

const needs = { energyWh: 30_000, minPowerW: 1_400, maxPowerW: 11_000, departureAtMinute: 60 };

function transitions(logger: { lines: Logged[] }, evId = 'EV1'): string[] {
  return logger.lines
    .filter((line) => line.message === 'ev-transition' && line.meta.evId === evId)
    .map((line) => `${String(line.meta.event)}:${String(line.meta.to)}`);
}

/**
 * EV1 at cp1 in a 0.2-minute scenario — arrives at 0.02, stops at 0.15, unplugs at 0.18 — at speed
 * 60 (12 s of scenario, 200 ms real) on a SteppedClock, which moves on only once `settled` holds,
 * so a slow machine cannot overtake the scripted stop and unplug.
 */
function runOneEvStepped(
  evse: FakeEvse,
  logger: ReturnType<typeof recordingLogger>,
  settled: (link: LinkTracker) => boolean,
) {
  const scenario = validateScenario({
    name: 'one-ev',
    durationMinutes: 0.2,
    evs: [
      {
        id: 'EV1',
        chargePointId: 'cp1',
        arriveAtMinute: 0.02,
        stopAtMinute: 0.15,
        unplugAtMinute: 0.18,
        needs,
      },
    ],
  });
  const clock = new SteppedClock();
  const link = new LinkTracker();
  return runStepped(
    clock,
    runScenario(
      { scenario, cluster: clusterWith(evse), speed: 60, ev: { statusIntervalMs: 20 } },
      { logger, clock, connect: link.connect },
    ),
    () => settled(link),
  );
}

/** The EV table walked once, plug-in to unplug, as the transitions log it. */
const fullVisit = [
  'plugIn:connected_not_charging',
  'authorized:sendNeeds',
  'needsSent:receiveScheduling',
  'scheduleReceived:charging_with_profile',
  'stopCharging:connected_not_charging',
  'unplug:not_connected',
];

describe('EV runner (against a real EvLinkServer)', () => {
  let evse: FakeEvse;
  beforeEach(async () => {
    evse = await FakeEvse.start();
  });
  afterEach(() => evse.close());

  it('walks the EV table: plug in, needs, schedule, charge with profile, stop, unplug (speed 60)', async () => {
    const logger = recordingLogger();
    const report = await runOneEvStepped(evse, logger, (link) => link.inFlight === 0);
    expect(transitions(logger)).to.deep.equal(fullVisit);
    expect(evse.requests[0]).to.equal('SessionSetupReq');
    expect(evse.requests).to.include.members([
      'ChargeParameterDiscoveryReq',
      'PowerDeliveryReq',
      'ChargingStatusReq',
      'SessionStopReq',
    ]);
    const summary = report.evs[0]!;
    expect(summary.profileReceived).to.equal(true);
    expect(summary.finalState).to.equal('not_connected');
    // 11 kW for at most (0.15 - 0.02) scenario minutes = 7.8 s: ≤ 23.9 Wh, and well above 0.
    expect(summary.energyWh)
      .to.be.greaterThan(5)
      .and.at.most((11_000 * 7.8) / 3600 + 0.1);
    const names = logger.lines.map((line) => line.message);
    expect(names).to.include('ev-summary');
    expect(names[names.length - 1]).to.equal('scenario-done');
  });

  it('stops charging (PowerDeliveryReq Stop) at its stop time even with a ChargingStatusReq in flight', async () => {
    // The EVSE holds the 2nd ChargingStatusRes past the stop time (a slow charge point, or a
    // loaded machine at speed 60): the driver stops charging all the same, then unplugs.
    evse.holdStatus = 2;
    const logger = recordingLogger();
    const report = await runOneEvStepped(evse, logger, (link) => link.inFlight === evse.heldCount);
    expect(transitions(logger)).to.deep.equal(fullVisit);
    const stop = logger.lines.find(
      (line) => line.message === 'ev-transition' && line.meta.event === 'stopCharging',
    );
    expect(stop?.meta.scenarioMs).to.equal(0.15 * 60_000);
    expect(evse.statusRequests).to.equal(2);
    expect(evse.requests.slice(-3)).to.deep.equal([
      'ChargingStatusReq',
      'PowerDeliveryReq',
      'SessionStopReq',
    ]);
    expect(report.evs[0]!.problems).to.deep.equal([]);
  });

  it('goes to charging_without_profile when the lease is lost, and back when it is restored', async () => {
    evse.onStatus = (count) => {
      if (count === 2) evse.mode = 'fail-safe';
      if (count === 4) evse.mode = 'profile';
    };
    const logger = recordingLogger();
    const scenario = validateScenario({
      durationMinutes: 0.3,
      evs: [{ id: 'EV1', chargePointId: 'cp1', arriveAtMinute: 0.01, stopAtMinute: 0.25, needs }],
    });
    await runScenario(
      { scenario, cluster: clusterWith(evse), speed: 60, ev: { statusIntervalMs: 15 } },
      { logger },
    );
    const seen = transitions(logger);
    expect(seen).to.include('leaseLost:charging_without_profile');
    expect(
      seen.indexOf(
        'scheduleReceived:charging_with_profile',
        seen.indexOf('leaseLost:charging_without_profile'),
      ),
    ).to.be.greaterThan(0);
  });

  it('unplugs (not_connected) and reports connectionLost when the charge point drops the link', async () => {
    evse.onStatus = (count, session) => {
      if (count === 2) setImmediate(() => session.close(1001, 'crash'));
    };
    const logger = recordingLogger();
    const scenario = validateScenario({
      durationMinutes: 0.2,
      evs: [{ id: 'EV1', chargePointId: 'cp1', arriveAtMinute: 0.01, stopAtMinute: 0.15, needs }],
    });
    const report = await runScenario(
      { scenario, cluster: clusterWith(evse), speed: 60, ev: { statusIntervalMs: 15 } },
      { logger },
    );
    const summary = report.evs[0]!;
    expect(summary.connectionLost).to.equal(true);
    expect(summary.finalState).to.equal('not_connected');
    expect(transitions(logger).pop()).to.equal('unplug:not_connected');
  });

  it('runs fault steps through the FaultController and logs each as scenario-step', async () => {
    const calls: string[] = [];
    const faults: FaultController = {
      killNode: async (id) => void calls.push(`kill ${id}`),
      restartNode: async (id) => void calls.push(`restart ${id}`),
      pauseNode: (id) => void calls.push(`pause ${id}`),
      resumeNode: (id) => void calls.push(`resume ${id}`),
      partition: async (sides) =>
        void calls.push(`partition ${sides.map((s) => s.join(',')).join('|')}`),
      heal: async () => {
        calls.push('heal');
        throw new Error('heal failed on purpose');
      },
    };
    const logger = recordingLogger();
    const scenario = validateScenario({
      durationMinutes: 0.1,
      steps: [
        { atMinute: 0.01, action: 'kill', node: 'central-a' },
        { atMinute: 0.02, action: 'partition', sides: [['central-a', 'cp1'], ['cp2']] },
        { atMinute: 0.03, action: 'heal' },
        { atMinute: 0.04, action: 'restart', node: 'central-a' },
      ],
    });
    const report = await runScenario(
      { scenario, cluster: clusterWith(evse), speed: 60 },
      { logger, faults },
    );
    expect(calls).to.deep.equal([
      'kill central-a',
      'partition central-a,cp1|cp2',
      'heal',
      'restart central-a',
    ]);
    expect(report.steps.map((step) => step.ok)).to.deep.equal([true, true, false, true]);
    expect(report.steps[2]?.error).to.equal('heal failed on purpose');
    expect(logger.lines.filter((line) => line.message === 'scenario-step')).to.have.length(4);
  });

  it('refuses fault steps without a launcher, before anything runs', async () => {
    const scenario = validateScenario({ steps: [{ atMinute: 1, action: 'kill', node: 'cp1' }] });
    const logger = recordingLogger();
    let error: unknown;
    try {
      await runScenario({ scenario, cluster: clusterWith(evse), speed: 60 }, { logger });
    } catch (caught) {
      error = caught;
    }
    expect(String(error)).to.match(
      /steps\[0\]\.action "kill" needs the launcher: give the cluster's --dir/,
    );
    expect(logger.lines).to.deep.equal([]);
  });

  it('makes and cancels a reservation at the leader central (POST/DELETE /reservations)', async () => {
    const requests: string[] = [];
    const central = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        requests.push(`${request.method} ${request.url} ${body}`);
        response.setHeader('content-type', 'application/json');
        if (request.url === '/status') {
          response.end(JSON.stringify({ id: 'central-a', paxos: { proposerState: 'leader' } }));
        } else if (request.method === 'POST') {
          response.end(JSON.stringify({ reservationId: 7 }));
        } else {
          response.end('{}');
        }
      });
    });
    await new Promise<void>((resolve) => central.listen(0, '127.0.0.1', resolve));
    try {
      const scenario = validateScenario({
        durationMinutes: 0.05,
        steps: [
          {
            atMinute: 0.01,
            action: 'reserve',
            chargePointId: 'cp1',
            idToken: 'TOKEN',
            expiresAtMinute: 30,
            ref: 'r',
          },
          { atMinute: 0.02, action: 'cancel-reservation', ref: 'r' },
        ],
      });
      const port = (central.address() as AddressInfo).port;
      const report = await runScenario(
        { scenario, cluster: clusterWith(evse, port), speed: 60 },
        { logger: recordingLogger() },
      );
      expect(report.steps.map((step) => [step.ok, step.reservationId])).to.deep.equal([
        [true, 7],
        [true, 7],
      ]);
      const post = requests.find((line) => line.startsWith('POST /reservations '))!;
      const body = JSON.parse(post.slice('POST /reservations '.length)) as Record<string, unknown>;
      expect(body).to.include({ chargePointId: 'cp1', connectorId: 1, idToken: 'TOKEN' });
      expect(body.expiresAtMs).to.be.a('number').greaterThan(Date.now());
      expect(requests.some((line) => line.startsWith('DELETE /reservations/7'))).to.equal(true);
    } finally {
      await new Promise<void>((resolve) => central.close(() => resolve()));
    }
  });
});

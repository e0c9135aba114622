import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import type { NodeId } from '@evpaxos/wire';
import { WebSocketTransport } from '../src';
import type { WebSocketTransportOptions } from '../src/options';
import type { PeerState } from '../src/types';
import { BlackholeProxy } from './blackhole-proxy';
import { collect, heartbeat, recordingLogger, roundsFrom, waitUntil } from './helpers';

const secret = 'test-secret-0123456789abcdef';
const clusterId = 'site-test';
const url = (port: number) => `ws://127.0.0.1:${port}`;

/** Short timings so that a cut is seen, and a link closed, within a test. */
const limits = {
  pingIntervalMs: 300,
  silenceSlackMs: 200,
  livenessTimeoutMs: 1_500,
  handshakeTimeoutMs: 500,
  reconnectDelayMinMs: 20,
  reconnectDelayMaxMs: 200,
  closeGraceMs: 200,
} satisfies Partial<WebSocketTransportOptions>;

/**
 * Timer and polling latency of this test process on a loaded machine, allowed on top of the bound
 * under test (pingIntervalMs + silenceSlackMs): the state itself is read from the clock.
 */
const schedulingToleranceMs = 250;

function stateOf(transport: WebSocketTransport, peer: NodeId): PeerState | undefined {
  return transport.peers().find((status) => status.id === peer)?.state;
}

describe('WebSocketTransport: liveness over a cut that sends no FIN or RST', () => {
  let a: WebSocketTransport;
  let b: WebSocketTransport;
  let toA: BlackholeProxy;
  let toB: BlackholeProxy;
  const changes: string[] = [];

  beforeEach(async () => {
    changes.length = 0;
    const make = (nodeId: NodeId, peer: NodeId) =>
      new WebSocketTransport(
        {
          nodeId,
          clusterId,
          clusterSecret: secret,
          listen: { host: '127.0.0.1', port: 0 },
          peers: { [peer]: null },
          ...limits,
        },
        { logger: recordingLogger() },
      );
    a = make('a', 'b');
    b = make('b', 'a');
    await Promise.all([a.start(), b.start()]);
    // Each side's outbound link, and so each direction, runs through a proxy that can be cut.
    toA = await BlackholeProxy.start(a.port);
    toB = await BlackholeProxy.start(b.port);
    a.onPeerChange((status) => changes.push(`a→${status.id}:${status.state}`));
    b.onPeerChange((status) => changes.push(`b→${status.id}:${status.state}`));
    a.setPeerUrl('b', url(toB.port));
    b.setPeerUrl('a', url(toA.port));
    await waitUntil(
      () => stateOf(a, 'b') === 'connected' && stateOf(b, 'a') === 'connected',
      'a and b linked through the proxies',
    );
    changes.length = 0;
  });

  afterEach(async () => {
    await Promise.all([a.close(), b.close()]);
    await Promise.all([toA.close(), toB.close()]);
  });

  /** Cuts both directions and returns how long until both sides stopped reporting connected. */
  async function cutAndTimeReport(): Promise<number> {
    const cutAtMs = performance.now();
    toA.cutOff();
    toB.cutOff();
    await waitUntil(
      () => stateOf(a, 'b') !== 'connected' && stateOf(b, 'a') !== 'connected',
      'both sides to report the cut',
      limits.livenessTimeoutMs,
    );
    return performance.now() - cutAtMs;
  }

  async function expectTrafficBothWays(): Promise<void> {
    const inboxA = collect(a);
    const inboxB = collect(b);
    await waitUntil(() => {
      a.send('b', heartbeat(1));
      b.send('a', heartbeat(2));
      return inboxA.length > 0 && inboxB.length > 0;
    }, 'traffic both ways');
    expect(roundsFrom(inboxB, 'a')[0]).to.equal(1);
    expect(roundsFrom(inboxA, 'b')[0]).to.equal(2);
  }

  it('keeps an idle healthy link connected across several ping intervals', async () => {
    await new Promise((resolve) => setTimeout(resolve, 4 * limits.pingIntervalMs));
    expect(changes).to.deep.equal([]);
    expect(stateOf(a, 'b')).to.equal('connected');
    expect(a.stats().framesInByKind).to.not.have.property('paxos');
  });

  it('reports the link silent within pingIntervalMs + silenceSlackMs, and connected again once the cut mends', async () => {
    const elapsedMs = await cutAndTimeReport();
    expect(elapsedMs).to.be.at.most(
      limits.pingIntervalMs + limits.silenceSlackMs + schedulingToleranceMs,
    );
    expect(stateOf(a, 'b')).to.equal('silent');
    expect(stateOf(b, 'a')).to.equal('silent');
    await waitUntil(
      () => changes.includes('a→b:silent') && changes.includes('b→a:silent'),
      'events',
    );
    toA.mend();
    toB.mend();
    await waitUntil(
      () => stateOf(a, 'b') === 'connected' && stateOf(b, 'a') === 'connected',
      'both sides to see the link answer again',
    );
    // Mended before livenessTimeoutMs: the same connections carry on.
    expect(a.stats().rejectionsByCode['liveness-timeout']).to.equal(undefined);
    expect(b.stats().rejectionsByCode['liveness-timeout']).to.equal(undefined);
    expect(changes.filter((change) => change.startsWith('a→b'))).to.deep.equal([
      'a→b:silent',
      'a→b:connected',
    ]);
    await expectTrafficBothWays();
  });

  it('closes a link silent for livenessTimeoutMs, and redials it once the cut mends', async () => {
    const cutAtMs = performance.now();
    await cutAndTimeReport();
    await waitUntil(
      () => ['down', 'connecting'].includes(stateOf(a, 'b') ?? ''),
      'a to close its silent link to b',
      2 * limits.livenessTimeoutMs,
    );
    // Nothing heard for livenessTimeoutMs: the last pong came at most a ping interval before the cut.
    expect(performance.now() - cutAtMs).to.be.at.least(
      limits.livenessTimeoutMs - limits.pingIntervalMs,
    );
    expect(a.stats().rejectionsByCode['liveness-timeout']).to.be.at.least(1);
    toA.mend();
    toB.mend();
    await waitUntil(
      () => stateOf(a, 'b') === 'connected' && stateOf(b, 'a') === 'connected',
      'the link to be redialled',
      5_000,
    );
    await expectTrafficBothWays();
  });
});

describe('WebSocketTransport: liveness of a peer process that is stopped (SIGSTOP)', () => {
  let a: WebSocketTransport;
  let child: ChildProcess;

  before(async () => {
    a = new WebSocketTransport(
      {
        nodeId: 'a',
        clusterId,
        clusterSecret: secret,
        listen: { host: '127.0.0.1', port: 0 },
        peers: { b: null },
        ...limits,
      },
      { logger: recordingLogger() },
    );
    await a.start();
    child = spawn(
      process.execPath,
      [path.join(__dirname, 'peer-process.js'), 'b', 'a', url(a.port), JSON.stringify(limits)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const port = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the peer process exited (${code})`)));
      child.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    });
    a.setPeerUrl('b', url(port));
    await waitUntil(() => stateOf(a, 'b') === 'connected', 'a linked to the peer process', 10_000);
  });

  after(async () => {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await a.close();
  });

  it('reports a stopped peer silent within pingIntervalMs + silenceSlackMs, and connected once it resumes', async () => {
    const stoppedAtMs = performance.now();
    child.kill('SIGSTOP');
    await waitUntil(() => stateOf(a, 'b') === 'silent', 'a to report b silent', 5_000);
    expect(performance.now() - stoppedAtMs).to.be.at.most(
      limits.pingIntervalMs + limits.silenceSlackMs + schedulingToleranceMs,
    );
    child.kill('SIGCONT');
    await waitUntil(() => stateOf(a, 'b') === 'connected', 'a to hear b again', 5_000);
    expect(a.stats().rejectionsByCode['liveness-timeout']).to.equal(undefined);
  });
});

import * as net from 'node:net';
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
const redialLine = 'transport: redialling a peer that dialled us';

/**
 * A peer that dials us is up and listening: our own link to it is redialled at once rather than
 * when a backoff or a liveness timeout says so (Dialer.peerDialledUs). The timings below make
 * those other paths far slower (30 s and more) than the bound each test waits, so only the
 * redial can pass them.
 */
const slowRecovery = {
  pingIntervalMs: 10_000,
  silenceSlackMs: 1_000,
  livenessTimeoutMs: 30_000,
  handshakeTimeoutMs: 1_000,
  closeGraceMs: 100,
} satisfies Partial<WebSocketTransportOptions>;
const recoveryBoundMs = 5_000;

function stateOf(transport: WebSocketTransport, peer: NodeId): PeerState | undefined {
  return transport.peers().find((status) => status.id === peer)?.state;
}

function make(
  nodeId: NodeId,
  peers: Record<NodeId, string | null>,
  port = 0,
  reconnect = { reconnectDelayMinMs: 20, reconnectDelayMaxMs: 200 },
) {
  const logger = recordingLogger();
  const transport = new WebSocketTransport(
    {
      nodeId,
      clusterId,
      clusterSecret: secret,
      listen: { host: '127.0.0.1', port },
      peers,
      ...slowRecovery,
      ...reconnect,
    },
    { logger },
  );
  return { transport, logger };
}

/** A port nothing listens on (the kernel's pick, released again). */
async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function expectDelivery(from: WebSocketTransport, to: WebSocketTransport, round: number) {
  const inbox = collect(to);
  await waitUntil(
    () => {
      from.send(to.nodeId, heartbeat(round));
      return inbox.length > 0;
    },
    `${from.nodeId} to reach ${to.nodeId}`,
    recoveryBoundMs,
  );
  expect(roundsFrom(inbox, from.nodeId)[0]).to.equal(round);
}

describe('WebSocketTransport: a peer that dials us is dialled back at once', () => {
  const open: WebSocketTransport[] = [];
  const proxies: BlackholeProxy[] = [];

  afterEach(async () => {
    await Promise.all(open.splice(0).map((transport) => transport.close()));
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  });

  /**
   * a and b linked, each one's send link through a proxy that can make it vanish, and older than
   * a handshake can take (so neither is the answer to a redial of the other's).
   */
  async function linkedThroughProxies() {
    const a = make('a', { b: null });
    const b = make('b', { a: null });
    await Promise.all([a.transport.start(), b.transport.start()]);
    const toA = await BlackholeProxy.start(a.transport.port);
    const toB = await BlackholeProxy.start(b.transport.port);
    proxies.push(toA, toB);
    a.transport.setPeerUrl('b', url(toB.port));
    b.transport.setPeerUrl('a', url(toA.port));
    await waitUntil(
      () => stateOf(a.transport, 'b') === 'connected' && stateOf(b.transport, 'a') === 'connected',
      'a and b linked through the proxies',
    );
    await new Promise((resolve) => setTimeout(resolve, 2 * slowRecovery.handshakeTimeoutMs));
    return { a, b, toA, toB };
  }

  it('does not wait out the backoff that grew while the peer was down', async () => {
    const port = await unusedPort();
    // Backoff of 30 to 60 s: without the redial, b would not dial a again within the test.
    const slowBackoff = { reconnectDelayMinMs: 60_000, reconnectDelayMaxMs: 60_000 };
    const b = make('b', { a: url(port) }, 0, slowBackoff);
    open.push(b.transport);
    await b.transport.start();
    await waitUntil(
      () =>
        b.logger.entries.some((entry) => entry.message === 'transport: could not connect') &&
        stateOf(b.transport, 'a') === 'down',
      'b to fail its first dial of a (nothing listens yet)',
    );
    const a = make('a', { b: url(b.transport.port) }, port, slowBackoff);
    open.push(a.transport);
    await a.transport.start();
    await waitUntil(
      () => stateOf(b.transport, 'a') === 'connected',
      'b to link to a once a dialled it',
      recoveryBoundMs,
    );
    await expectDelivery(b.transport, a.transport, 7);
  });

  it('redials an open link to a peer that came back on a new connection: the old one leads nowhere (no FIN, no RST)', async () => {
    const { a, b, toA, toB } = await linkedThroughProxies();
    open.push(b.transport);

    // a's container is replaced: its process and address vanish without a word, a new a starts
    // on the same port (b's URL for a now leads to it) and dials b.
    toA.vanish();
    toB.vanish();
    const port = a.transport.port;
    await a.transport.close();
    const a2 = make('a', { b: url(toB.port) }, port);
    open.push(a2.transport);
    await a2.transport.start();

    // b's old link to a still looks open (liveness would take 30 s): only the redial delivers.
    await expectDelivery(b.transport, a2.transport, 9);
    expect(b.logger.entries.filter((entry) => entry.message === redialLine)).to.have.length(1);
  });

  it('answers a redial of a healthy link with one redial, not a storm', async () => {
    const { a, b, toA } = await linkedThroughProxies();
    open.push(a.transport, b.transport);

    // b's link to a dies without a word reaching a (as after b's own liveness timeout) and b
    // dials again: a takes the new link as news that b came back and redials its own, healthy,
    // link once; b's link is then too young to be redialled in turn.
    toA.vanish();
    b.transport.setPeerUrl('a', url(toA.port));
    await waitUntil(
      () => a.logger.entries.some((entry) => entry.message === redialLine),
      'a to redial b',
    );
    await waitUntil(
      () => stateOf(a.transport, 'b') === 'connected' && stateOf(b.transport, 'a') === 'connected',
      'both links up again',
    );
    await new Promise((resolve) => setTimeout(resolve, 4 * slowRecovery.handshakeTimeoutMs));
    const redials = (entries: { message: string }[]) =>
      entries.filter((entry) => entry.message === redialLine).length;
    expect(redials(a.logger.entries)).to.equal(1);
    expect(redials(b.logger.entries)).to.equal(0);
    await expectDelivery(a.transport, b.transport, 11);
    await expectDelivery(b.transport, a.transport, 12);
  });
});

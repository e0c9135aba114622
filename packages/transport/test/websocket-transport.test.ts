import { expect } from 'chai';
import { pack } from 'msgpackr';
import { WebSocket } from 'ws';
import { WIRE_VERSION, decodeEnvelope, encodeEnvelope, type NodeId } from '@evpaxos/wire';
import { WebSocketTransport, type Transport } from '../src';
import type { WebSocketTransportOptions } from '../src/options';
import { computeProof } from '../src/handshake';
import { describeTransportCompliance, type TestCluster } from './compliance';
import { collect, heartbeat, recordingLogger, roundsFrom, waitUntil } from './helpers';

const secret = 'test-secret-0123456789abcdef';
const clusterId = 'site-test';

/** Short timings so that reconnects and timeouts happen within a test. */
const fastLimits = {
  reconnectDelayMinMs: 10,
  reconnectDelayMaxMs: 100,
  handshakeTimeoutMs: 1_000,
  pingIntervalMs: 1_000,
  closeGraceMs: 200,
} satisfies Partial<WebSocketTransportOptions>;

const url = (port: number) => `ws://127.0.0.1:${port}`;

interface WebSocketCluster extends TestCluster {
  node(id: NodeId): WebSocketTransport;
  loggerOf(id: NodeId): ReturnType<typeof recordingLogger>;
}

async function createWebSocketCluster(
  ids: readonly NodeId[],
  extra: Partial<WebSocketTransportOptions> = {},
): Promise<WebSocketCluster> {
  const nodes = new Map<NodeId, WebSocketTransport>();
  const loggers = new Map<NodeId, ReturnType<typeof recordingLogger>>();
  const ports = new Map<NodeId, number>();
  const startNode = async (id: NodeId, port: number) => {
    const peers: Record<NodeId, string | null> = {};
    for (const other of ids)
      if (other !== id) peers[other] = ports.has(other) ? url(ports.get(other) ?? 0) : null;
    const logger = recordingLogger();
    const transport = new WebSocketTransport(
      {
        nodeId: id,
        clusterId,
        clusterSecret: secret,
        listen: { host: '127.0.0.1', port },
        peers,
        ...fastLimits,
        ...extra,
      },
      { logger },
    );
    await transport.start();
    nodes.set(id, transport);
    loggers.set(id, logger);
    ports.set(id, transport.port);
    return transport;
  };
  // Port 0 everywhere: each node learns the others' addresses once they are listening.
  for (const id of ids) await startNode(id, 0);
  for (const id of ids) {
    for (const other of ids)
      if (other !== id) nodes.get(id)?.setPeerUrl(other, url(ports.get(other) ?? 0));
  }
  return {
    node: (id) => nodes.get(id) as WebSocketTransport,
    loggerOf: (id) => loggers.get(id) as ReturnType<typeof recordingLogger>,
    restart: async (id) => {
      await nodes.get(id)?.close();
      return startNode(id, ports.get(id) ?? 0);
    },
    close: async () => {
      await Promise.all([...nodes.values()].map((transport) => transport.close()));
    },
  };
}

describeTransportCompliance('WebSocketTransport', (ids) => createWebSocketCluster(ids));

/** A raw ws client: what an attacker or a broken peer can do. */
async function connectRaw(port: number): Promise<WebSocket> {
  const socket = new WebSocket(url(port));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return socket;
}

function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

/** The next frame; rejects if the socket closes first. */
function nextFrame(socket: WebSocket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new Error('closed before a frame arrived'));
    socket.once('close', onClose);
    socket.once('message', (data) => {
      socket.off('close', onClose);
      resolve(data as Buffer);
    });
  });
}

describe('WebSocketTransport: untrusted connections', () => {
  let cluster: WebSocketCluster;
  let a: WebSocketTransport;
  let b: WebSocketTransport;

  beforeEach(async () => {
    cluster = await createWebSocketCluster(['a', 'b'], {
      maxFrameBytes: 64 * 1024,
      sendBufferBytesMax: 1024 * 1024,
    });
    a = cluster.node('a');
    b = cluster.node('b');
    await waitUntil(
      () => [a, b].every((node) => node.peers().every((peer) => peer.state === 'connected')),
      'a and b linked',
    );
  });

  afterEach(async () => {
    await cluster.close();
  });

  /** The honest pair still talks, both ways, after the offence. */
  async function expectHonestTrafficFlows(): Promise<void> {
    const inboxA = collect(a);
    const inboxB = collect(b);
    a.send('b', heartbeat(100));
    b.send('a', heartbeat(200));
    await waitUntil(() => inboxA.length === 1 && inboxB.length === 1, 'honest traffic');
    expect(roundsFrom(inboxB, 'a')).to.deep.equal([100]);
    expect(roundsFrom(inboxA, 'b')).to.deep.equal([200]);
  }

  function expectLoggedRejection(code: string): void {
    const entry = cluster
      .loggerOf('a')
      .entries.find((logged) => logged.level === 'warn' && logged.meta?.code === code);
    expect(entry, `a warning with code ${code}`).to.not.equal(undefined);
    expect(a.stats().rejectionsByCode[code as 'bad-proof']).to.equal(1);
  }

  async function expectClosedFor(socket: WebSocket, code: string, send: () => void): Promise<void> {
    const closing = closed(socket);
    send();
    const result = await closing;
    expect(result.reason).to.equal(code);
    expectLoggedRejection(code);
    await expectHonestTrafficFlows();
  }

  /** Runs our side of the handshake by hand, with whatever ids and secret the test wants. */
  async function handshake(
    socket: WebSocket,
    hello: { clusterId?: string; nodeId?: string; peerId?: string; secret?: string } = {},
  ): Promise<void> {
    const nonce = new Uint8Array(32).fill(1);
    const challengeFrame = nextFrame(socket);
    socket.send(
      encodeEnvelope({
        v: WIRE_VERSION,
        kind: 'hello',
        body: {
          clusterId: hello.clusterId ?? clusterId,
          nodeId: hello.nodeId ?? 'b',
          peerId: hello.peerId ?? 'a',
          nonce,
        },
      }),
    );
    const challenge = decodeEnvelope(await challengeFrame);
    if (challenge.kind !== 'challenge')
      throw new Error(`expected a challenge, got ${challenge.kind}`);
    const proof = computeProof(hello.secret ?? secret, {
      role: 'dialer',
      clusterId: hello.clusterId ?? clusterId,
      proverId: hello.nodeId ?? 'b',
      verifierId: 'a',
      dialerNonce: nonce,
      listenerNonce: challenge.body.nonce,
    });
    socket.send(encodeEnvelope({ v: WIRE_VERSION, kind: 'proof', body: { proof } }));
  }

  it('reports the port it bound when asked for port 0', () => {
    expect(a.port).to.be.a('number').and.greaterThan(0);
  });

  it('closes a connection that sends garbage bytes: malformed-frame', async () => {
    const socket = await connectRaw(a.port);
    await expectClosedFor(socket, 'malformed-frame', () =>
      socket.send(Buffer.from([0xc1, 0xff, 0x00, 0x13])),
    );
  });

  it('closes a connection from a node of wire version 1 (map envelopes) with the reason: unsupported-version', async () => {
    const socket = await connectRaw(a.port);
    // What a node of the build before envelope version 2 sends first: its hello as a map.
    const oldHello = pack({
      v: 1,
      kind: 'hello',
      body: { clusterId, nodeId: 'b', peerId: 'a', nonce: new Uint8Array(32).fill(1) },
    });
    const closing = closed(socket);
    socket.send(oldHello);
    const result = await closing;
    expect(result.reason).to.equal('unsupported-version');
    expect(result.code).to.equal(1007);
    const entry = cluster
      .loggerOf('a')
      .entries.find((logged) => logged.meta?.code === 'unsupported-version');
    expect(String(entry?.meta?.detail)).to.contain(
      'version 1 (a { v, kind, body } map), expected 2',
    );
    expectLoggedRejection('unsupported-version');
    await expectHonestTrafficFlows();
  });

  it('closes a connection that sends a frame over maxFrameBytes: frame-too-large', async () => {
    const socket = await connectRaw(a.port);
    const closing = closed(socket);
    socket.send(Buffer.alloc(64 * 1024 + 1));
    const result = await closing;
    expect(result.code).to.equal(1009);
    expectLoggedRejection('frame-too-large');
    await expectHonestTrafficFlows();
  });

  it('closes a connection that sends a text frame: text-frame', async () => {
    const socket = await connectRaw(a.port);
    await expectClosedFor(socket, 'text-frame', () => socket.send('{"type":"prepare"}'));
  });

  it('closes a connection that sends a valid Paxos frame before the handshake: unauthenticated-frame', async () => {
    const socket = await connectRaw(a.port);
    await expectClosedFor(socket, 'unauthenticated-frame', () =>
      socket.send(encodeEnvelope({ v: WIRE_VERSION, kind: 'paxos', body: heartbeat(1) })),
    );
  });

  it('closes a connection whose hello names another cluster: cluster-id-mismatch', async () => {
    const socket = await connectRaw(a.port);
    const closing = closed(socket);
    await handshake(socket, { clusterId: 'another-site' }).catch(() => undefined);
    expect((await closing).reason).to.equal('cluster-id-mismatch');
    expectLoggedRejection('cluster-id-mismatch');
    await expectHonestTrafficFlows();
  });

  it('closes a connection whose hello names a node outside the cluster: unknown-node', async () => {
    const socket = await connectRaw(a.port);
    const closing = closed(socket);
    await handshake(socket, { nodeId: 'mallory' }).catch(() => undefined);
    expect((await closing).reason).to.equal('unknown-node');
    expectLoggedRejection('unknown-node');
  });

  it('closes a connection that meant to reach another node: peer-id-mismatch', async () => {
    const socket = await connectRaw(a.port);
    const closing = closed(socket);
    await handshake(socket, { peerId: 'c' }).catch(() => undefined);
    expect((await closing).reason).to.equal('peer-id-mismatch');
    expectLoggedRejection('peer-id-mismatch');
  });

  it('closes a connection whose proof was made with a wrong secret: bad-proof', async () => {
    const socket = await connectRaw(a.port);
    const closing = closed(socket);
    await handshake(socket, { secret: 'not-the-cluster-secret' });
    expect((await closing).reason).to.equal('bad-proof');
    expectLoggedRejection('bad-proof');
    await expectHonestTrafficFlows();
  });

  it('closes a connection that does not finish the handshake in time: handshake-timeout', async () => {
    const socket = await connectRaw(a.port);
    expect((await closed(socket)).reason).to.equal('handshake-timeout');
    expectLoggedRejection('handshake-timeout');
  });

  it('accepts a correct hand-made handshake, then delivers its Paxos frames as from b', async () => {
    const socket = await connectRaw(a.port);
    const inboxA = collect(a);
    const welcome = new Promise<Buffer>((resolve) => {
      let frames = 0;
      socket.on('message', (data) => {
        frames += 1;
        if (frames === 2) resolve(data as Buffer);
      });
    });
    await handshake(socket);
    await welcome;
    socket.send(encodeEnvelope({ v: WIRE_VERSION, kind: 'paxos', body: heartbeat(9) }));
    await waitUntil(() => inboxA.length === 1, 'the frame');
    expect(inboxA[0]?.from).to.equal('b');
    socket.terminate();
  });

  it('delivers every envelope of a frame that holds several, in order', async () => {
    const socket = await connectRaw(a.port);
    const inboxA = collect(a);
    const welcome = new Promise<void>((resolve) => {
      let frames = 0;
      socket.on('message', () => {
        frames += 1;
        if (frames === 2) resolve();
      });
    });
    await handshake(socket);
    await welcome;
    const frame = Buffer.concat(
      [1, 2, 3].map((round) =>
        encodeEnvelope({ v: WIRE_VERSION, kind: 'paxos', body: heartbeat(round) }),
      ),
    );
    socket.send(frame);
    await waitUntil(() => inboxA.length === 3, 'three messages');
    expect(roundsFrom(inboxA, 'b')).to.deep.equal([1, 2, 3]);
    socket.terminate();
  });

  it('refuses a whole frame when one of its envelopes is bad, delivering none of it: malformed-frame', async () => {
    const socket = await connectRaw(a.port);
    const inboxA = collect(a);
    await handshake(socket);
    await nextFrame(socket); // welcome
    const frame = Buffer.concat([
      encodeEnvelope({ v: WIRE_VERSION, kind: 'paxos', body: heartbeat(7) }),
      encodeEnvelope({ v: WIRE_VERSION, kind: 'paxos', body: heartbeat(8) }).subarray(0, 10),
    ]);
    const closing = closed(socket);
    socket.send(frame);
    expect((await closing).reason).to.equal('malformed-frame');
    expectLoggedRejection('malformed-frame');
    expect(roundsFrom(inboxA, 'b')).to.deep.equal([]);
  });

  it('sends the messages of one turn to a peer as one frame, in order', async () => {
    const inboxB = collect(b);
    const before = a.stats();
    for (const round of [11, 12, 13]) a.send('b', heartbeat(round));
    a.send('b', heartbeat(14));
    await waitUntil(() => inboxB.length === 4, 'four messages');
    expect(roundsFrom(inboxB, 'a')).to.deep.equal([11, 12, 13, 14]);
    const after = a.stats();
    expect(after.framesOut - before.framesOut).to.equal(1);
    expect(
      (after.framesOutByKind.heartbeat ?? 0) - (before.framesOutByKind.heartbeat ?? 0),
    ).to.equal(4);
  });

  it('terminates an authenticated link that stops answering pings: liveness-timeout', async () => {
    // A lone node whose member b is not running, so nothing but our raw socket speaks for b.
    const lone = new WebSocketTransport(
      {
        nodeId: 'a',
        clusterId,
        clusterSecret: secret,
        listen: { host: '127.0.0.1', port: 0 },
        peers: { b: null },
        ...fastLimits,
        pingIntervalMs: 40,
        silenceSlackMs: 20,
        livenessTimeoutMs: 200,
      },
      { logger: recordingLogger() },
    );
    await lone.start();
    try {
      const socket = new WebSocket(url(lone.port), { autoPong: false });
      await new Promise((resolve) => socket.once('open', resolve));
      const closing = closed(socket);
      await handshake(socket);
      await closing;
      expect(lone.stats().rejectionsByCode['liveness-timeout']).to.equal(1);
    } finally {
      await lone.close();
    }
  });

  it('refuses to link with a node holding another secret, both ways: bad-proof', async () => {
    const options = { clusterId, listen: { host: '127.0.0.1', port: 0 }, ...fastLimits };
    const honest = new WebSocketTransport({
      ...options,
      nodeId: 'x',
      clusterSecret: secret,
      peers: { y: null },
    });
    await honest.start();
    const impostor = new WebSocketTransport({
      ...options,
      nodeId: 'y',
      clusterSecret: 'another-secret-0123456789',
      peers: { x: url(honest.port) },
    });
    await impostor.start();
    honest.setPeerUrl('y', url(impostor.port));
    const inbox = collect(honest);
    impostor.onPeerChange(() => impostor.send('x', heartbeat(666)));
    try {
      // Each refuses the other's challenge as the dialer; as the listener, neither ever sees a proof.
      await waitUntil(
        () => (impostor.stats().rejectionsByCode['bad-proof'] ?? 0) >= 1,
        'the impostor to refuse x',
      );
      await waitUntil(
        () => (honest.stats().rejectionsByCode['bad-proof'] ?? 0) >= 1,
        'x to refuse the impostor',
      );
      expect(honest.peers()[0]?.state).to.not.equal('connected');
      expect(impostor.peers()[0]?.state).to.not.equal('connected');
      expect(inbox).to.have.length(0);
      await expectHonestTrafficFlows();
    } finally {
      await Promise.all([impostor.close(), honest.close()]);
    }
  });

  it('refuses bad options at construction, one sentence per rule', () => {
    expect(
      () =>
        new WebSocketTransport({
          nodeId: 'a',
          clusterId: '',
          clusterSecret: 'short',
          listen: { host: '127.0.0.1', port: 0 },
          peers: { a: 'http://x', b: 'ws://127.0.0.1:1' },
          reconnectDelayMinMs: 10_000,
          reconnectDelayMaxMs: 100,
        }),
    ).to.throw(
      /invalid-options.*clusterId.*clusterSecret.*must not include this node.*ws:\/\/.*reconnectDelayMinMs/,
    );
  });
});

// Compile-time check that the class satisfies the interface used by the process layer.
const _check: (transport: WebSocketTransport) => Transport = (transport) => transport;
void _check;

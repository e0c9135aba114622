import { expect } from 'chai';
import type { NodeId } from '@evpaxos/wire';
import { WebSocketTransport } from '../src';
import type { WebSocketTransportOptions } from '../src/options';
import { collect, heartbeat, recordingLogger, roundsFrom, waitUntil } from './helpers';

const secret = 'test-secret-0123456789abcdef';
const url = (port: number) => `ws://127.0.0.1:${port}`;

/**
 * A central `c` and two charge points `x` and `y` that dial each other only on demand, as the
 * runtime links a site (docs/PROTOCOL-WIRE.md, "Links on demand").
 */
async function startSite(): Promise<{
  node: (id: NodeId) => WebSocketTransport;
  logger: (id: NodeId) => ReturnType<typeof recordingLogger>;
  close: () => Promise<void>;
}> {
  const ids = ['c', 'x', 'y'];
  const nodes = new Map<NodeId, WebSocketTransport>();
  const loggers = new Map<NodeId, ReturnType<typeof recordingLogger>>();
  for (const id of ids) {
    const others = ids.filter((other) => other !== id);
    const options: WebSocketTransportOptions = {
      nodeId: id,
      clusterId: 'site-test',
      clusterSecret: secret,
      listen: { host: '127.0.0.1', port: 0 },
      peers: Object.fromEntries(others.map((other) => [other, null])),
      dialOnDemand: id === 'c' ? [] : others.filter((other) => other !== 'c'),
      reconnectDelayMinMs: 10,
      reconnectDelayMaxMs: 100,
    };
    const logger = recordingLogger();
    const transport = new WebSocketTransport(options, { logger });
    await transport.start();
    nodes.set(id, transport);
    loggers.set(id, logger);
  }
  // Port 0 everywhere: each node learns the others' addresses once they listen.
  for (const id of ids)
    for (const other of ids)
      if (other !== id) nodes.get(id)!.setPeerUrl(other, url(nodes.get(other)!.port));
  return {
    node: (id) => nodes.get(id)!,
    logger: (id) => loggers.get(id)!,
    close: async () => {
      await Promise.all([...nodes.values()].map((transport) => transport.close()));
    },
  };
}

const stateOf = (transport: WebSocketTransport, peer: NodeId) =>
  transport.peers().find((status) => status.id === peer)?.state;

const inboundFrom = (logger: ReturnType<typeof recordingLogger>, peer: NodeId) =>
  logger.entries.filter(
    (entry) =>
      entry.message === 'transport: inbound link authenticated' && entry.meta?.peer === peer,
  ).length;

describe('WebSocketTransport: links on demand', () => {
  let site: Awaited<ReturnType<typeof startSite>>;
  beforeEach(async () => {
    site = await startSite();
  });
  afterEach(async () => {
    await site.close();
  });

  it('links the charge points to the central at start, and not to each other', async () => {
    const [c, x, y] = ['c', 'x', 'y'].map(site.node);
    await waitUntil(
      () =>
        stateOf(c!, 'x') === 'connected' &&
        stateOf(c!, 'y') === 'connected' &&
        stateOf(x!, 'c') === 'connected' &&
        stateOf(y!, 'c') === 'connected',
      'the central and both charge points linked',
    );
    // A round trip more: a link the charge points made to each other would be up by now.
    const inboxY = collect(y!);
    c!.send('y', heartbeat(1));
    await waitUntil(() => inboxY.length === 1, 'a message through the central link');
    expect(x!.peers().map((status) => status.id)).to.deep.equal(['c']);
    expect(y!.peers().map((status) => status.id)).to.deep.equal(['c']);
    expect(inboundFrom(site.logger('x'), 'y')).to.equal(0);
    expect(inboundFrom(site.logger('y'), 'x')).to.equal(0);
  });

  it('dials a peer at the first send, delivers what was sent meanwhile in order, and is not dialled back', async () => {
    const [x, y] = ['x', 'y'].map(site.node);
    const inboxY = collect(y!);
    const inboxX = collect(x!);
    // Sent while no link exists: held, then sent in order once the link opens.
    x!.send('y', heartbeat(1));
    x!.send('y', heartbeat(2));
    await waitUntil(() => inboxY.length === 2, 'both held messages at y');
    expect(roundsFrom(inboxY, 'x')).to.deep.equal([1, 2]);
    expect(stateOf(x!, 'y')).to.equal('connected');
    expect(x!.stats().dropsByReason['peer-down'] ?? 0).to.equal(0);
    // y answers: its own link to x is dialled for the answer, which arrives.
    expect(stateOf(y!, 'x')).to.equal(undefined);
    y!.send('x', heartbeat(3));
    await waitUntil(() => inboxX.length === 1, 'the answer at x');
    expect(roundsFrom(inboxX, 'y')).to.deep.equal([3]);
    expect(stateOf(y!, 'x')).to.equal('connected');
  });

  it('drops and counts what it held for a peer whose dial fails', async () => {
    const [x, y] = ['x', 'y'].map(site.node);
    await y!.close();
    x!.send('y', heartbeat(1));
    x!.send('y', heartbeat(2));
    await waitUntil(
      () => (x!.stats().dropsByReason['peer-down'] ?? 0) === 2,
      'both held messages dropped',
    );
    expect(stateOf(x!, 'y')).to.be.oneOf(['down', 'connecting']);
  });

  it('refuses an on-demand peer that is not a peer', () => {
    expect(
      () =>
        new WebSocketTransport({
          nodeId: 'x',
          clusterId: 'site-test',
          clusterSecret: secret,
          listen: { host: '127.0.0.1', port: 0 },
          peers: { c: null },
          dialOnDemand: ['z'],
        }),
    ).to.throw(/dialOnDemand names z, which is not in peers/);
  });
});

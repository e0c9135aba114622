import { expect } from 'chai';
import type { NodeId } from '@evpaxos/wire';
import type { Transport } from '../src';
import { collect, heartbeat, roundsFrom, waitUntil, type Received } from './helpers';

/** A started cluster of transports, one per id, built by the implementation under test. */
export interface TestCluster {
  node(id: NodeId): Transport;
  /** Closes the node and starts a new transport with the same id and address. */
  restart(id: NodeId): Promise<Transport>;
  close(): Promise<void>;
}

export type ClusterFactory = (ids: readonly NodeId[]) => Promise<TestCluster>;

function fullyConnected(transports: readonly Transport[]): boolean {
  return transports.every((transport) =>
    transport.peers().every((peer) => peer.state === 'connected'),
  );
}

/**
 * The behaviour every Transport must have (libp2p-style compliance suite): run against the
 * in-memory twin and the WebSocket mesh alike.
 */
export function describeTransportCompliance(name: string, createCluster: ClusterFactory): void {
  describe(`${name}: Transport compliance`, () => {
    const ids = ['a', 'b', 'c'] as const;
    let cluster: TestCluster;
    let a: Transport;
    let b: Transport;
    let c: Transport;

    beforeEach(async () => {
      cluster = await createCluster(ids);
      [a, b, c] = ids.map((id) => cluster.node(id)) as [Transport, Transport, Transport];
      await waitUntil(() => fullyConnected([a, b, c]), 'a full mesh');
    });

    afterEach(async () => {
      await cluster.close();
    });

    it('delivers a message between every pair of 3 nodes, naming the sender', async () => {
      const inboxes = new Map([a, b, c].map((transport) => [transport.nodeId, collect(transport)]));
      for (const from of [a, b, c]) {
        for (const to of [a, b, c])
          if (from !== to) from.send(to.nodeId, heartbeat(1, from.nodeId));
      }
      await waitUntil(
        () => [...inboxes.values()].every((inbox) => inbox.length === 2),
        'six deliveries',
      );
      for (const [id, inbox] of inboxes) {
        expect(inbox.map((entry) => entry.from).sort()).to.deep.equal(
          ids.filter((other) => other !== id),
        );
        for (const entry of inbox) expect(entry.message).to.deep.equal(heartbeat(1, entry.from));
      }
    });

    it('keeps the order of messages on one link', async () => {
      const inbox = collect(b);
      for (let round = 0; round < 200; round += 1) a.send('b', heartbeat(round));
      await waitUntil(() => inbox.length === 200, '200 deliveries');
      expect(roundsFrom(inbox, 'a')).to.deep.equal(
        Array.from({ length: 200 }, (_, round) => round),
      );
    });

    it('delivers asynchronously, never inside send', async () => {
      const inbox = collect(b);
      const self = collect(a);
      a.send('b', heartbeat(1));
      a.send('a', heartbeat(2));
      expect(inbox).to.have.length(0);
      expect(self).to.have.length(0);
      await waitUntil(() => inbox.length === 1 && self.length === 1, 'delivery and loopback');
      expect(self[0]).to.deep.equal({ from: 'a', message: heartbeat(2) });
    });

    it('broadcasts to every peer once', async () => {
      const inboxB = collect(b);
      const inboxC = collect(c);
      const inboxA = collect(a);
      a.broadcast(heartbeat(7));
      await waitUntil(() => inboxB.length === 1 && inboxC.length === 1, 'broadcast deliveries');
      expect(inboxA).to.have.length(0);
    });

    it('throws on a send to a node that is not a member', () => {
      expect(() => a.send('zz', heartbeat(1))).to.throw(/unknown-peer/);
    });

    it('drops sends to a peer that is down, without throwing', async () => {
      await cluster.node('c').close();
      await waitUntil(
        () => a.peers().find((peer) => peer.id === 'c')?.state !== 'connected',
        'c seen down',
      );
      a.send('c', heartbeat(1));
      expect(a.stats().dropsByReason['peer-down']).to.be.greaterThan(0);
    });

    it('reconnects after a peer restarts, both ways', async () => {
      const restarted = await cluster.restart('c');
      const inboxC = collect(restarted);
      const inboxA = collect(a);
      // Like Paxos: retransmit until a message gets through.
      await waitUntil(() => {
        a.send('c', heartbeat(1));
        restarted.send('a', heartbeat(2));
        return inboxC.length > 0 && inboxA.length > 0;
      }, 'traffic through the restarted node');
      await waitUntil(() => fullyConnected([a, b, restarted]), 'the mesh to heal');
    });

    it('reports peer changes when a peer goes down', async () => {
      const changes: string[] = [];
      a.onPeerChange((status) => changes.push(`${status.id}:${status.state}`));
      await c.close();
      await waitUntil(() => changes.includes('c:down'), 'a to see c down');
      const status = a.peers().find((peer) => peer.id === 'c');
      expect(status?.lastSeenMs).to.be.a('number');
    });

    describe('fault rules', () => {
      it("drops one way only: a's messages to b are lost, b's to a arrive", async () => {
        const inboxA = collect(a);
        const inboxB = collect(b);
        a.setFaultRules([{ peer: 'b', direction: 'out', action: 'drop' }]);
        a.send('b', heartbeat(1));
        b.send('a', heartbeat(2));
        await waitUntil(() => inboxA.length === 1, 'b to a');
        a.clearFaultRules();
        a.send('b', heartbeat(3));
        await waitUntil(() => inboxB.length === 1, 'a to b after healing');
        // Order per link: had heartbeat 1 gone out, it would have arrived before 3.
        expect(roundsFrom(inboxB, 'a')).to.deep.equal([3]);
        expect(a.stats().dropsByReason['fault-rule']).to.equal(1);
      });

      it("drops incoming messages with direction 'in'", async () => {
        const inboxB = collect(b);
        b.setFaultRules([{ peer: 'a', direction: 'in', action: 'drop' }]);
        a.send('b', heartbeat(1));
        await waitUntil(() => b.stats().dropsByReason['fault-rule'] === 1, 'b to drop it');
        b.clearFaultRules();
        a.send('b', heartbeat(2));
        await waitUntil(() => inboxB.length === 1, 'delivery after healing');
        expect(roundsFrom(inboxB, 'a')).to.deep.equal([2]);
      });

      it('partitions a pair both ways while others still talk, and heals', async () => {
        const inboxA = collect(a);
        const inboxB = collect(b);
        const inboxC = collect(c);
        a.setFaultRules([{ peer: 'b', direction: 'both', action: 'drop' }]);
        a.send('b', heartbeat(1));
        b.send('a', heartbeat(2));
        a.send('c', heartbeat(3));
        await waitUntil(
          () => inboxC.length === 1 && a.stats().dropsByReason['fault-rule'] === 2,
          'the partition to bite',
        );
        a.clearFaultRules();
        a.send('b', heartbeat(4));
        b.send('a', heartbeat(5));
        await waitUntil(() => inboxA.length === 1 && inboxB.length === 1, 'traffic after healing');
        expect(roundsFrom(inboxB, 'a')).to.deep.equal([4]);
        expect(roundsFrom(inboxA, 'b')).to.deep.equal([5]);
      });

      it("applies a '*' rule to every peer", async () => {
        const inboxB = collect(b);
        a.setFaultRules([{ peer: '*', direction: 'out', action: 'drop' }]);
        a.broadcast(heartbeat(1));
        expect(a.stats().dropsByReason['fault-rule']).to.equal(2);
        a.clearFaultRules();
        a.send('b', heartbeat(2));
        await waitUntil(() => inboxB.length === 1, 'delivery after healing');
        expect(roundsFrom(inboxB, 'a')).to.deep.equal([2]);
      });

      it('duplicates a message', async () => {
        const inboxB = collect(b);
        a.setFaultRules([{ peer: 'b', direction: 'out', action: 'duplicate' }]);
        a.send('b', heartbeat(1));
        await waitUntil(() => inboxB.length === 2, 'two copies');
        expect(roundsFrom(inboxB, 'a')).to.deep.equal([1, 1]);
      });

      it('delays a message so that a later one overtakes it', async () => {
        const inboxB: Received[] = collect(b);
        a.setFaultRules([{ peer: 'b', direction: 'out', action: 'delay', delayMs: 50 }]);
        const sentMs = Date.now();
        a.send('b', heartbeat(1));
        a.clearFaultRules();
        a.send('b', heartbeat(2));
        await waitUntil(() => inboxB.length === 2, 'both messages');
        expect(roundsFrom(inboxB, 'a')).to.deep.equal([2, 1]);
        expect(Date.now() - sentMs).to.be.at.least(45);
      });

      it('never applies a rule with probability 0', async () => {
        const inboxB = collect(b);
        a.setFaultRules([{ peer: 'b', direction: 'out', action: 'drop', probability: 0 }]);
        a.send('b', heartbeat(1));
        await waitUntil(() => inboxB.length === 1, 'delivery');
      });

      it('refuses a rule it cannot apply', () => {
        expect(() => a.setFaultRules([{ peer: 'b', direction: 'out', action: 'delay' }])).to.throw(
          /invalid-fault-rule/,
        );
        expect(() =>
          a.setFaultRules([{ peer: 'b', direction: 'out', action: 'drop', probability: 2 }]),
        ).to.throw(/invalid-fault-rule/);
      });
    });

    describe('#close', () => {
      it('is idempotent, and sends after it are dropped silently', async () => {
        const first = a.close();
        const second = a.close();
        expect(second).to.equal(first);
        await Promise.all([first, second]);
        await a.close();
        expect(() => a.send('b', heartbeat(1))).to.not.throw();
        expect(a.peers().every((peer) => peer.state !== 'connected')).to.equal(true);
      });

      it('calls no handler after close', async () => {
        const inboxB = collect(b);
        a.send('b', heartbeat(1));
        await b.close();
        await new Promise((resolve) => setImmediate(resolve));
        expect(inboxB).to.have.length(0);
      });
    });
  });
}

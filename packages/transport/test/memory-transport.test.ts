import { expect } from 'chai';
import type { NodeId } from '@evpaxos/wire';
import { MemoryNetwork, MemoryTransport } from '../src/memory-transport';
import { describeTransportCompliance, type TestCluster } from './compliance';
import { collect, heartbeat, waitUntil } from './helpers';

async function createMemoryCluster(ids: readonly NodeId[]): Promise<TestCluster> {
  const network = new MemoryNetwork();
  const nodes = new Map<NodeId, MemoryTransport>();
  const startNode = async (id: NodeId) => {
    const transport = new MemoryTransport({ nodeId: id, peers: ids }, { network });
    await transport.start();
    nodes.set(id, transport);
    return transport;
  };
  for (const id of ids) await startNode(id);
  return {
    node: (id) => nodes.get(id) as MemoryTransport,
    restart: async (id) => {
      await nodes.get(id)?.close();
      return startNode(id);
    },
    close: async () => {
      await Promise.all([...nodes.values()].map((transport) => transport.close()));
    },
  };
}

describeTransportCompliance('MemoryTransport', createMemoryCluster);

describe('MemoryTransport', () => {
  it('refuses a second node with the same id on one network', async () => {
    const network = new MemoryNetwork();
    await new MemoryTransport({ nodeId: 'a', peers: ['b'] }, { network }).start();
    try {
      await new MemoryTransport({ nodeId: 'a', peers: ['b'] }, { network }).start();
      expect.fail('started twice');
    } catch (error) {
      expect(String(error)).to.match(/already-started/);
    }
  });

  it('gives the receiver a copy, not the sender’s object', async () => {
    const network = new MemoryNetwork();
    const a = new MemoryTransport({ nodeId: 'a', peers: ['b'] }, { network });
    const b = new MemoryTransport({ nodeId: 'b', peers: ['a'] }, { network });
    await Promise.all([a.start(), b.start()]);
    const inbox = collect(b);
    const message = heartbeat(1);
    a.send('b', message);
    await waitUntil(() => inbox.length === 1, 'delivery');
    expect(inbox[0]?.message).to.deep.equal(message);
    expect(inbox[0]?.message).to.not.equal(message);
    expect(b.stats().framesInByKind.heartbeat).to.equal(1);
  });
});

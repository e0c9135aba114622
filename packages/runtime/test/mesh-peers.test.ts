import { expect } from 'chai';
import { resolveProcessConfig } from '../src/config';
import { meshPeers } from '../src/mesh-peers';

const cluster = {
  clusterId: 'evpaxos-test',
  secret: 'ab'.repeat(32),
  nodes: [
    { id: 'central-a', role: 'central', host: '127.0.0.1', clusterPort: 7000, httpPort: 7100 },
    { id: 'central-b', role: 'central', host: '127.0.0.1', clusterPort: 7001, httpPort: 7101 },
    { id: 'cp1', role: 'charge-point', host: '127.0.0.1', clusterPort: 7002, httpPort: 7102 },
    { id: 'cp2', role: 'charge-point', host: '10.0.0.3', clusterPort: 7003, httpPort: 7103 },
    { id: 'cp3', role: 'charge-point', host: '127.0.0.1', clusterPort: 7004, httpPort: 7104 },
  ],
  acceptors: ['cp1', 'cp2'],
};

function configOf(id: string, role: 'central' | 'charge-point') {
  return resolveProcessConfig({
    role,
    env: {},
    readFile: () => JSON.stringify(cluster),
    flags: {
      id,
      clusterFile: 'cluster.json',
      ...(role === 'charge-point' ? { dataDir: 'd' } : {}),
    },
  });
}

describe('meshPeers: whom a node links to (docs/PROTOCOL-WIRE.md, "Links on demand")', () => {
  it('a central dials every other node at start', () => {
    const { peers, dialOnDemand } = meshPeers(configOf('central-a', 'central'));
    expect(peers).to.deep.equal({
      'central-b': 'ws://127.0.0.1:7001',
      cp1: 'ws://127.0.0.1:7002',
      cp2: 'ws://10.0.0.3:7003',
      cp3: 'ws://127.0.0.1:7004',
    });
    expect(dialOnDemand).to.deep.equal([]);
  });

  it('a charge point, acceptor or learner, dials the centrals at start and the other charge points on demand', () => {
    for (const id of ['cp1', 'cp3']) {
      const { peers, dialOnDemand } = meshPeers(configOf(id, 'charge-point'));
      const others = ['cp1', 'cp2', 'cp3'].filter((other) => other !== id);
      expect(Object.keys(peers)).to.have.members(['central-a', 'central-b', ...others]);
      expect(dialOnDemand).to.deep.equal(others);
    }
  });
});

// A transport in a process of its own, for tests that stop it (SIGSTOP) as a stalled peer:
// argv: nodeId peerId peerUrl limitsJson. Prints its port once listening; SIGTERM closes it.
import { WebSocketTransport } from '../src';

const [nodeId = 'b', peerId = 'a', peerUrl = '', limitsJson = '{}'] = process.argv.slice(2);
const transport = new WebSocketTransport({
  nodeId,
  clusterId: 'site-test',
  clusterSecret: 'test-secret-0123456789abcdef',
  listen: { host: '127.0.0.1', port: 0 },
  peers: { [peerId]: peerUrl },
  ...(JSON.parse(limitsJson) as object),
});
void transport.start().then(() => process.stdout.write(`${transport.port}\n`));
process.on('SIGTERM', () => void transport.close().then(() => process.exit(0)));

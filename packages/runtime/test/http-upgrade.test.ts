import { expect } from 'chai';
import * as net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterNode } from '../src/cluster-node';
import { HttpApi } from '../src/http-api';
import { silentLogger, type Logger } from '../src/logger';

/**
 * An upgrade the HTTP API answers by hand (404 on a charge point, 401 without a token) and whose
 * client then resets the connection. Node hands an upgraded socket over without its own 'error'
 * listener: unguarded, the reset was an uncaught ECONNRESET that killed the node (a charge point,
 * and its vote, in a partition test; docs/CLUSTER.md, "HTTP API").
 */

/** What HttpApi reads of its node for an upgrade: the config's API secret and the role. */
function fakeNode(isCentral: boolean): ClusterNode {
  return {
    isCentral,
    config: {
      secret: 'b'.repeat(64),
      clusterId: 'upgrade-test',
      nodes: [],
      listenHost: '127.0.0.1',
      httpBodyBytesMax: 1024 * 1024,
    },
  } as unknown as ClusterNode;
}

function recordingLogger(): { logger: Logger; debugs: string[] } {
  const debugs: string[] = [];
  return { logger: { ...silentLogger, debug: (message) => debugs.push(message) }, debugs };
}

/** Sends an upgrade to `path`, reads the status line of the answer, then resets (RST, no FIN). */
function upgradeThenReset(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\n` +
          'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
    });
    socket.once('data', (data: Buffer) => {
      socket.resetAndDestroy();
      resolve(data.toString('latin1').split('\r\n')[0] ?? '');
    });
    socket.once('error', reject);
  });
}

async function waitForDebug(debugs: string[], message: string, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (debugs.filter((line) => line === message).length < count) {
    if (Date.now() > deadline) throw new Error(`${count} "${message}" lines not logged in 10 s`);
    await sleep(10);
  }
}

describe('HTTP API: an upgrade reset by its client', function () {
  this.timeout(20_000);

  for (const [role, isCentral, path, status] of [
    ['charge point', false, '/client', '404'],
    ['charge point', false, '/no-such-path', '404'],
    ['central', true, '/client', '401'],
  ] as const) {
    it(`${role}: ${path} answered ${status}, then reset: logged at debug, the node serves on`, async () => {
      const { logger, debugs } = recordingLogger();
      const api = new HttpApi(fakeNode(isCentral), logger);
      const port = await api.listen('127.0.0.1', 0);
      try {
        for (let attempt = 1; attempt <= 3; attempt += 1) {
          expect(await upgradeThenReset(port, path)).to.contain(status);
          // The reset reaches the server's socket: without a listener, an uncaught ECONNRESET.
          await waitForDebug(debugs, 'http: upgrade socket error', attempt);
        }
      } finally {
        await api.close();
      }
    });
  }
});

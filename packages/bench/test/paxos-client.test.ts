import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WebSocketServer } from 'ws';
import { clusterUp, type ClusterHandle } from '@evpaxos/cli';
import { clientPackr } from '@evpaxos/runtime';
import { ConnectionLost, PaxosClient, type ClientReply } from '../src/paxos-client';

/** A /client server that answers like a central of one protocol version, and records frames. */
async function fakeCentral(versionHeader: string | undefined) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  const frames: unknown[] = [];
  const urls: string[] = [];
  if (versionHeader !== undefined) {
    server.on('headers', (headers) => headers.push(`x-evpaxos-client-version: ${versionHeader}`));
  }
  server.on('connection', (socket, request) => {
    urls.push(request.url ?? '');
    socket.on('message', (data: Buffer) => {
      const frame = clientPackr.unpack(data) as unknown;
      frames.push(frame);
      const requests = (Array.isArray(frame) ? frame : [frame]) as unknown[];
      const answers = requests.map((request) =>
        Array.isArray(request)
          ? [request[0], 7, [1, 'central-a'], null, false]
          : {
              type: 'result',
              requestId: (request as { requestId: number }).requestId,
              slot: 7,
              duplicate: false,
            },
      );
      socket.send(
        clientPackr.pack(answers.length === 1 && !Array.isArray(frame) ? answers[0] : answers),
      );
    });
  });
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}/client`, frames, urls, close: () => server.close() };
}

describe('PaxosClient (the bench client of /client)', function () {
  this.timeout(120_000);

  it('asks for version 2 and, when the central confirms it, sends and reads positional arrays', async () => {
    const central = await fakeCentral('2');
    const client = await PaxosClient.connect(central.url);
    try {
      expect(client.version).to.equal(2);
      const replies = await Promise.all([
        client.submit('lane-0', 1, 'a'),
        client.submit('lane-1', 1, 'b'),
      ]);
      expect(central.urls).to.deep.equal(['/client?version=2']);
      expect(central.frames).to.deep.equal([
        [
          [1, 'lane-0', 1, 'a'],
          [2, 'lane-1', 1, 'b'],
        ],
      ]);
      expect(replies).to.deep.equal([
        { type: 'result', requestId: 1, slot: 7, duplicate: false },
        { type: 'result', requestId: 2, slot: 7, duplicate: false },
      ]);
    } finally {
      client.close();
      central.close();
    }
  });

  it('speaks version 1 (maps) to a central that does not confirm version 2', async () => {
    const central = await fakeCentral(undefined);
    const client = await PaxosClient.connect(central.url);
    try {
      expect(client.version).to.equal(1);
      const reply = await client.submit('lane-0', 1, 'a');
      expect(central.frames).to.deep.equal([
        { type: 'submit', requestId: 1, clientId: 'lane-0', seq: 1, payload: 'a' },
      ]);
      expect(reply).to.deep.equal({ type: 'result', requestId: 1, slot: 7, duplicate: false });
    } finally {
      client.close();
      central.close();
    }
  });

  describe('against a real central', () => {
    let dir: string;
    let cluster: ClusterHandle | undefined;

    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paxos-client-test-'));
      cluster = await clusterUp({ dir, centrals: 1, chargePoints: 3, basePort: 0 });
    });

    after(async () => {
      await cluster?.down();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('negotiates version 2 and gets every pipelined command applied once, a retry as a duplicate', async () => {
      const handle = cluster as ClusterHandle;
      const { leaderId } = await handle.waitForLeader(60_000);
      const leader = handle.node(leaderId);
      const client = await PaxosClient.connect(
        `ws://${leader.host}:${leader.httpPort}/client`,
        10_000,
        true,
        handle.apiToken,
      );
      try {
        expect(client.version).to.equal(2);
        const payload = { type: 'StopSession', atMs: 0, transactionId: 'test', value: 'v' };
        const replies = await Promise.all(
          Array.from({ length: 50 }, (_, lane) => client.submit(`lane-${lane}`, 1, payload)),
        );
        for (const reply of replies) {
          expect(reply).to.include({ type: 'result', duplicate: false });
          expect((reply as { slot: number }).slot).to.be.a('number');
        }
        // A malformed command is refused before it takes a slot: an error map in version 2 too.
        const refused = (await client.submit('lane-x', 1, { type: 'StopSession' })) as ClientReply;
        expect(refused).to.include({ type: 'error', code: 'invalid-command' });
        const retried = await client.submit('lane-0', 1, payload);
        expect(retried).to.not.be.instanceOf(ConnectionLost);
        expect(retried).to.include({ type: 'result', duplicate: true });
      } finally {
        client.close();
      }
    });
  });
});

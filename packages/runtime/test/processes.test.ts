import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pack, unpack } from 'msgpackr';
import { WebSocket } from 'ws';

const cliPath = path.resolve(__dirname, '../../../cli/bin/evpaxos.js');

/** Free ports, found by binding port 0 (all held open together, so they differ). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // Not up yet.
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Member {
  id: string;
  role: 'central' | 'charge-point';
  host: string;
  clusterPort: number;
  httpPort: number;
}

describe('node processes: 1 central + 3 charge points (real sockets, separate processes)', function () {
  this.timeout(20_000);
  let dir: string;
  let members: Member[];
  const children: ChildProcess[] = [];
  const output = new Map<string, string>();

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'evpaxos-runtime-'));
    const ports = await freePorts(8);
    const ids: [string, Member['role']][] = [
      ['central-a', 'central'],
      ['cp1', 'charge-point'],
      ['cp2', 'charge-point'],
      ['cp3', 'charge-point'],
    ];
    members = ids.map(([id, role], index) => ({
      id,
      role,
      host: '127.0.0.1',
      clusterPort: ports[2 * index] as number,
      httpPort: ports[2 * index + 1] as number,
    }));
    const clusterFile = path.join(dir, 'cluster.json');
    writeFileSync(
      clusterFile,
      JSON.stringify({ clusterId: 'runtime-test', secret: 'ab'.repeat(32), nodes: members }),
    );
    for (const member of members) {
      const args = [cliPath, member.role, '--id', member.id, '--cluster-file', clusterFile];
      if (member.role === 'charge-point') {
        args.push('--data-dir', path.join(dir, member.id), '--unsafe-no-fsync');
      }
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      output.set(member.id, '');
      const collect = (chunk: Buffer) =>
        output.set(member.id, (output.get(member.id) ?? '') + chunk.toString());
      child.stdout?.on('data', collect);
      child.stderr?.on('data', collect);
      children.push(child);
    }
  });

  after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const url = (id: string, route: string) => {
    const member = members.find((candidate) => candidate.id === id) as Member;
    return `http://127.0.0.1:${member.httpPort}${route}`;
  };

  it('elects the central as leader and commits a submitted command on every node', async () => {
    await waitFor(
      'a leader',
      async () => {
        const status = (await (await fetch(url('central-a', '/status'))).json()) as {
          paxos: { proposerState: string };
        };
        return status.paxos.proposerState === 'leader' ? true : undefined;
      },
      10_000,
    );
    const response = await fetch(url('central-a', '/submit'), {
      method: 'POST',
      body: JSON.stringify({ payload: { reserve: 'cp1' }, clientId: 'test-client', seq: 1 }),
    });
    expect(response.status).to.equal(200);
    const answer = (await response.json()) as { slot: number; duplicate: boolean };
    expect(answer.slot).to.be.a('number');
    expect(answer.duplicate).to.equal(false);

    for (const member of members) {
      const entry = await waitFor(
        `slot ${answer.slot} at ${member.id}`,
        async () => {
          const log = (await (await fetch(url(member.id, `/log?from=${answer.slot}`))).json()) as {
            entries: {
              slot: number;
              commands: { clientId: string; seq: number; payload: unknown }[];
            }[];
          };
          return log.entries.find((candidate) => candidate.slot === answer.slot);
        },
        5_000,
      );
      expect(entry.commands).to.deep.equal([
        { clientId: 'test-client', seq: 1, payload: { reserve: 'cp1' }, duplicate: false },
      ]);
    }
  });

  it('answers garbage JSON with 400 and keeps serving', async () => {
    const response = await fetch(url('central-a', '/submit'), { method: 'POST', body: '{nope' });
    expect(response.status).to.equal(400);
    expect(((await response.json()) as { error: string }).error).to.equal('invalid-request');
    const status = await fetch(url('central-a', '/status'));
    expect(status.status).to.equal(200);
  });

  it('refuses submits at a charge point with 404 and a reason', async () => {
    const response = await fetch(url('cp1', '/submit'), {
      method: 'POST',
      body: JSON.stringify({ payload: 1 }),
    });
    expect(response.status).to.equal(404);
    expect(((await response.json()) as { reason: string }).reason).to.be.a('string');
  });

  it('answers pipelined /client WebSocket submits by requestId, and bad frames with invalid-request', async () => {
    const member = members[0] as Member;
    const socket = new WebSocket(`ws://127.0.0.1:${member.httpPort}/client`);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const answers: Record<string, unknown>[] = [];
    const allIn = new Promise<void>((resolve) => {
      socket.on('message', (data: Buffer) => {
        answers.push(unpack(data) as Record<string, unknown>);
        if (answers.length === 3) resolve();
      });
    });
    socket.send(
      pack({ type: 'submit', requestId: 1, clientId: 'ws-client', seq: 1, payload: 'a' }),
    );
    socket.send(
      pack({ type: 'submit', requestId: 2, clientId: 'ws-client', seq: 2, payload: 'b' }),
    );
    socket.send(
      pack({ type: 'submit', requestId: 3, clientId: 'ws-client', seq: 0, payload: 'c' }),
    );
    await allIn;
    socket.close();
    const byId = new Map(answers.map((answer) => [answer.requestId, answer]));
    expect(byId.get(1)).to.include({ type: 'result', duplicate: false });
    expect(byId.get(2)).to.include({ type: 'result', duplicate: false });
    // Commands that arrive in one turn of the event loop share a slot (batching): in order, not
    // necessarily in different slots.
    expect((byId.get(2) as { slot: number }).slot).to.be.at.least(
      (byId.get(1) as { slot: number }).slot,
    );
    expect(byId.get(3)).to.include({ type: 'error', code: 'invalid-request' });
  });

  it('closes every process cleanly on SIGTERM (exit 0)', async () => {
    const exits = children.map(
      (child) =>
        new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
    );
    for (const child of children) child.kill('SIGTERM');
    const codes = await Promise.all(exits);
    expect(codes).to.deep.equal([0, 0, 0, 0]);
    for (const member of members) expect(output.get(member.id)).to.include('"message":"ready"');
  });
});

import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pack, unpack } from 'msgpackr';
import { WebSocket } from 'ws';
import { apiAuthHeaders, apiToken } from '../src/api-auth';
import { clientFrameRequestsMax } from '../src/constants';

/** The test cluster's API token, and the headers of an authenticated JSON request. */
const token = apiToken('ab'.repeat(32), 'runtime-test');
const authJson = { 'content-type': 'application/json', ...apiAuthHeaders(token) };

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

type Answer = Record<string, unknown>;

/** Sends raw request lines (a Host header fetch would not let us set) and reads the answer. */
function rawRequest(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(lines.join('\r\n')));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

/**
 * A /client connection for tests: sends frames as they are given, and collects answers from every
 * answer frame (one map, or an array of maps).
 */
class ClientSocket {
  /** Answer frames as received, each a map or an array. */
  readonly frames: unknown[] = [];
  readonly answers: Answer[] = [];
  private waiting: { count: number; resolve: () => void } | null = null;

  private constructor(
    private readonly socket: WebSocket,
    /** The upgrade response's x-evpaxos-client-version header (undefined: none). */
    readonly version: string | undefined,
  ) {
    socket.on('message', (data: Buffer) => {
      const frame = unpack(data) as Answer | Answer[];
      this.frames.push(frame);
      this.answers.push(...(Array.isArray(frame) ? frame : [frame]));
      if (this.waiting && this.answers.length >= this.waiting.count) this.waiting.resolve();
    });
  }

  static async open(port: number, query = ''): Promise<ClientSocket> {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/client${query}`, {
      headers: apiAuthHeaders(token),
    });
    let version: string | undefined;
    socket.once('upgrade', (response) => {
      version = response.headers['x-evpaxos-client-version'] as string | undefined;
    });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new ClientSocket(socket, version);
  }

  send(frame: unknown): void {
    this.socket.send(pack(frame));
  }

  /** Resolves with every answer of the connection so far, once there are at least `count`. */
  async answersUntil(count: number): Promise<Answer[]> {
    if (this.answers.length < count) {
      await new Promise<void>((resolve) => (this.waiting = { count, resolve }));
      this.waiting = null;
    }
    return this.answers;
  }

  close(): void {
    this.socket.close();
  }
}

/** A /client submit request map. */
function submitRequest(requestId: number, clientId: string, seq: number, payload: unknown) {
  return { type: 'submit', requestId, clientId, seq, payload };
}

interface Member {
  id: string;
  role: 'central' | 'charge-point';
  host: string;
  clusterPort: number;
  httpPort: number;
}

describe('node processes: 1 central + 3 charge points (real sockets, separate processes)', function () {
  this.timeout(120_000);
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

  /** A node's JSON log lines so far. */
  const linesOf = (id: string) =>
    (output.get(id) ?? '')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

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
      // Starting four node processes takes over 10 s on a loaded 2-core host.
      90_000,
    );
    const response = await fetch(url('central-a', '/submit'), {
      method: 'POST',
      headers: authJson,
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

  it('commits large commands submitted together on every charge point', async () => {
    // Eight ~600 kB payloads at once, through HTTP, Accepts, the acceptor logs and commit notices.
    // (That a slot closes at valueBytesMax estimated bytes is the proposer's unit test: here the
    // bodies arrive over several turns, so whether they would have shared a slot is up to timing.)
    const payload = 'p'.repeat(600_000);
    const answers = await Promise.all(
      [1, 2, 3, 4, 5, 6, 7, 8].map(async (seq) => {
        const response = await fetch(url('central-a', '/submit'), {
          method: 'POST',
          headers: authJson,
          body: JSON.stringify({ payload, clientId: 'large-client', seq }),
        });
        expect(response.status).to.equal(200);
        return (await response.json()) as { slot: number };
      }),
    );
    expect(new Set(answers.map((answer) => answer.slot)).size).to.equal(8);
    const last = Math.max(...answers.map((answer) => answer.slot));
    for (const member of members.filter((candidate) => candidate.role === 'charge-point')) {
      await waitFor(
        `slot ${last} at ${member.id}`,
        async () => {
          const log = (await (await fetch(url(member.id, `/log?from=${last}`))).json()) as {
            entries: { slot: number }[];
          };
          return log.entries.find((entry) => entry.slot === last);
        },
        10_000,
      );
    }
  });

  it('reports its counters and CPU time on GET /stats', async () => {
    const stats = (await (await fetch(url('cp1', '/stats'))).json()) as {
      id: string;
      store: { syncCount: number } | null;
      cpu: { userMicros: number; systemMicros: number };
    };
    expect(stats.id).to.equal('cp1');
    expect(stats.store?.syncCount).to.be.greaterThan(0);
    expect(stats.cpu.userMicros).to.be.greaterThan(0);
    expect(stats.cpu.systemMicros).to.be.at.least(0);
  });

  it('answers garbage JSON with 400 and keeps serving', async () => {
    const response = await fetch(url('central-a', '/submit'), {
      method: 'POST',
      headers: authJson,
      body: '{nope',
    });
    expect(response.status).to.equal(400);
    expect(((await response.json()) as { error: string }).error).to.equal('invalid-request');
    const status = await fetch(url('central-a', '/status'));
    expect(status.status).to.equal(200);
  });

  it('refuses submits at a charge point with 404 and a reason', async () => {
    const response = await fetch(url('cp1', '/submit'), {
      method: 'POST',
      headers: authJson,
      body: JSON.stringify({ payload: 1 }),
    });
    expect(response.status).to.equal(404);
    expect(((await response.json()) as { reason: string }).reason).to.be.a('string');
  });

  it('answers pipelined /client WebSocket submits by requestId, and bad frames with invalid-request', async () => {
    const member = members[0] as Member;
    const socket = new WebSocket(`ws://127.0.0.1:${member.httpPort}/client`, {
      headers: apiAuthHeaders(token),
    });
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

  it('sends only map answer frames on a connection that has sent no array frame', async () => {
    const client = await ClientSocket.open((members[0] as Member).httpPort);
    const count = 10;
    for (let seq = 1; seq <= count; seq += 1) {
      client.send(submitRequest(seq, 'map-client', seq, `command ${seq}`));
    }
    const answers = await client.answersUntil(count);
    client.close();
    for (const answer of answers) expect(answer).to.include({ type: 'result', duplicate: false });
    expect(client.frames.filter((frame) => Array.isArray(frame))).to.deep.equal([]);
  });

  it('answers every submit of one array frame, in fewer answer frames than requests', async () => {
    const client = await ClientSocket.open((members[0] as Member).httpPort);
    const count = 20;
    client.send(
      Array.from({ length: count }, (_, index) =>
        submitRequest(index + 1, 'array-client', index + 1, `command ${index + 1}`),
      ),
    );
    const answers = await client.answersUntil(count);
    client.close();
    expect(
      answers.map((answer) => answer.requestId).sort((a, b) => Number(a) - Number(b)),
    ).to.deep.equal(Array.from({ length: count }, (_, index) => index + 1));
    for (const answer of answers) expect(answer).to.include({ type: 'result', duplicate: false });
    // Answers settled in the same turn share a frame. Not one frame for all: the node proposes the
    // first command of a turn at once, alone, and batches the rest.
    expect(client.frames.length).to.be.below(count);
  });

  it('answers a mixed array frame request by request (result, invalid-request for seq 0 and for a non-map) and keeps the connection', async () => {
    const client = await ClientSocket.open((members[0] as Member).httpPort);
    client.send([
      submitRequest(1, 'mixed-client', 1, 'valid'),
      submitRequest(2, 'mixed-client', 0, 'seq 0'),
      'not a map',
    ]);
    const answers = await client.answersUntil(3);
    expect(answers).to.have.length(3);
    const byId = new Map(answers.map((answer) => [answer.requestId, answer]));
    expect(byId.get(1)).to.include({ type: 'result', duplicate: false });
    expect(byId.get(2)).to.include({ type: 'error', code: 'invalid-request' });
    expect(byId.get(null)).to.include({ type: 'error', code: 'invalid-request' });
    expect((byId.get(null) as { reason: string }).reason).to.equal('A request must be a map.');

    client.send([submitRequest(3, 'mixed-client', 2, 'after the bad ones')]);
    const [after] = (await client.answersUntil(4)).slice(3);
    client.close();
    expect(after).to.include({ type: 'result', requestId: 3, duplicate: false });
  });

  it('refuses an empty array frame and an array of more than 4096 requests with one invalid-request each, submitting none', async () => {
    const client = await ClientSocket.open((members[0] as Member).httpPort);
    client.send([]);
    const [empty] = await client.answersUntil(1);
    expect(empty).to.include({ type: 'error', requestId: null, code: 'invalid-request' });

    const overLong = Array.from({ length: clientFrameRequestsMax + 1 }, (_, index) =>
      submitRequest(index + 1, 'over-long-client', index + 1, 'x'),
    );
    client.send(overLong);
    const [refused] = (await client.answersUntil(2)).slice(1);
    expect(refused).to.include({ type: 'error', requestId: null, code: 'invalid-request' });

    // Nothing of the refused frame was submitted: its first command is new when sent again.
    client.send(submitRequest(1, 'over-long-client', 1, 'x'));
    const [first] = (await client.answersUntil(3)).slice(2);
    client.close();
    expect(first).to.include({ type: 'result', requestId: 1, duplicate: false });
    expect(client.answers).to.have.length(3);
  });

  it('refuses state changes without the token (401), from a foreign Origin or Host (403), or without a JSON body type (415), and logs why', async () => {
    const submit = JSON.stringify({ payload: 'x', clientId: 'auth-client', seq: 1 });
    const cases: { headers: Record<string, string>; status: number; error: string }[] = [
      { headers: { 'content-type': 'application/json' }, status: 401, error: 'unauthorized' },
      {
        headers: { 'content-type': 'application/json', authorization: `Bearer ${'0'.repeat(64)}` },
        status: 401,
        error: 'unauthorized',
      },
      {
        headers: { ...authJson, origin: 'http://evil.example' },
        status: 403,
        error: 'forbidden',
      },
      {
        headers: { ...apiAuthHeaders(token), 'content-type': 'text/plain' },
        status: 415,
        error: 'unsupported-media-type',
      },
    ];
    for (const { headers, status, error } of cases) {
      const response = await fetch(url('central-a', '/submit'), {
        method: 'POST',
        headers,
        body: submit,
      });
      expect(response.status, JSON.stringify(headers)).to.equal(status);
      const body = (await response.json()) as { error: string; reason: string };
      expect(body.error).to.equal(error);
      expect(body.reason).to.be.a('string').and.not.equal('');
    }
    // DNS rebinding: a name that is not a cluster host, even with the token and no Origin.
    const member = members[0] as Member;
    const rebound = await rawRequest(member.httpPort, [
      'PUT /faults HTTP/1.1',
      `Host: evil.example:${member.httpPort}`,
      `Authorization: Bearer ${token}`,
      'Content-Type: application/json',
      'Content-Length: 12',
      '',
      '{"rules":[]}',
    ]);
    expect(rebound).to.match(/^HTTP\/1\.1 403 /);
    // The same request from a same-origin page is fine; a cp's faults need the token too.
    const faults = await fetch(url('cp1', '/faults'), { method: 'DELETE' });
    expect(faults.status).to.equal(401);
    const allowed = await fetch(url('cp1', '/faults'), {
      method: 'DELETE',
      headers: { ...apiAuthHeaders(token), origin: `http://127.0.0.1:${members[1]?.httpPort}` },
    });
    expect(allowed.status).to.equal(200);
    // Nothing of the refused submits was decided: seq 1 of auth-client is new now.
    const accepted = await fetch(url('central-a', '/submit'), {
      method: 'POST',
      headers: authJson,
      body: submit,
    });
    expect(((await accepted.json()) as { duplicate: boolean }).duplicate).to.equal(false);
    // Read-only routes stay open.
    expect((await fetch(url('central-a', '/status'))).status).to.equal(200);
    await waitFor(
      'the refusals in the log',
      async () => ((output.get('central-a') ?? '').includes('"status":415') ? true : undefined),
      5_000,
    );
    const refusals = (output.get('central-a') ?? '')
      .split('\n')
      .filter((line) => line.includes('"message":"http: refused"'));
    expect(refusals.length).to.be.at.least(4);
    expect(refusals.join('\n')).to.include('evil.example').and.to.include('"status":401');
  });

  it('speaks /client version 2 on ?version=2: positional requests and results, errors as maps, every frame an array', async () => {
    const client = await ClientSocket.open((members[0] as Member).httpPort, '?version=2');
    expect(client.version).to.equal('2');
    client.send([
      [1, 'v2-client', 1, 'first'],
      [2, 'v2-client', 2, 'second'],
      [3, 'v2-client', 0, 'seq 0'],
      { type: 'submit', requestId: 4, clientId: 'v2-client', seq: 3, payload: 'a map' },
    ]);
    const answers = (await client.answersUntil(4)) as unknown[];
    const results = answers.filter((answer) => Array.isArray(answer)) as unknown[][];
    expect(results.map((result) => result[0]).sort()).to.deep.equal([1, 2]);
    for (const [, slot, ballot, , duplicate] of results) {
      expect(slot).to.be.a('number');
      expect(ballot).to.be.an('array').with.length(2);
      expect((ballot as unknown[])[1]).to.equal('central-a');
      expect(duplicate).to.equal(false);
    }
    const errors = answers.filter((answer) => !Array.isArray(answer)) as Answer[];
    const byId = new Map(errors.map((answer) => [answer.requestId, answer]));
    expect(byId.get(3)).to.include({ type: 'error', code: 'invalid-request' });
    expect(byId.get(3)?.reason).to.match(/seq must be a whole number/);
    expect(byId.get(null)?.reason).to.match(
      /must be an array \[requestId, clientId, seq, payload\]/,
    );

    // A frame that is not an array is refused whole; the connection stays and serves the next.
    client.send({ type: 'submit', requestId: 5, clientId: 'v2-client', seq: 4, payload: 'x' });
    const [refused] = (await client.answersUntil(5)).slice(4);
    expect(refused).to.include({ type: 'error', requestId: null, code: 'invalid-request' });
    expect(refused?.reason).to.match(/A version 2 frame is an array of 1 to 4096 requests/);
    // A retried command (same clientId and seq) is answered as a duplicate, in a one-item array.
    client.send([[6, 'v2-client', 1, 'first']]);
    const [retried] = (await client.answersUntil(6)).slice(5) as unknown as unknown[][];
    client.close();
    expect(retried?.[0]).to.equal(6);
    expect(retried?.[4]).to.equal(true);
    expect(client.frames.every((frame) => Array.isArray(frame))).to.equal(true);
    // Logged with its reason (warn lines are bounded per message and second, docs/LIMITS.md: an
    // earlier test's may fill this second's quota, so a refusal is repeated until one is written).
    const logger = await ClientSocket.open((members[0] as Member).httpPort, '?version=2');
    await waitFor(
      'the refusal in the log',
      async () => {
        logger.send('not an array');
        return (
          linesOf('central-a').some(
            (line) =>
              line.message === 'client: invalid request' &&
              /got not an array/.test(String(line.reason)),
          ) || undefined
        );
      },
      10_000,
    );
    logger.close();
  });

  it('names version 1 on a plain or ?version=1 upgrade, and refuses an unknown version with 400, a reason and a log line', async () => {
    const port = (members[0] as Member).httpPort;
    for (const query of ['', '?version=1']) {
      const client = await ClientSocket.open(port, query);
      expect(client.version, query).to.equal('1');
      client.send(submitRequest(1, `v1-client${query}`, 1, 'v1'));
      const [answer] = await client.answersUntil(1);
      client.close();
      expect(answer).to.include({ type: 'result', requestId: 1 });
    }
    const upgradeVersion3 = () =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const socket = new WebSocket(`ws://127.0.0.1:${port}/client?version=3`, {
          headers: apiAuthHeaders(token),
        });
        socket.once('unexpected-response', (_request, response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        });
        socket.once('open', () => reject(new Error('the WebSocket opened')));
        socket.once('error', () => undefined);
      });
    const reason =
      'Unsupported /client protocol version (got "3"): this central speaks versions 1 and 2.';
    // Repeated until its warn line is written (an earlier test may have used this second's quota
    // of 'http: refused' lines, docs/LIMITS.md); every attempt is refused alike.
    await waitFor(
      'the refusal in the log',
      async () => {
        const refused = await upgradeVersion3();
        expect(refused.status).to.equal(400);
        expect(JSON.parse(refused.body)).to.deep.equal({ error: 'invalid-request', reason });
        return (
          linesOf('central-a').some(
            (line) => line.message === 'http: refused' && line.reason === reason,
          ) || undefined
        );
      },
      10_000,
    );
    // The node keeps serving.
    const client = await ClientSocket.open(port, '?version=2');
    client.send([[1, 'after-refusal', 1, 'ok']]);
    const [answer] = (await client.answersUntil(1)) as unknown as unknown[][];
    client.close();
    expect(answer?.[0]).to.equal(1);
  });

  it('refuses a /client WebSocket without the token (401) or from a foreign Origin (403)', async () => {
    const port = (members[0] as Member).httpPort;
    const refused = async (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(`ws://127.0.0.1:${port}/client`, { headers });
        socket.once('unexpected-response', (_request, response) => {
          resolve(response.statusCode ?? 0);
          socket.terminate();
        });
        socket.once('open', () => reject(new Error('the WebSocket opened')));
        socket.once('error', () => undefined);
      });
    expect(await refused({})).to.equal(401);
    expect(await refused({ ...apiAuthHeaders(token), origin: 'http://evil.example' })).to.equal(
      403,
    );
    const client = await ClientSocket.open(port);
    client.send(submitRequest(1, 'ws-auth-client', 1, 'ok'));
    const [answer] = await client.answersUntil(1);
    client.close();
    expect(answer).to.include({ type: 'result' });
  });

  it('writes a few lines a second per cause, and a count, for 80 silent connections and 200 unauthenticated requests (bounded logging)', async () => {
    // cp2 has seen no refusal before: every line about this flood is in its log from here on.
    const member = members.find((candidate) => candidate.id === 'cp2') as Member;
    const sockets: WebSocket[] = [];
    const startedMs = Date.now();
    try {
      for (let i = 0; i < 80; i += 1) {
        const socket = new WebSocket(`ws://127.0.0.1:${member.clusterPort}`);
        socket.on('error', () => undefined);
        sockets.push(socket);
      }
      const statuses = await Promise.all(
        Array.from({ length: 200 }, () =>
          fetch(url('cp2', '/submit'), { method: 'POST', body: '{}' }).then((r) => r.status),
        ),
      );
      expect(new Set(statuses)).to.deep.equal(new Set([401]));
      // Every refusal is accounted for: written, or counted in a summary once its interval ends.
      const accounted = () => {
        const lines = linesOf('cp2').filter((line) => line.level === 'warn');
        const written = lines.filter((line) => line.message === 'http: refused').length;
        const counted = lines
          .filter((line) =>
            /^\d+ more 'http: refused' warnings not written$/.test(String(line.message)),
          )
          .reduce((sum, line) => sum + Number(line.suppressed), 0);
        return written + counted === 200 ? lines : undefined;
      };
      const lines = await waitFor(
        'every refusal written or counted',
        async () => accounted(),
        10_000,
      );
      const elapsedSeconds = Math.ceil((Date.now() - startedMs) / 1000) + 1;
      // 5 lines a second per message at most (logRepeatLimits), plus one summary per interval.
      const byMessage = new Map<string, number>();
      for (const line of lines) {
        const key = String(line.message).replace(/^\d+ more /, 'summary: ');
        byMessage.set(key, (byMessage.get(key) ?? 0) + 1);
      }
      for (const [message, count] of byMessage) {
        expect(count, message).to.be.at.most(5 * elapsedSeconds);
      }
      expect(lines.length).to.be.below(80);
    } finally {
      for (const socket of sockets) socket.terminate();
    }
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

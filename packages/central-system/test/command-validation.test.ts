/* eslint-disable @typescript-eslint/no-explicit-any -- the HTTP API and /client hand back untyped answers, asserted field by field. */
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { apiAuthHeaders, clientPackr } from '@evpaxos/runtime';
import { startProcessCluster, type ProcessCluster } from './process-cluster';

/** A /client connection that collects every answer it gets. */
class ClientSocket {
  readonly answers: any[] = [];
  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const frame = clientPackr.unpack(data);
      this.answers.push(...(Array.isArray(frame) ? frame : [frame]));
    });
  }

  static async open(httpPort: number, token: string): Promise<ClientSocket> {
    const socket = new WebSocket(`ws://127.0.0.1:${httpPort}/client`, {
      headers: apiAuthHeaders(token),
    });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new ClientSocket(socket);
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  submit(requestId: number, clientId: string, seq: number, payload: unknown): void {
    this.socket.send(clientPackr.pack({ type: 'submit', requestId, clientId, seq, payload }));
  }

  async answerTo(requestId: number, timeoutMs = 10_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = this.answers.find((candidate) => candidate.requestId === requestId);
      if (answer !== undefined) return answer;
      if (Date.now() > deadline) throw new Error(`no answer to request ${requestId}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close(): void {
    this.socket.close();
  }
}

describe('central: site commands are validated before they are proposed (1 central + 3 charge-point processes)', function () {
  this.timeout(60_000);
  let cluster: ProcessCluster;
  let leader: string;

  before(async () => {
    cluster = await startProcessCluster({ centrals: 1, chargePoints: 3, siteLimitW: 44_000 });
    leader = await cluster.waitForLeader();
  });

  after(async () => {
    await cluster?.down();
  });

  /** Every command decided so far, from the central's log. */
  async function decidedCommands(): Promise<any[]> {
    const log = await cluster.httpJson(leader, 'GET', '/log?from=0&limit=100000');
    expect(log.status).to.equal(200);
    return (log.body.entries as any[]).flatMap((entry) => entry.commands as any[]);
  }

  /** The seqs of clientId's decided commands. */
  async function decidedSeqs(clientId: string): Promise<number[]> {
    return (await decidedCommands())
      .filter((command) => command.clientId === clientId)
      .map((command) => command.seq as number);
  }

  it('POST /submit: a malformed command is refused with 400 and a reason, logged at warn, and takes no slot', async () => {
    const refused = await cluster.httpJson(leader, 'POST', '/submit', {
      payload: { type: 'SetSiteLimit', atMs: Date.now(), siteLimitW: 99_000_000 },
      clientId: 'http-client',
      seq: 1,
    });
    expect(refused.status).to.equal(400);
    expect(refused.body).to.include({
      error: 'invalid-command',
      commandCode: 'site-limit-out-of-range',
    });
    expect(refused.body.reason).to.contain('siteLimitW');
    const notSite = await cluster.httpJson(leader, 'POST', '/submit', {
      payload: { hello: 'world' },
      clientId: 'http-client',
      seq: 2,
    });
    expect(notSite.status).to.equal(400);
    expect(notSite.body).to.include({ error: 'invalid-command', commandCode: 'invalid-command' });
    const line = await cluster.waitForLine(
      leader,
      (entry) => entry.message === 'submit: invalid command' && entry.clientId === 'http-client',
    );
    expect(line.level).to.equal('warn');

    const accepted = await cluster.httpJson(leader, 'POST', '/submit', {
      payload: { type: 'Noop', atMs: Date.now() },
      clientId: 'http-client',
      seq: 3,
    });
    expect(accepted.status).to.equal(200);
    expect(await decidedSeqs('http-client')).to.deep.equal([3]);
  });

  it('/client: a malformed command gets an invalid-command answer, the connection stays and serves the next', async () => {
    const client = await ClientSocket.open(cluster.node(leader).httpPort, cluster.apiToken);
    const atMs = Date.now();
    client.submit(1, 'ws-client', 1, {
      type: 'Reserve',
      atMs,
      reservationId: 1,
      chargePointId: 'cp1',
      connectorId: 1,
      idToken: 'A',
      expiresAtMs: atMs,
    });
    const refused = await client.answerTo(1);
    expect(refused).to.include({
      type: 'error',
      requestId: 1,
      code: 'invalid-command',
      commandCode: 'reservation-in-past',
    });
    expect(refused.reason).to.contain('Reserve');
    client.submit(2, 'ws-client', 2, { type: 'Noop', atMs: Date.now() });
    expect(await client.answerTo(2)).to.include({ type: 'result', requestId: 2 });
    expect(client.isOpen).to.equal(true);
    client.close();
    expect(await decidedSeqs('ws-client')).to.deep.equal([2]);
  });

  it('POST /reservations: a reservation ending in the past is refused with 400 before it is proposed', async () => {
    const refused = await cluster.httpJson(leader, 'POST', '/reservations', {
      chargePointId: 'cp1',
      idToken: 'PAST',
      expiresAtMs: 1_000,
    });
    expect(refused.status).to.equal(400);
    expect(refused.body).to.include({
      error: 'invalid-command',
      commandCode: 'reservation-in-past',
    });
    const reserves = (await decidedCommands()).filter(
      (command) => command.payload?.idToken === 'PAST',
    );
    expect(reserves).to.deep.equal([]);
    expect((await cluster.httpJson(leader, 'GET', '/status')).status).to.equal(200);
  });
});

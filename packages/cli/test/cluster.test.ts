import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { compareBallots } from '@evpaxos/paxos';
import type { SubmitResult } from '../src/launcher';
import {
  checkLogsAgree,
  runCliIn,
  startLoad,
  useClusters,
  waitFor,
  waitForConvergence,
} from './cluster-harness';
import { helloWithWrongProof, sendFrame } from './hostile-peer';

/**
 * Real OS processes talking real TCP on 127.0.0.1, one temp dir and free ports per test. Each
 * test ends with checkLogsAgree: every live node's decided log agrees slot by slot, and no
 * acknowledged command is lost.
 */

const fast = { unsafeNoFsync: true } as const;

function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

describe('cluster (real processes on 127.0.0.1)', function () {
  this.timeout(60_000);
  const clusters = useClusters();

  it('cluster: a command commits and every learner applies it (centrals=2, charge-points=3)', async () => {
    const cluster = await clusters.up('commit', { centrals: 2, chargePoints: 3, ...fast });
    const acknowledged: SubmitResult[] = [];
    for (let index = 0; index < 5; index += 1) {
      acknowledged.push(await cluster.submit({ type: 'Noop', index }));
    }
    expect(acknowledged.map((ack) => ack.slot)).to.deep.equal(
      [...acknowledged.map((ack) => ack.slot)].sort((a, b) => a - b),
    );
    const appliedThrough = await checkLogsAgree(cluster, acknowledged);
    expect(appliedThrough).to.be.at.least(acknowledged[acknowledged.length - 1]!.slot);
    console.log(
      `      5 commits, latency max ${ms(Math.max(...acknowledged.map((a) => a.latencyMs)))}`,
    );
  });

  it('cluster: failover: kill -9 the leader central system, the standby commits within 2 s (centrals=2, charge-points=5)', async () => {
    const cluster = await clusters.up('failover', { centrals: 2, chargePoints: 5, ...fast });
    const acknowledged = [await cluster.submit({ type: 'Noop', before: 'failover' })];
    const { leaderId } = await cluster.waitForLeader(5_000);
    const standby = cluster.nodes.find((n) => n.role === 'central' && n.id !== leaderId)!.id;
    const killedAt = Date.now();
    await cluster.killNode(leaderId);
    const after = await cluster.submit({ type: 'Noop', after: 'failover' }, { timeoutMs: 5_000 });
    const gapMs = Date.now() - killedAt;
    acknowledged.push(after);
    console.log(
      `      failover gap ${ms(gapMs)} (killed ${leaderId}, ${after.nodeId} committed slot ${after.slot})`,
    );
    expect(after.nodeId).to.equal(standby);
    expect(gapMs).to.be.below(2_000);
    await checkLogsAgree(cluster, acknowledged);
  });

  it('cluster: election hold: a submit that reaches the standby while it knows no leader is answered once it leads, not 421 (centrals=2, charge-points=3)', async () => {
    const cluster = await clusters.up('election-hold', { centrals: 2, chargePoints: 3, ...fast });
    const acknowledged = [await cluster.submit({ type: 'Noop', before: 'hold' })];
    const { leaderId } = await cluster.waitForLeader(5_000);
    const standby = cluster.nodes.find((n) => n.role === 'central' && n.id !== leaderId)!.id;
    // The standby hears no acceptor for now, so the election it starts cannot end yet.
    const putFaults = (rules: unknown[]) =>
      fetch(`${cluster.url(standby)}/faults`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${cluster.apiToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ rules }),
      });
    const cut = ['cp1', 'cp2', 'cp3'].map((peer) => ({ peer, direction: 'both', action: 'drop' }));
    expect((await putFaults(cut)).status).to.equal(200);
    await cluster.killNode(leaderId);
    await waitFor('the standby saw the link close and names no leader', 10_000, async () => {
      const status = await cluster.nodeStatus(standby);
      return status.paxos.leaderId === null ? status : undefined;
    });
    // Sent to the standby alone, without following a 421: only a held call can succeed.
    const held = cluster.submit({ type: 'Noop', after: 'hold' }, { via: standby, follow: false });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await putFaults([])).status).to.equal(200);
    const after = await held;
    expect(after.nodeId).to.equal(standby);
    acknowledged.push(after);
    await checkLogsAgree(cluster, acknowledged);
  });

  it('cluster: acceptor quorum: commits with 3 of 5 charge points, none with 2, resume on restart (centrals=2, charge-points=5, fsync)', async () => {
    const cluster = await clusters.up('quorum', { centrals: 2, chargePoints: 5 });
    const acknowledged = [await cluster.submit({ type: 'Noop', phase: 'all up' })];
    await cluster.killNode('cp1');
    await cluster.killNode('cp2');
    acknowledged.push(
      await cluster.submit({ type: 'Noop', phase: '3 of 5' }, { timeoutMs: 5_000 }),
    );
    await cluster.killNode('cp3');
    const started = Date.now();
    let refused: Error | null = null;
    try {
      await cluster.submit({ type: 'Noop', phase: '2 of 5' }, { timeoutMs: 1_500 });
    } catch (error) {
      refused = error as Error;
    }
    expect(refused, 'a commit with 2 of 5 acceptors').to.be.an('error');
    expect(refused!.message).to.match(/not acknowledged/);
    console.log(`      no commit with 2 of 5: gave up after ${ms(Date.now() - started)}`);
    const restartedAt = Date.now();
    await cluster.restartNode('cp3');
    const resumed = await cluster.submit(
      { type: 'Noop', phase: 'cp3 back' },
      { timeoutMs: 10_000 },
    );
    acknowledged.push(resumed);
    console.log(`      commits resumed ${ms(Date.now() - restartedAt)} after restarting cp3`);
    await checkLogsAgree(cluster, acknowledged);
  });

  it('cluster: crash-restart a charge point under load: promises survive, it catches up (centrals=2, charge-points=5, fsync)', async () => {
    const cluster = await clusters.up('crash-cp', { centrals: 2, chargePoints: 5 });
    const load = startLoad(cluster, 'crash-cp');
    try {
      await waitFor('10 commits under load', 10_000, () =>
        load.acknowledged.length >= 10 ? true : undefined,
      );
      const before = await cluster.nodeStatus('cp4');
      expect(before.paxos.promised, 'cp4 promised before the crash').to.not.equal(null);
      await cluster.killNode('cp4');
      const committedWhileDown = load.acknowledged.length;
      await waitFor('10 more commits with cp4 down', 10_000, () =>
        load.acknowledged.length >= committedWhileDown + 10 ? true : undefined,
      );
      const restartedAt = Date.now();
      await cluster.restartNode('cp4');
      const after = await cluster.nodeStatus('cp4');
      expect(after.paxos.promised, 'cp4 promised after restart').to.not.equal(null);
      expect(
        compareBallots(after.paxos.promised!, before.paxos.promised!),
        `promised ${JSON.stringify(after.paxos.promised)} >= ${JSON.stringify(before.paxos.promised)}`,
      ).to.be.at.least(0);
      const { leaderId } = await cluster.waitForLeader(5_000);
      // Catch-up while the load goes on: cp4 reaches where the leader was when we looked.
      const target = (await cluster.nodeStatus(leaderId)).paxos.appliedThrough;
      await waitFor(`cp4 to apply through slot ${target}`, 10_000, async () =>
        (await cluster.nodeStatus('cp4')).paxos.appliedThrough >= target ? true : undefined,
      );
      console.log(
        `      cp4 caught up to slot ${target} ${ms(Date.now() - restartedAt)} after restart; ` +
          `${load.acknowledged.length} commits, ${load.failures.length} failed submits`,
      );
    } finally {
      await load.stop();
    }
    await checkLogsAgree(cluster, load.acknowledged);
    expect(load.failures, 'submits that failed under load').to.deep.equal([]);
  });

  it('cluster: partition: {central-a, cp1, cp2} | {central-b, cp3, cp4, cp5}: only the majority commits, heal converges (n=5, symmetric, leader in the minority)', async () => {
    const cluster = await clusters.up('partition', { centrals: 2, chargePoints: 5, ...fast });
    // The hard case: the leader is on the minority side. If central-b won the first election,
    // crash-restart it so that central-a takes over and central-b comes back as a standby.
    if ((await cluster.waitForLeader(5_000)).leaderId === 'central-b') {
      await cluster.restartNode('central-b');
    }
    await cluster.waitForLeader(5_000, ['central-a']);
    const acknowledged = [await cluster.submit({ type: 'Noop', phase: 'before' })];
    expect(acknowledged[0]!.nodeId).to.equal('central-a');
    await cluster.partition('central-a,cp1,cp2 | central-b,cp3,cp4,cp5');
    const partitionedAt = Date.now();
    await cluster.waitForLeader(10_000, ['central-b']);
    const majority = await cluster.submit(
      { type: 'Noop', phase: 'majority side' },
      { via: 'central-b', follow: false, timeoutMs: 5_000 },
    );
    acknowledged.push(majority);
    console.log(`      majority side committed ${ms(Date.now() - partitionedAt)} after the cut`);
    let minorityError: Error | null = null;
    try {
      await cluster.submit(
        { type: 'Noop', phase: 'minority side' },
        { via: 'central-a', follow: false, timeoutMs: 1_500 },
      );
    } catch (error) {
      minorityError = error as Error;
    }
    expect(minorityError, 'a commit on the minority side').to.be.an('error');
    // The minority side has not applied the majority's command.
    for (const id of ['central-a', 'cp1', 'cp2']) {
      expect((await cluster.nodeStatus(id)).paxos.appliedThrough, id).to.be.below(majority.slot);
    }
    await cluster.heal();
    const healedAt = Date.now();
    const appliedThrough = await waitForConvergence(cluster);
    console.log(
      `      converged at slot ${appliedThrough} ${ms(Date.now() - healedAt)} after heal`,
    );
    acknowledged.push(await cluster.submit({ type: 'Noop', phase: 'healed' }));
    await checkLogsAgree(cluster, acknowledged);
  });

  it('cluster: hostile frames: garbage, oversized and unauthenticated frames are refused and change nothing (charge point cp1)', async () => {
    const cluster = await clusters.up('hostile', { centrals: 2, chargePoints: 3, ...fast });
    const acknowledged = [await cluster.submit({ type: 'Noop', phase: 'before' })];
    await waitForConvergence(cluster);
    const cp1 = cluster.node('cp1');
    const before = await cluster.nodeStatus('cp1');
    const url = `ws://${cp1.host}:${cp1.clusterPort}`;
    const clusterId = JSON.parse(fs.readFileSync(cluster.table().clusterFile, 'utf8')).clusterId;
    const logLength = () => fs.readFileSync(cp1.logFile, 'utf8').length;
    const cases: { name: string; reason: RegExp; attack: () => Promise<{ code: number }> }[] = [
      {
        name: 'random bytes',
        reason:
          /closing inbound connection: (malformed-frame|unsupported-version|invalid-body|unknown-type)/,
        attack: () => sendFrame(url, randomBytes(512)),
      },
      {
        name: 'a frame over the 4 MiB limit',
        reason: /closing inbound connection: frame-too-large/,
        attack: () => sendFrame(url, Buffer.alloc(4 * 1024 * 1024 + 1024, 7)),
      },
      {
        name: 'a hello with a wrong HMAC proof',
        reason: /closing inbound connection: bad-proof/,
        attack: async () => {
          const closed = await helloWithWrongProof(url, clusterId, 'central-a', 'cp1');
          expect(closed.challenged, 'the node challenged the hello').to.equal(true);
          return closed;
        },
      },
    ];
    for (const { name, reason, attack } of cases) {
      const logFrom = logLength();
      const closed = await attack();
      expect(closed.code, `${name}: close code`).to.not.equal(1000);
      await waitFor(`cp1 to log why it refused ${name}`, 5_000, () =>
        reason.test(fs.readFileSync(cp1.logFile, 'utf8').slice(logFrom)) ? true : undefined,
      );
      expect(cluster.isRunning('cp1'), `cp1 alive after ${name}`).to.equal(true);
      console.log(`      ${name}: closed with ${closed.code}`);
    }
    const after = await cluster.nodeStatus('cp1');
    expect(after.paxos.promised).to.deep.equal(before.paxos.promised);
    // The site keeps deciding lease renewals in the background: nothing may be lost, more may come.
    expect(after.paxos.appliedThrough).to.be.at.least(before.paxos.appliedThrough);
    acknowledged.push(await cluster.submit({ type: 'Noop', phase: 'after' }));
    await checkLogsAgree(cluster, acknowledged);
  });

  it('cli: cluster up, status, submit, kill, restart, partition, heal, down (one session)', async function () {
    // About fifteen CLI starts, most in sequence (each acts on what the one before did).
    this.timeout(180_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-cli-'));
    const bin = path.resolve(__dirname, '../../bin/evpaxos.js');
    const evpaxos = async (...args: string[]) => {
      const run = await runCliIn(dir, args);
      return { status: run.code, stdout: run.stdout, stderr: run.stderr };
    };
    try {
      const up = await evpaxos(
        'cluster',
        'up',
        '--base-port',
        '0',
        '--charge-points',
        '3',
        '--unsafe-no-fsync',
      );
      expect(up.status, up.stderr).to.equal(0);
      expect(up.stdout).to.match(/^id\s+role\s+pid\s+state/);
      // These four change nothing (a refused up, a commit, two refused commands): one CLI start
      // each is seconds on a loaded host, so they run together.
      const [again, submit, unknown, badSpec] = await Promise.all([
        evpaxos('cluster', 'up', '--base-port', '0'),
        evpaxos('submit', '{"type":"Noop"}'),
        evpaxos('kill', 'cp9'),
        evpaxos('partition', 'central-a,cp1'),
      ]);
      expect(again.status).to.equal(1);
      expect(again.stderr).to.match(/already up/);
      expect(submit.status, submit.stderr).to.equal(0);
      expect(JSON.parse(submit.stdout)).to.include.keys('slot', 'ballot', 'result');
      expect(unknown.status).to.equal(2);
      expect(unknown.stderr).to.match(/Unknown node "cp9"/);
      expect(badSpec.status).to.equal(2);
      expect(badSpec.stderr).to.match(/at least two sides/);
      expect((await evpaxos('kill', 'cp1')).status).to.equal(0);
      const rows = JSON.parse((await evpaxos('status', '--json')).stdout) as {
        id: string;
        state: string;
      }[];
      expect(rows.find((row) => row.id === 'cp1')?.state).to.equal('down');
      expect(rows.filter((row) => row.state === 'up')).to.have.length(4);
      expect((await evpaxos('restart', 'cp1')).status).to.equal(0);
      expect((await evpaxos('pause', 'cp2')).status).to.equal(0);
      expect((await evpaxos('status')).stdout).to.match(/cp2\s+charge-point\s+\d+\s+paused/);
      expect((await evpaxos('resume', 'cp2')).status).to.equal(0);
      expect((await evpaxos('partition', 'central-a,cp1 | central-b,cp2,cp3')).status).to.equal(0);
      expect((await evpaxos('heal')).status).to.equal(0);
      const down = await evpaxos('cluster', 'down');
      expect(down.status, down.stderr).to.equal(0);
      expect(down.stdout).to.match(/stopped: central-a/);
      const gone = await evpaxos('status', '--json');
      expect(
        (JSON.parse(gone.stdout) as { state: string }[]).every((r) => r.state === 'down'),
      ).to.equal(true);
    } finally {
      spawnSync(process.execPath, [bin, 'cluster', 'down', '--dir', dir], { timeout: 30_000 });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cli: no cluster in the dir is a clear error with exit 1', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-none-'));
    try {
      // Independent refusals: the CLI starts run together.
      const commands = [['status'], ['cluster', 'down'], ['kill', 'cp1'], ['heal']];
      const runs = await Promise.all(commands.map((args) => runCliIn(dir, args)));
      runs.forEach((run, index) => {
        expect(run.code, commands[index]!.join(' ')).to.equal(1);
        expect(run.stderr).to.match(/No cluster in/);
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cli: a bad option value, or a payload that is not a JSON object, exits 2 with one sentence', async function () {
    // Seven CLI starts: seconds each on a loaded 2-core host, so they run together.
    this.timeout(180_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-usage-'));
    try {
      const cases: [string[], RegExp][] = [
        [['submit', '{}', '--timeout-ms', 'abc'], /--timeout-ms must be a number \(got "abc"\)/],
        [['submit', '{}', '--timeout-ms', '0'], /--timeout-ms must be a whole number from 1/],
        [['submit', '{}', '--count', '0'], /--count must be a whole number from 1 to 10000/],
        [['submit', '[]'], /must be a JSON object.*an array/],
        [['submit', '42'], /must be a JSON object.*a number/],
        [['submit', 'nope'], /not JSON/],
        [['cluster', 'up', '--centrals', 'two'], /--centrals must be a number/],
      ];
      const runs = await Promise.all(cases.map(([args]) => runCliIn(dir, args)));
      for (const [index, [args, message]] of cases.entries()) {
        const run = runs[index]!;
        expect(run.code, args.join(' ')).to.equal(2);
        expect(run.stderr, args.join(' ')).to.match(message);
        expect(run.stderr.split('\n')[0]).to.match(/^evpaxos: [^\n]+\.$/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cli: cluster up on a busy port exits 1 and leaves no dir and no process behind', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    const dir = path.join(os.tmpdir(), `evpaxos-busy-${randomBytes(4).toString('hex')}`);
    const bin = path.resolve(__dirname, '../../bin/evpaxos.js');
    try {
      const run = spawnSync(
        process.execPath,
        [bin, 'cluster', 'up', '--dir', dir, '--base-port', String(port)],
        { encoding: 'utf8' },
      );
      expect(run.status, run.stderr).to.equal(1);
      expect(run.stderr).to.match(/is not free/);
      expect(fs.existsSync(dir), 'the dir cluster up created').to.equal(false);
    } finally {
      busy.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

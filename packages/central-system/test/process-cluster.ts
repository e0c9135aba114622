/* eslint-disable @typescript-eslint/no-explicit-any -- the third-party station and the HTTP API hand back untyped JSON, asserted field by field. */
/**
 * A real cluster of `evpaxos` processes for the central's integration tests: our own cluster.json
 * (with servicePorts and a site limit), one OS process per node via packages/cli/bin/evpaxos.js,
 * waits with deadlines instead of sleeps, and every process killed at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiToken, httpJson, type HttpMethod } from '@evpaxos/runtime';

const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
const cliBin = path.join(repoRoot, 'packages', 'cli', 'bin', 'evpaxos.js');

export interface NodeSpec {
  readonly id: string;
  readonly role: 'central' | 'charge-point';
  readonly clusterPort: number;
  readonly httpPort: number;
  readonly servicePort: number;
}

export interface ProcessCluster {
  readonly dir: string;
  readonly nodes: readonly NodeSpec[];
  /** The cluster's API token (docs/CLUSTER.md, "Authentication"): httpJson sends it. */
  readonly apiToken: string;
  node(id: string): NodeSpec;
  logOf(id: string): string;
  /** Log lines of a node, parsed (JSON lines; others skipped). */
  linesOf(id: string): Record<string, unknown>[];
  /** Polls until a central reports itself leader; returns its id. */
  waitForLeader(timeoutMs?: number): Promise<string>;
  waitForLine(
    id: string,
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  httpJson(
    id: string,
    method: string,
    pathname: string,
    body?: unknown,
  ): Promise<{ status: number; body: any }>;
  /** SIGKILLs one node (a crash) and waits until it is gone. */
  kill(id: string): Promise<void>;
  down(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    ports.push((server.address() as net.AddressInfo).port);
  }
  await Promise.all(
    servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
  return ports;
}

/**
 * Starts the cluster; a port probed free can be taken by another process before ours binds it
 * (EADDRINUSE), so a start whose nodes do not all get ready is retried on new ports.
 */
export async function startProcessCluster(options: ClusterOptions): Promise<ProcessCluster> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

interface ClusterOptions {
  centrals: number;
  chargePoints: number;
  siteLimitW: number;
  /** site.chargePointsMax; default the cluster's charge points (docs/SITE.md): room for outside stations. */
  chargePointsMax?: number;
  tickMs?: number;
  /** The cluster file's ocppSecurity section (docs/OCPP.md); default none (profile 1). */
  ocppSecurity?: Record<string, unknown>;
  /** Outside stations' passwords, written to a passwordsFile the section names. */
  stationPasswords?: Record<string, string>;
}

async function startOnce(options: ClusterOptions): Promise<ProcessCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-central-'));
  const ids = [
    ...Array.from({ length: options.centrals }, (_, i) => `central-${String.fromCharCode(97 + i)}`),
    ...Array.from({ length: options.chargePoints }, (_, i) => `cp${i + 1}`),
  ];
  const ports = await freePorts(ids.length * 3);
  const nodes: NodeSpec[] = ids.map((id, i) => ({
    id,
    role: id.startsWith('central') ? 'central' : 'charge-point',
    clusterPort: ports[3 * i] as number,
    httpPort: ports[3 * i + 1] as number,
    servicePort: ports[3 * i + 2] as number,
  }));
  const clusterFile = path.join(dir, 'cluster.json');
  let ocppSecurity = options.ocppSecurity;
  if (options.stationPasswords !== undefined) {
    const passwordsFile = path.join(dir, 'stations.json');
    fs.writeFileSync(passwordsFile, JSON.stringify(options.stationPasswords), { mode: 0o600 });
    ocppSecurity = { profile: 1, ...ocppSecurity, passwordsFile };
  }
  const secret = randomBytes(32).toString('hex');
  fs.writeFileSync(
    clusterFile,
    JSON.stringify({
      clusterId: 'central-test',
      // Longer ticks than the default 10 ms: on a loaded test machine a starved process would miss
      // heartbeats and trigger needless elections mid-test.
      tickMs: options.tickMs ?? 100,
      secret,
      site: {
        siteLimitW: options.siteLimitW,
        ...(options.chargePointsMax === undefined
          ? {}
          : { chargePointsMax: options.chargePointsMax }),
      },
      ...(ocppSecurity === undefined ? {} : { ocppSecurity }),
      nodes: nodes.map((node) => ({ ...node, host: '127.0.0.1' })),
    }),
  );
  fs.mkdirSync(path.join(dir, 'logs'));
  const children = new Map<string, ChildProcess>();
  for (const node of nodes) {
    const args = [
      cliBin,
      node.role,
      '--id',
      node.id,
      '--cluster-file',
      clusterFile,
      '--log-level',
      'info',
    ];
    if (node.role === 'charge-point') {
      args.push('--data-dir', path.join(dir, 'data', node.id), '--unsafe-no-fsync');
    }
    const log = fs.openSync(path.join(dir, 'logs', `${node.id}.log`), 'a');
    const child = spawn(process.execPath, args, { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    live.add(child);
    child.once('exit', () => live.delete(child));
    children.set(node.id, child);
  }

  const cluster: ProcessCluster = {
    apiToken: apiToken(secret, 'central-test'),
    dir,
    nodes,
    node: (id) => {
      const found = nodes.find((node) => node.id === id);
      if (found === undefined) throw new Error(`no node ${id}`);
      return found;
    },
    logOf: (id) => {
      try {
        return fs.readFileSync(path.join(dir, 'logs', `${id}.log`), 'utf8');
      } catch {
        return '';
      }
    },
    linesOf: (id) =>
      cluster
        .logOf(id)
        .split('\n')
        .flatMap((text) => {
          try {
            const value: unknown = JSON.parse(text);
            return typeof value === 'object' && value !== null
              ? [value as Record<string, unknown>]
              : [];
          } catch {
            return [];
          }
        }),
    async waitForLine(id, match, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = cluster.linesOf(id).find(match);
        if (found !== undefined) return found;
        if (Date.now() > deadline)
          throw new Error(`no matching line in ${id}'s log within ${timeoutMs} ms`);
        await sleep(50);
      }
    },
    async waitForLeader(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const node of nodes.filter((candidate) => candidate.role === 'central')) {
          const answer = await cluster.httpJson(node.id, 'GET', '/status').catch(() => null);
          if (
            answer?.status === 200 &&
            answer.body?.paxos?.leaderId === node.id &&
            answer.body.paxos.proposerState === 'leader'
          ) {
            return node.id;
          }
        }
        if (Date.now() > deadline)
          throw new Error(`no leader within ${timeoutMs} ms (logs in ${dir}/logs)`);
        await sleep(50);
      }
    },
    async httpJson(id, method, pathname, body) {
      const node = cluster.node(id);
      const url = `http://127.0.0.1:${node.httpPort}${pathname}`;
      return httpJson(url, method as HttpMethod, body, 15_000, cluster.apiToken) as Promise<{
        status: number;
        body: any;
      }>;
    },
    async kill(id) {
      const child = children.get(id);
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
    },
    async down() {
      await Promise.all(
        [...children.values()].map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) {
                resolve();
                return;
              }
              const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
              child.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
  // Every node logs "ready" once its ports are open.
  try {
    await Promise.all(
      nodes.map((node) => cluster.waitForLine(node.id, (line) => line.message === 'ready', 60_000)),
    );
  } catch (error) {
    await cluster.down();
    throw error;
  }
  return cluster;
}

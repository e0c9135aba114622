import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SITE_LIMIT_W_MAX } from '@evpaxos/site';
import { isGone, isNodeAlive, signalNode } from '@evpaxos/runtime';
import {
  compareBallots,
  type BallotBody,
  type FaultRule,
  type LogBody,
  type LogEntry,
  type Role,
  type StatusBody,
  type SubmitReply,
} from './api-types';
import { LauncherError } from './errors';
import { HttpTimeoutError, httpJson } from './http-client';
import { parsePartitionSpec, partitionRules } from './partition-spec';
import { NODES_PER_BASE_PORT_MAX, SERVICE_PORT_OFFSET, choosePorts } from './ports';
import {
  findNode,
  logTail,
  processesPath,
  readProcesses,
  startProcess,
  writeProcesses,
  type ProcessRecord,
  type ProcessesFile,
} from './process-table';

/** Options of `clusterUp`; each default is the one `evpaxos cluster up` documents. */
export interface ClusterUpOptions {
  /** The cluster's directory: cluster.json, processes.json, logs/, data/. */
  readonly dir: string;
  /** Central systems (proposers), 1..9. Default 2: central-a, central-b. */
  readonly centrals?: number;
  /** Charge points (acceptors), 1..90. Default 5: cp1..cp5. */
  readonly chargePoints?: number;
  /**
   * 0 (the default here) picks free ports; N gives cluster ports N+i, HTTP ports N+100+i and
   * service ports (OCPP-J on a central, the EV link on a charge point) N+200+i.
   */
  readonly basePort?: number;
  /** The site's grid connection limit, W: cluster.json `site.siteLimitW`. Default 44 000. */
  readonly siteLimitW?: number;
  /** How long a charge point's power allocation lasts without renewal: cluster.json `site.leaseMs`. Default: the site's (30 000). */
  readonly leaseMs?: number;
  /** Charge points skip fsync: only for tests that are not about durability. Default false. */
  readonly unsafeNoFsync?: boolean;
  /** Milliseconds per Paxos tick. Default 10. */
  readonly tickMs?: number;
  /** Where every node binds and is reached. Default 127.0.0.1. */
  readonly host?: string;
  /** Default 'info' (the "decided" lines `evpaxos verify` reads are info). */
  readonly logLevel?: string;
  /** How long every node has to answer /status and a leader to be elected. Default 15 000. */
  readonly readyTimeoutMs?: number;
  readonly clusterId?: string;
  readonly phase1Quorum?: number;
  readonly phase2Quorum?: number;
  /**
   * Lab mode: every node gets EVPAXOS_LAB=1 (POST /admin/kill answers; the centrals' dashboard shows
   * kill/restart/partition/heal buttons) and EVPAXOS_CLUSTER_DIR (where the dashboard finds
   * processes.json to restart a node). Default false.
   */
  readonly lab?: boolean;
  /** The evpaxos entry point each node runs. Default: this package's bin/evpaxos.js. */
  readonly bin?: string;
}

export const clusterDefaults: Readonly<{
  centrals: number;
  chargePoints: number;
  basePort: number;
  tickMs: number;
  host: string;
  logLevel: string;
  readyTimeoutMs: number;
  clusterId: string;
  siteLimitW: number;
}> = Object.freeze({
  centrals: 2,
  chargePoints: 5,
  basePort: 0,
  tickMs: 10,
  host: '127.0.0.1',
  logLevel: 'info',
  readyTimeoutMs: 15_000,
  clusterId: 'evpaxos-local',
  // docs/DESIGN.md's example site: a 44 kW grid connection (two 22 kW chargers at full power).
  siteLimitW: 44_000,
});

/** Grace between SIGTERM and SIGKILL on `down`. */
export const DOWN_GRACE_MS = 3_000;
/** A status request to one node, at most; a paused or wedged node must not stall `status`. */
const STATUS_TIMEOUT_MS = 1_000;
const POLL_INTERVAL_MS = 25;

export interface SubmitOptions {
  /** Send to this central only. Default: the last known leader, then every other central. */
  readonly via?: string;
  /** Follow a 421 to the leader it names. Default true. */
  readonly follow?: boolean;
  /** Give up after this long, in total. Default 12 000 (the API's own timeout is 10 s). */
  readonly timeoutMs?: number;
  /** Default: the handle's own client id and next seq, so a retry is applied exactly once. */
  readonly clientId?: string;
  readonly seq?: number;
}

export interface SubmitResult extends SubmitReply {
  readonly clientId: string;
  readonly seq: number;
  /** The central that answered. */
  readonly nodeId: string;
  readonly latencyMs: number;
}

export type NodeState = 'up' | 'down' | 'paused' | 'unresponsive';

export interface NodeStatusRow {
  readonly id: string;
  readonly role: Role;
  readonly pid: number;
  readonly state: NodeState;
  readonly httpUrl: string;
  /** The node's GET /status, when it answered. */
  readonly status: StatusBody | null;
  readonly error?: string;
}

export interface DownResult {
  /** Nodes that exited on SIGTERM. */
  readonly stopped: string[];
  /** Nodes that needed SIGKILL after the grace period. */
  readonly killed: string[];
  /** Nodes that were not running. */
  readonly alreadyDown: string[];
}

function nodeIds(centrals: number, chargePoints: number): { id: string; role: Role }[] {
  const ids: { id: string; role: Role }[] = [];
  for (let index = 0; index < centrals; index += 1) {
    ids.push({ id: `central-${String.fromCharCode(97 + index)}`, role: 'central' });
  }
  for (let index = 1; index <= chargePoints; index += 1) {
    ids.push({ id: `cp${index}`, role: 'charge-point' });
  }
  return ids;
}

function checkCount(name: string, value: number, min: number, max: number): string | null {
  return Number.isInteger(value) && value >= min && value <= max
    ? null
    : `--${name} must be a whole number from ${min} to ${max} (got ${String(value)}).`;
}

/**
 * Starts a local cluster: writes `<dir>/cluster.json`, starts every node as its own detached
 * process, records them in `<dir>/processes.json`, and resolves once every node answers /status
 * and a leader is elected. If that does not happen in time, the nodes are stopped again (no
 * process is left behind) and the error carries the tail of each failed node's log.
 */
export async function clusterUp(options: ClusterUpOptions): Promise<ClusterHandle> {
  const centrals = options.centrals ?? clusterDefaults.centrals;
  const chargePoints = options.chargePoints ?? clusterDefaults.chargePoints;
  const basePort = options.basePort ?? clusterDefaults.basePort;
  const tickMs = options.tickMs ?? clusterDefaults.tickMs;
  const host = options.host ?? clusterDefaults.host;
  const siteLimitW = options.siteLimitW ?? clusterDefaults.siteLimitW;
  const problems = [
    checkCount('centrals', centrals, 1, 9),
    checkCount('charge-points', chargePoints, 1, NODES_PER_BASE_PORT_MAX - 9),
    basePort === 0
      ? null
      : checkCount(
          'base-port',
          basePort,
          1024,
          65_535 - SERVICE_PORT_OFFSET - NODES_PER_BASE_PORT_MAX,
        ),
    checkCount('tick-ms', tickMs, 1, 10_000),
    // The reducer refuses a SetSiteLimit above SITE_LIMIT_W_MAX: the initial limit obeys it too.
    checkCount('site-limit-w', siteLimitW, 1, SITE_LIMIT_W_MAX),
  ].filter((problem): problem is string => problem !== null);
  if (problems.length > 0) throw new LauncherError('invalid-option', problems.join(' '));

  const dir = path.resolve(options.dir);
  fs.mkdirSync(dir, { recursive: true });
  if (fs.existsSync(processesPath(dir))) {
    const running = readProcesses(dir).nodes.filter((node) => isNodeAlive(node.pid, node.id));
    if (running.length > 0) {
      throw new LauncherError(
        'cluster-already-up',
        `A cluster is already up in ${dir} (${running.map((n) => `${n.id} pid ${n.pid}`).join(', ')}): run "evpaxos cluster down --dir ${options.dir}" first, or use another --dir.`,
      );
    }
  }

  const clusterFile = path.join(dir, 'cluster.json');
  // A cluster restarted in the same dir keeps its id and secret: its charge points' stores hold
  // promises made in that cluster, and the nodes must still authenticate each other.
  const previous = readPreviousCluster(clusterFile);
  const members = nodeIds(centrals, chargePoints);
  const ports = await choosePorts(members.length, basePort, host);
  const bin = options.bin ?? path.resolve(__dirname, '../../../bin/evpaxos.js');
  const logLevel = options.logLevel ?? clusterDefaults.logLevel;
  const records: ProcessRecord[] = members.map(({ id, role }, index) => {
    const { clusterPort, httpPort, servicePort } = ports[index]!;
    const dataDir = role === 'charge-point' ? path.join(dir, 'data', id) : null;
    const args = [bin, role, '--id', id, '--cluster-file', clusterFile];
    args.push('--log-level', logLevel, '--tick-ms', String(tickMs));
    if (dataDir !== null) args.push('--data-dir', dataDir);
    if (dataDir !== null && options.unsafeNoFsync) args.push('--unsafe-no-fsync');
    return {
      id,
      role,
      pid: 0,
      host,
      clusterPort,
      httpPort,
      servicePort,
      logFile: path.join(dir, 'logs', `${id}.log`),
      dataDir,
      args,
      ...(options.lab ? { env: { EVPAXOS_LAB: '1', EVPAXOS_CLUSTER_DIR: dir } } : {}),
    };
  });
  const description = {
    clusterId: previous?.clusterId ?? options.clusterId ?? clusterDefaults.clusterId,
    secret: previous?.secret ?? randomBytes(32).toString('hex'),
    ...(options.phase1Quorum === undefined ? {} : { phase1Quorum: options.phase1Quorum }),
    ...(options.phase2Quorum === undefined ? {} : { phase2Quorum: options.phase2Quorum }),
    tickMs,
    site: { siteLimitW, ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}) },
    nodes: records.map(({ id, role, clusterPort, httpPort, servicePort }) => ({
      id,
      role,
      host,
      clusterPort,
      httpPort,
      servicePort,
    })),
  };
  // The secret is the cluster's only credential: readable by its owner only.
  fs.writeFileSync(clusterFile, `${JSON.stringify(description, null, 2)}\n`, { mode: 0o600 });
  const table: ProcessesFile = {
    dir,
    clusterFile,
    startedAt: new Date().toISOString(),
    nodes: records,
  };
  // Record before starting so that whatever happens next, `down` can find every pid.
  writeProcesses(table);
  const handle = new ClusterHandle(dir);
  try {
    for (const record of records) {
      record.pid = startProcess(record);
      writeProcesses(table);
    }
    const deadline = Date.now() + (options.readyTimeoutMs ?? clusterDefaults.readyTimeoutMs);
    await handle.waitForNodes(
      records.map((r) => r.id),
      deadline,
    );
    await handle.waitForLeader(Math.max(0, deadline - Date.now()));
    return handle;
  } catch (error) {
    await clusterDown(dir);
    throw error;
  }
}

function readPreviousCluster(file: string): { clusterId: string; secret: string } | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    if (typeof parsed.clusterId === 'string' && typeof parsed.secret === 'string') {
      return { clusterId: parsed.clusterId, secret: parsed.secret };
    }
  } catch {
    // No previous cluster here.
  }
  return null;
}

/** Opens the cluster recorded in `<dir>/processes.json` (throws `no-cluster` if there is none). */
export function openCluster(dir: string): ClusterHandle {
  readProcesses(path.resolve(dir));
  return new ClusterHandle(path.resolve(dir));
}

/**
 * Stops every node recorded in `<dir>/processes.json`: SIGTERM (and SIGCONT, so a paused node
 * can act on it), then SIGKILL whatever still runs after `graceMs`. Deletes nothing: logs, data
 * and the two JSON files stay for inspection and for a later `up` in the same dir.
 */
export async function clusterDown(dir: string, graceMs = DOWN_GRACE_MS): Promise<DownResult> {
  const table = readProcesses(path.resolve(dir));
  const result: DownResult = { stopped: [], killed: [], alreadyDown: [] };
  const running = table.nodes.filter((node) => {
    if (isNodeAlive(node.pid, node.id)) return true;
    result.alreadyDown.push(node.id);
    return false;
  });
  for (const node of running) {
    signalNode(node.pid, 'SIGTERM');
    signalNode(node.pid, 'SIGCONT');
  }
  const graceDeadline = Date.now() + graceMs;
  while (running.some((n) => isNodeAlive(n.pid, n.id)) && Date.now() < graceDeadline) {
    await sleep(POLL_INTERVAL_MS);
  }
  for (const node of running) {
    if (isNodeAlive(node.pid, node.id)) {
      signalNode(node.pid, 'SIGKILL');
      result.killed.push(node.id);
    } else {
      result.stopped.push(node.id);
    }
  }
  await waitForExit(running, 5_000);
  for (const node of table.nodes) node.paused = false;
  delete table.faults;
  writeProcesses(table);
  return result;
}

/** How long we wait for a dead node's zombie to be reaped before restarting it anyway. */
const REAP_WAIT_MS = 5_000;

async function waitForExit(nodes: readonly ProcessRecord[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (nodes.some((n) => isNodeAlive(n.pid, n.id))) {
    if (Date.now() > deadline) {
      const left = nodes.filter((n) => isNodeAlive(n.pid, n.id)).map((n) => `${n.id} (${n.pid})`);
      throw new LauncherError('start-failed', `Still running after SIGKILL: ${left.join(', ')}.`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/** Dead is not enough before a restart: the old pid must be reaped too (see `isGone`). */
async function waitForReaped(node: ProcessRecord): Promise<void> {
  const deadline = Date.now() + REAP_WAIT_MS;
  while (node.pid > 0 && !isGone(node.pid) && Date.now() < deadline) {
    await sleep(POLL_INTERVAL_MS);
  }
}

function describeError(error: unknown): string {
  if (error instanceof HttpTimeoutError) return 'no reply';
  const code = (error as NodeJS.ErrnoException).code;
  return code ?? (error instanceof Error ? error.message : String(error));
}

/**
 * A running local cluster, for the CLI and for tests. Every method re-reads processes.json, so
 * handles in different processes (the CLI is one process per command) see the same cluster.
 */
export class ClusterHandle {
  readonly dir: string;
  private readonly clientId = `launcher-${process.pid}-${randomBytes(4).toString('hex')}`;
  private seq = 0;
  private leaderHint: string | null = null;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  /** The processes table as it is on disk now. */
  table(): ProcessesFile {
    return readProcesses(this.dir);
  }

  get nodes(): readonly ProcessRecord[] {
    return this.table().nodes;
  }

  node(id: string): ProcessRecord {
    return findNode(this.table(), id);
  }

  url(id: string): string {
    const node = this.node(id);
    return `http://${node.host}:${node.httpPort}`;
  }

  isRunning(id: string): boolean {
    const node = this.node(id);
    return isNodeAlive(node.pid, node.id);
  }

  /** SIGKILL: a crash, with no chance to flush or say goodbye. Resolves once it is gone. */
  async killNode(id: string): Promise<void> {
    const table = this.table();
    const node = findNode(table, id);
    if (!isNodeAlive(node.pid, node.id)) {
      throw new LauncherError('node-down', `${id} is not running (pid ${node.pid}).`);
    }
    signalNode(node.pid, 'SIGKILL');
    await waitForExit([node], 5_000);
    node.paused = false;
    writeProcesses(table);
  }

  /**
   * Starts the node again with the same arguments (a running node is SIGKILLed first: a crash
   * and restart), re-applies the partition rules it had, and resolves once it answers /status.
   */
  async restartNode(id: string, timeoutMs = clusterDefaults.readyTimeoutMs): Promise<void> {
    const table = this.table();
    const node = findNode(table, id);
    if (isNodeAlive(node.pid, node.id)) {
      signalNode(node.pid, 'SIGKILL');
      await waitForExit([node], 5_000);
    }
    await waitForReaped(node);
    node.pid = startProcess(node);
    node.paused = false;
    writeProcesses(table);
    await this.waitForNodes([id], Date.now() + timeoutMs);
    const rules = table.faults?.[id];
    if (rules && rules.length > 0) await this.putFaults(id, rules);
  }

  /** SIGSTOP: the process freezes with its sockets open, like a long GC pause or a hung VM. */
  pauseNode(id: string): void {
    const table = this.table();
    const node = findNode(table, id);
    if (!isNodeAlive(node.pid, node.id)) {
      throw new LauncherError('node-down', `${id} is not running (pid ${node.pid}).`);
    }
    signalNode(node.pid, 'SIGSTOP');
    node.paused = true;
    writeProcesses(table);
  }

  /** SIGCONT. */
  resumeNode(id: string): void {
    const table = this.table();
    const node = findNode(table, id);
    if (!isNodeAlive(node.pid, node.id)) {
      throw new LauncherError('node-down', `${id} is not running (pid ${node.pid}).`);
    }
    signalNode(node.pid, 'SIGCONT');
    node.paused = false;
    writeProcesses(table);
  }

  /**
   * Cuts the cluster into sides: every node drops all traffic to and from every node on another
   * side (PUT /faults). A spec is `"central-a,cp1,cp2 | central-b,cp3,cp4,cp5"` or the sides as
   * arrays. It replaces any earlier partition. Nodes that are down get their rules on restart.
   */
  async partition(spec: string | readonly (readonly string[])[]): Promise<void> {
    const table = this.table();
    const ids = table.nodes.map((n) => n.id);
    const text = typeof spec === 'string' ? spec : spec.map((side) => side.join(',')).join(' | ');
    const sides = parsePartitionSpec(text, ids);
    const rules = partitionRules(sides);
    const faults: Record<string, FaultRule[]> = {};
    for (const id of ids) faults[id] = rules[id] ?? [];
    table.faults = faults;
    writeProcesses(table);
    await Promise.all(
      table.nodes
        .filter((n) => isNodeAlive(n.pid, n.id) && !n.paused)
        .map((n) => this.putFaults(n.id, faults[n.id] ?? [])),
    );
  }

  /** Removes every fault rule on every running node (DELETE /faults). */
  async heal(): Promise<void> {
    const table = this.table();
    delete table.faults;
    writeProcesses(table);
    await Promise.all(
      table.nodes
        .filter((n) => isNodeAlive(n.pid, n.id) && !n.paused)
        .map(async (n) => {
          const reply = await httpJson(`${this.url(n.id)}/faults`, 'DELETE', undefined, 5_000);
          if (reply.status !== 200) {
            throw new LauncherError('http-error', `DELETE /faults on ${n.id}: ${reply.status}.`);
          }
        }),
    );
  }

  private async putFaults(id: string, rules: readonly FaultRule[]): Promise<void> {
    const reply = await httpJson(`${this.url(id)}/faults`, 'PUT', { rules }, 5_000);
    if (reply.status !== 200) {
      throw new LauncherError(
        'http-error',
        `PUT /faults on ${id}: ${reply.status} ${JSON.stringify(reply.body)}.`,
      );
    }
  }

  /**
   * Submits one command and resolves once it is decided and applied (POST /submit). Tries the
   * last known leader first, follows 421 redirects, and on a timeout or a dead central retries
   * the *same* (clientId, seq) elsewhere — safe because a retried command is applied once.
   */
  async submit(command: unknown, options: SubmitOptions = {}): Promise<SubmitResult> {
    const started = Date.now();
    // Site commands carry the submitter's clock (docs/SITE.md) and a central refuses one without
    // it (400): stamp it when the caller left it out, as the central system does for OCPP-born
    // commands. Once, so a retry of the same (clientId, seq) is the same command.
    const payload =
      typeof command === 'object' &&
      command !== null &&
      !Array.isArray(command) &&
      'type' in command &&
      !('atMs' in command)
        ? { ...command, atMs: started }
        : command;
    const deadline = started + (options.timeoutMs ?? 12_000);
    const clientId = options.clientId ?? this.clientId;
    const seq = options.seq ?? (this.seq += 1);
    const follow = options.follow ?? true;
    const table = this.table();
    // Centrals this launcher paused or found dead are tried last: a SIGSTOPped central accepts
    // the TCP connection and then never answers, which would eat the whole timeout.
    const allCentrals = table.nodes.filter((n) => n.role === 'central');
    const responsive = allCentrals.filter((n) => !n.paused && isNodeAlive(n.pid, n.id));
    const centrals = [...responsive, ...allCentrals.filter((n) => !responsive.includes(n))].map(
      (n) => n.id,
    );
    if (options.via !== undefined) {
      const via = findNode(table, options.via);
      if (via.role !== 'central') {
        throw new LauncherError(
          'invalid-option',
          `${via.id} is a charge point: submit to a central.`,
        );
      }
    }
    const order = (first: string | null) =>
      first === null || !responsive.some((n) => n.id === first)
        ? centrals
        : [first, ...centrals.filter((id) => id !== first)];
    let queue = options.via !== undefined ? [options.via] : order(this.leaderHint);
    let lastProblem = 'no central answered';
    let attempt = 0;
    while (Date.now() < deadline) {
      const target = queue[attempt % queue.length]!;
      attempt += 1;
      const remainingMs = deadline - Date.now();
      let reply;
      try {
        reply = await httpJson(
          `${this.url(target)}/submit`,
          'POST',
          { payload, clientId, seq },
          Math.max(1, remainingMs),
        );
      } catch (error) {
        lastProblem = `${target}: ${describeError(error)}`;
        if (options.via !== undefined && !follow) break;
        await sleep(POLL_INTERVAL_MS);
        continue;
      }
      const body = (reply.body ?? {}) as Record<string, unknown>;
      if (reply.status === 200) {
        this.leaderHint = target;
        const answer = body as unknown as SubmitReply;
        return { ...answer, clientId, seq, nodeId: target, latencyMs: Date.now() - started };
      }
      if (reply.status === 400) {
        throw new LauncherError(
          'submit-rejected',
          `${target} refused the command: ${String(body.reason ?? body.error)}.`,
        );
      }
      lastProblem = `${target}: ${reply.status} ${String(body.error ?? '')}`.trim();
      if (reply.status === 421) {
        const leaderId = typeof body.leaderId === 'string' ? body.leaderId : null;
        if (!follow) break;
        if (leaderId !== null && centrals.includes(leaderId) && leaderId !== target) {
          queue = order(leaderId);
          attempt = 0;
          continue;
        }
      }
      // 503 overloaded, 504 timeout, or a 421 with no leader known yet: pause, then try on.
      await sleep(POLL_INTERVAL_MS * 2);
    }
    throw new LauncherError(
      'submit-timeout',
      `The command (${clientId} #${seq}) was not acknowledged within ${Date.now() - started} ms: ${lastProblem}.`,
    );
  }

  /** GET /status of one node (throws if it does not answer). */
  async nodeStatus(id: string, timeoutMs = STATUS_TIMEOUT_MS): Promise<StatusBody> {
    const reply = await httpJson(`${this.url(id)}/status`, 'GET', undefined, timeoutMs);
    if (reply.status !== 200) {
      throw new LauncherError('http-error', `GET /status on ${id}: ${reply.status}.`);
    }
    return reply.body as StatusBody;
  }

  /** Every node's state and, where it answers, its /status. */
  async status(): Promise<NodeStatusRow[]> {
    const table = this.table();
    return Promise.all(
      table.nodes.map(async (node): Promise<NodeStatusRow> => {
        const base = {
          id: node.id,
          role: node.role,
          pid: node.pid,
          httpUrl: `http://${node.host}:${node.httpPort}`,
        };
        if (!isNodeAlive(node.pid, node.id)) return { ...base, state: 'down', status: null };
        if (node.paused) return { ...base, state: 'paused', status: null };
        try {
          return { ...base, state: 'up', status: await this.nodeStatus(node.id) };
        } catch (error) {
          return { ...base, state: 'unresponsive', status: null, error: describeError(error) };
        }
      }),
    );
  }

  /** Every applied entry of one node's log (GET /log, page by page). */
  async log(id: string): Promise<LogBody> {
    const entries: LogEntry[] = [];
    let from = 0;
    let appliedThrough = -1;
    for (;;) {
      const reply = await httpJson(
        `${this.url(id)}/log?from=${from}&limit=1000`,
        'GET',
        undefined,
        5_000,
      );
      if (reply.status !== 200) {
        throw new LauncherError('http-error', `GET /log on ${id}: ${reply.status}.`);
      }
      const page = reply.body as LogBody;
      appliedThrough = page.appliedThrough;
      entries.push(...page.entries);
      const last = page.entries[page.entries.length - 1];
      if (!last || last.slot >= page.appliedThrough) break;
      from = last.slot + 1;
    }
    return { appliedThrough, entries };
  }

  /**
   * Resolves with the leader once a running central reports itself leader (Phase 1 done). With
   * `among`, only those centrals count (e.g. the majority side of a partition).
   */
  async waitForLeader(
    timeoutMs = clusterDefaults.readyTimeoutMs,
    among?: readonly string[],
  ): Promise<{ leaderId: string; ballot: BallotBody | null }> {
    const deadline = Date.now() + timeoutMs;
    let seen = 'no central answered';
    for (;;) {
      const table = this.table();
      const centrals = table.nodes.filter(
        (n) =>
          n.role === 'central' &&
          (among === undefined || among.includes(n.id)) &&
          isNodeAlive(n.pid, n.id) &&
          !n.paused,
      );
      const answers = await Promise.all(
        centrals.map((n) => this.nodeStatus(n.id, 500).catch(() => null)),
      );
      const leaders = answers.filter(
        (s): s is StatusBody => s !== null && s.paxos.proposerState === 'leader',
      );
      leaders.sort((a, b) =>
        a.paxos.ballot && b.paxos.ballot ? compareBallots(b.paxos.ballot, a.paxos.ballot) : 0,
      );
      const leader = leaders[0];
      if (leader) {
        this.leaderHint = leader.id;
        return { leaderId: leader.id, ballot: leader.paxos.ballot };
      }
      seen = answers
        .map((s, i) => `${centrals[i]!.id}: ${s ? (s.paxos.proposerState ?? '-') : 'no answer'}`)
        .join(', ');
      if (Date.now() >= deadline) {
        throw new LauncherError('no-leader', `No leader elected within ${timeoutMs} ms (${seen}).`);
      }
      await sleep(POLL_INTERVAL_MS * 2);
    }
  }

  /** Resolves once each node answers /status; fails fast, with its log, if one exits. */
  async waitForNodes(ids: readonly string[], deadline: number): Promise<void> {
    const waiting = new Set(ids);
    while (waiting.size > 0) {
      const table = this.table();
      for (const id of [...waiting]) {
        const node = findNode(table, id);
        if (!isNodeAlive(node.pid, node.id)) {
          throw new LauncherError(
            'start-failed',
            `${id} exited during start (pid ${node.pid}); the end of ${node.logFile}:\n${logTail(node.logFile)}`,
          );
        }
        try {
          await this.nodeStatus(id, 500);
          waiting.delete(id);
        } catch {
          // Not listening yet.
        }
      }
      if (waiting.size === 0) return;
      if (Date.now() >= deadline) {
        const tails = [...waiting].map((id) => {
          const node = findNode(table, id);
          return `${id} (${node.logFile}):\n${logTail(node.logFile)}`;
        });
        throw new LauncherError(
          'not-ready',
          `Not answering /status in time: ${[...waiting].join(', ')}.\n${tails.join('\n')}`,
        );
      }
      await sleep(POLL_INTERVAL_MS * 2);
    }
  }

  /** `clusterDown` for this cluster. */
  down(graceMs = DOWN_GRACE_MS): Promise<DownResult> {
    return clusterDown(this.dir, graceMs);
  }
}

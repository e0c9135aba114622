import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { compareBallots, type Ballot } from '@evpaxos/paxos';
import {
  isNodeAlive,
  signalNode,
  type FaultRule,
  type LogEntry,
  type LogView,
  type NodeRole,
  type ProcessRecord,
  type ProcessesFile,
  type StatusView,
  type SubmitView,
} from '@evpaxos/runtime';
import {
  DOWN_GRACE_MS,
  POLL_INTERVAL_MS,
  STATUS_TIMEOUT_MS,
  clusterDefaults,
} from './cluster-defaults';
import { clusterDown, waitForExit, waitForReaped, type DownResult } from './cluster-down';
import { LauncherError } from './errors';
import { HttpTimeoutError, httpJson, readApiToken } from './http-client';
import { parsePartitionSpec, partitionRules } from './partition-spec';
import { findNode, logTail, readProcesses, startProcess, writeProcesses } from './process-table';

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

export interface SubmitResult extends SubmitView {
  readonly clientId: string;
  readonly seq: number;
  /** The central that answered. */
  readonly nodeId: string;
  readonly latencyMs: number;
}

export type NodeState = 'up' | 'down' | 'paused' | 'unresponsive';

export interface NodeStatusRow {
  readonly id: string;
  readonly role: NodeRole;
  readonly pid: number;
  readonly state: NodeState;
  readonly httpUrl: string;
  /** The node's GET /status, when it answered. */
  readonly status: StatusView | null;
  readonly error?: string;
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

  /**
   * The cluster's API token (docs/CLUSTER.md, "Authentication"): `<dir>/api-token`, written by
   * `cluster up`. Every state change the handle makes sends it.
   */
  get apiToken(): string | undefined {
    return readApiToken(this.dir);
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
    this.stopOrContinue(id, 'SIGSTOP');
  }

  /** SIGCONT. */
  resumeNode(id: string): void {
    this.stopOrContinue(id, 'SIGCONT');
  }

  /** Pause or resume a running node, and record it: a stopped process cannot say so itself. */
  private stopOrContinue(id: string, signal: 'SIGSTOP' | 'SIGCONT'): void {
    const table = this.table();
    const node = findNode(table, id);
    if (!isNodeAlive(node.pid, node.id)) {
      throw new LauncherError('node-down', `${id} is not running (pid ${node.pid}).`);
    }
    signalNode(node.pid, signal);
    node.paused = signal === 'SIGSTOP';
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
          const reply = await httpJson(
            `${this.url(n.id)}/faults`,
            'DELETE',
            undefined,
            5_000,
            this.apiToken,
          );
          if (reply.status !== 200) {
            throw new LauncherError('http-error', `DELETE /faults on ${n.id}: ${reply.status}.`);
          }
        }),
    );
  }

  private async putFaults(id: string, rules: readonly FaultRule[]): Promise<void> {
    const reply = await httpJson(`${this.url(id)}/faults`, 'PUT', { rules }, 5_000, this.apiToken);
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
          this.apiToken,
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
        const answer = body as unknown as SubmitView;
        return { ...answer, clientId, seq, nodeId: target, latencyMs: Date.now() - started };
      }
      if (reply.status === 400) {
        throw new LauncherError(
          'submit-rejected',
          `${target} refused the command: ${String(body.reason ?? body.error)}.`,
        );
      }
      if (reply.status === 401 || reply.status === 403 || reply.status === 415) {
        throw new LauncherError(
          'unauthorized',
          `${target} refused the request (${reply.status}): ${String(body.reason ?? body.error)}`,
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
  async nodeStatus(id: string, timeoutMs = STATUS_TIMEOUT_MS): Promise<StatusView> {
    const reply = await httpJson(`${this.url(id)}/status`, 'GET', undefined, timeoutMs);
    if (reply.status !== 200) {
      throw new LauncherError('http-error', `GET /status on ${id}: ${reply.status}.`);
    }
    return reply.body as StatusView;
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
  async log(id: string): Promise<LogView> {
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
      const page = reply.body as LogView;
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
  ): Promise<{ leaderId: string; ballot: Ballot | null }> {
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
        (s): s is StatusView => s !== null && s.paxos.proposerState === 'leader',
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

import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { evMachine, evseMachine, siteConfigSection } from '@evpaxos/site';
import {
  ApiGuard,
  apiToken,
  configSection,
  HttpTimeoutError,
  httpJson,
  isGone,
  isNodeAlive,
  readProcessesFile,
  startNodeProcess,
  tracedMessageTypes,
  writeProcessesFile,
  type ExtraRouteRequest,
  type ExtraRouteResponse,
  type Logger,
  type RoleExtension,
  type FaultRule,
  type RunningNode,
  type StatsView,
  type StatusView,
  type TraceView,
} from '@evpaxos/runtime';
import { Collector, type EvseReading, type ReservationView } from './collector';
import {
  DASHBOARD_LIMITS,
  DASHBOARD_PATH,
  DASHBOARD_WS_PATH,
  SITE_LIMIT_W_SHOWN_DEFAULT,
} from './constants';

export interface DashboardOptions {
  /** Lab mode: kill/restart/partition/heal buttons. Default: the node's `lab` config (EVPAXOS_LAB). */
  readonly lab?: boolean;
  /** The launcher's cluster dir (processes.json), for restarts. Default: EVPAXOS_CLUSTER_DIR. */
  readonly clusterDir?: string;
  /** Default DASHBOARD_LIMITS.pollIntervalMs. */
  readonly pollIntervalMs?: number;
}

/**
 * The page and its two scripts, read once from packages/dashboard/static (no CDN, no build step).
 * Found by the package's name, not by this file's place: a central runs this code from a bundle
 * in packages/cli/dist/bundle (docs/CLUSTER.md, "Memory").
 */
export const staticDir = path.join(
  path.dirname(require.resolve('@evpaxos/dashboard/package.json')),
  'static',
);
const assets: Record<string, { file: string; contentType: string }> = {
  [DASHBOARD_PATH]: { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  [`${DASHBOARD_PATH}/`]: { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  [`${DASHBOARD_PATH}/app.css`]: { file: 'app.css', contentType: 'text/css; charset=utf-8' },
  [`${DASHBOARD_PATH}/render.js`]: {
    file: 'render.js',
    contentType: 'text/javascript; charset=utf-8',
  },
  [`${DASHBOARD_PATH}/sequence.js`]: {
    file: 'sequence.js',
    contentType: 'text/javascript; charset=utf-8',
  },
  [`${DASHBOARD_PATH}/app.js`]: { file: 'app.js', contentType: 'text/javascript; charset=utf-8' },
};

/** A lab action refused with a reason (400), e.g. an unknown node. */
class LabError extends Error {}

/**
 * The live dashboard of one central: polls every node, keeps the view (Collector), serves the
 * page under /dashboard and pushes the view to browsers over /dashboard/ws; in lab mode it also
 * runs kill, restart, partition and heal through the nodes' own fault API.
 */
export class DashboardServer {
  private readonly collector: Collector;
  private readonly viewers: WebSocketServer;
  /**
   * The sockets that have had their snapshot: only these get updates. A socket joins after its
   * snapshot is sent, so an update can never reach a viewer before the snapshot it builds on
   * (welcome awaits a poll, and that poll's broadcast would otherwise reach it first).
   */
  private readonly watching = new Set<WebSocket>();
  private readonly lab: boolean;
  private readonly clusterDir: string | undefined;
  private readonly siteLimitW: number;
  private readonly cleanups: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private polling = false;
  /** When GET /dashboard/api/view was last asked (Date.now ms): a reader polling over HTTP. */
  private viewAskedAtMs = Number.NEGATIVE_INFINITY;
  /** When the last poll finished (Date.now ms). */
  private polledAtMs = Number.NEGATIVE_INFINITY;
  private closed = false;
  private sentSeq = 0;
  /** Per node, the last GET /trace seq read (docs/CLUSTER.md, "Message trace"). */
  private readonly traceAfter = new Map<string, number>();
  /** The cluster's API token: the lab actions' calls to the nodes carry it (docs/CLUSTER.md). */
  private readonly token: string;
  private readonly guard: ApiGuard;

  constructor(
    private readonly running: RunningNode,
    private readonly logger: Logger,
    options: DashboardOptions = {},
  ) {
    this.lab = options.lab ?? running.config.lab;
    this.token = apiToken(running.config.secret, running.config.clusterId);
    this.guard = new ApiGuard(this.token, []);
    this.clusterDir = options.clusterDir ?? process.env.EVPAXOS_CLUSTER_DIR;
    this.siteLimitW =
      configSection(running.config, siteConfigSection)?.siteLimitW ?? SITE_LIMIT_W_SHOWN_DEFAULT;
    this.collector = new Collector(running.config.nodes, Date.now);
    this.viewers = new WebSocketServer({
      noServer: true,
      maxPayload: 4096,
      perMessageDeflate: false,
    });
    this.viewers.on('connection', (socket) => void this.welcome(socket));
    const node = running.node;
    this.cleanups.push(
      node.onApplied((entries) => this.collector.applied(entries)),
      node.onEvent((event) => this.collector.nodeEvent(running.config.id, event)),
      running.addHttpRoutes((request) => this.route(request)),
      running.addUpgradeRoute(DASHBOARD_WS_PATH, (request, socket, head) => {
        if (this.viewers.clients.size >= DASHBOARD_LIMITS.viewersMax) {
          socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
          return;
        }
        this.viewers.handleUpgrade(request, socket, head, (ws) =>
          this.viewers.emit('connection', ws, request),
        );
      }),
    );
    const intervalMs = options.pollIntervalMs ?? DASHBOARD_LIMITS.pollIntervalMs;
    // No viewer, no polling (docs/DASHBOARD.md): each poll is 2 HTTP requests to every charge
    // point, 4 a second per central, ~9 % of an idle charge point's CPU (docs/BENCHMARKS.md).
    this.timer = setInterval(() => {
      if (this.isWatched()) void this.poll();
    }, intervalMs);
    this.statsTimer = setInterval(() => void this.logStats(), DASHBOARD_LIMITS.statsLogIntervalMs);
    void this.poll();
  }

  get url(): string {
    return `http://${this.running.config.self.host}:${this.running.httpPort}${DASHBOARD_PATH}`;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.statsTimer) clearInterval(this.statsTimer);
    for (const cleanup of this.cleanups) cleanup();
    for (const client of this.viewers.clients) client.terminate();
    await new Promise<void>((resolve) => this.viewers.close(() => resolve()));
  }

  private labView() {
    return { enabled: this.lab, restart: this.lab && this.clusterDir !== undefined };
  }

  private fullView() {
    return this.collector.view(this.running.config.id, this.labView(), this.siteLimitW);
  }

  /** A browser is connected, or an HTTP reader asked for the view lately (viewReaderIdleMs). */
  private isWatched(): boolean {
    return (
      this.viewers.clients.size > 0 ||
      Date.now() - this.viewAskedAtMs < DASHBOARD_LIMITS.viewReaderIdleMs
    );
  }

  /** Polls first when the readings are older than a poll interval (nobody was watching). */
  private async fresh(): Promise<void> {
    if (Date.now() - this.polledAtMs > DASHBOARD_LIMITS.pollIntervalMs) await this.poll();
  }

  private async welcome(socket: WebSocket): Promise<void> {
    socket.on('error', () => undefined);
    socket.on('close', () => this.watching.delete(socket));
    await this.fresh();
    if (socket.readyState !== socket.OPEN || this.closed) return;
    socket.send(
      JSON.stringify({
        type: 'snapshot',
        machines: { evse: evseMachine, ev: evMachine },
        view: this.fullView(),
      }),
    );
    this.watching.add(socket);
  }

  /** Reads every node's /status (and /evse on charge points) in parallel, then pushes the view. */
  private async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      await Promise.all(
        [...this.collector.nodes.values()].map(async (node) => {
          const status = await getJson<StatusView>(`${node.httpUrl}/status`);
          let evse: { value: EvseReading | null; error: string | null } = {
            value: null,
            error: null,
          };
          if (status.value !== null && node.role === 'charge-point') {
            evse = await getJson<EvseReading>(`${node.httpUrl}/evse`);
          }
          this.collector.reading(node.id, status.value, evse.value, status.error);
          // Only a node that says it traces is asked: an untraced cluster costs no extra request.
          if (status.value?.trace === true) await this.readTrace(node.id, node.httpUrl);
        }),
      );
      const reservations = await getJson<{ reservations: Omit<ReservationView, 'endedAtMs'>[] }>(
        `http://${this.running.config.self.host}:${this.running.httpPort}/reservations`,
      );
      this.collector.reservationsRead(reservations.value?.reservations ?? null);
      this.collector.observeLeader();
      this.broadcast();
    } finally {
      this.polledAtMs = Date.now();
      this.polling = false;
    }
  }

  /** The node's traced messages since the last read; from the start again after it restarted. */
  private async readTrace(id: string, url: string): Promise<void> {
    const after = this.traceAfter.get(id) ?? 0;
    const trace = await getJson<TraceView>(`${url}/trace?after=${after}`);
    if (trace.value === null) return;
    // A restarted node counts from 1 again: its lastSeq falls below what was read before.
    if (trace.value.lastSeq < after) {
      this.traceAfter.set(id, 0);
      return;
    }
    this.traceAfter.set(id, trace.value.lastSeq);
    this.collector.traced(id, trace.value.events);
  }

  /**
   * A "cluster-stats" log line (read by `evpaxos report`): every node's cumulative frame and sync
   * counts from its /stats, and this central's commit latency histogram (cumulative buckets).
   */
  private async logStats(): Promise<void> {
    if (this.closed) return;
    const nodes: Record<string, unknown> = {};
    await Promise.all(
      [...this.collector.nodes.values()].map(async (node) => {
        const stats = await getJson<StatsView>(`${node.httpUrl}/stats`);
        if (stats.value === null) return;
        const sum = (counts: Record<string, number>) =>
          Object.values(counts).reduce((total, count) => total + count, 0);
        nodes[node.id] = {
          framesOut: sum(stats.value.transport.framesOutByKind),
          messagesOut: splitMessages(stats.value.transport.framesOutByKind),
          framesIn: sum(stats.value.transport.framesInByKind),
          syncs: stats.value.store?.syncCount ?? 0,
          appliedThrough: stats.value.appliedThrough,
        };
      }),
    );
    const { buckets, count, sumSeconds } = this.running.node.metrics.commitLatencySummary();
    this.logger.info('cluster-stats', {
      nodes,
      commitLatency: { buckets, count, sumSeconds },
    });
  }

  private broadcast(): void {
    if (this.watching.size === 0) {
      this.sentSeq = this.fullView().seq;
      return;
    }
    const view = this.collector.view(
      this.running.config.id,
      this.labView(),
      this.siteLimitW,
      this.sentSeq,
    );
    this.sentSeq = view.seq;
    const text = JSON.stringify({ type: 'update', view });
    for (const client of this.watching) {
      if (client.readyState === client.OPEN) client.send(text);
    }
  }

  private async route(request: ExtraRouteRequest): Promise<ExtraRouteResponse | undefined> {
    if (!request.path.startsWith(DASHBOARD_PATH)) return undefined;
    const asset = assets[request.path];
    if (asset !== undefined && request.method === 'GET') {
      return {
        status: 200,
        contentType: asset.contentType,
        body: fs.readFileSync(path.join(staticDir, asset.file)),
        headers: { 'Cache-Control': 'no-cache' },
      };
    }
    if (request.path === `${DASHBOARD_PATH}/api/view` && request.method === 'GET') {
      this.viewAskedAtMs = Date.now();
      await this.fresh();
      return {
        status: 200,
        body: { machines: { evse: evseMachine, ev: evMachine }, view: this.fullView() },
      };
    }
    if (request.path === `${DASHBOARD_PATH}/api/session` && request.method === 'POST') {
      return this.session(request);
    }
    const lab = /^\/dashboard\/api\/lab\/(kill|restart|partition|heal|fault|recover|trace)$/.exec(
      request.path,
    );
    if (lab !== null && request.method === 'POST') {
      if (!this.lab) {
        return {
          status: 403,
          body: {
            error: 'not-lab',
            reason: 'Lab actions need lab mode (evpaxos cluster up --lab).',
          },
        };
      }
      const body = ((await request.readJson()) ?? {}) as Record<string, unknown>;
      try {
        const result = await this.labAction(lab[1] as string, body);
        void this.poll();
        return { status: 200, body: result };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        this.logger.warn('dashboard: lab action failed', { action: lab[1], reason });
        return { status: error instanceof LabError ? 400 : 500, body: { error: 'lab', reason } };
      }
    }
    return undefined;
  }

  /**
   * The browser's token exchange: the page posts the token it was given (the URL fragment
   * `cluster up --lab` prints, which no server or proxy sees, or one pasted into the page) with
   * an Authorization header — the API has checked it, Origin and Host already — and gets it back
   * as an HttpOnly, SameSite=Strict cookie, so its lab actions are authenticated and no script
   * can read the token.
   */
  private async session(request: ExtraRouteRequest): Promise<ExtraRouteResponse> {
    const body = (await request.readJson()) as { token?: unknown } | null;
    if (!this.guard.isToken(body?.token)) {
      return { status: 400, body: { error: 'invalid-request', reason: 'The body needs "token".' } };
    }
    return {
      status: 200,
      body: { session: true },
      headers: { 'Set-Cookie': this.guard.sessionCookie() },
    };
  }

  private labAction(action: string, body: Record<string, unknown>): Promise<unknown> {
    this.logger.info('dashboard-lab', { action, ...body });
    switch (action) {
      case 'kill':
        return this.kill(this.nodeId(body.node));
      case 'restart':
        return this.restart(this.nodeId(body.node));
      case 'partition':
        return this.partition(body.sides);
      case 'fault':
      case 'recover':
        return this.evseFault(this.nodeId(body.node), action);
      case 'trace':
        return this.trace(body.on);
      default:
        return this.heal();
    }
  }

  private nodeId(value: unknown): string {
    if (typeof value !== 'string' || !this.collector.nodes.has(value)) {
      throw new LabError(
        `Name a node of the cluster (${[...this.collector.nodes.keys()].join(', ')}).`,
      );
    }
    return value;
  }

  /** POST /evse/fault or /evse/recover on a charge point (docs/CLUSTER.md): its EVSE fails or recovers. */
  private async evseFault(id: string, action: 'fault' | 'recover') {
    const url = `${this.collector.nodes.get(id)?.httpUrl ?? ''}/evse/${action}`;
    const answer = await httpJson(url, 'POST', {}, 2_000, this.token);
    const body = (answer.body ?? {}) as { reason?: string; state?: string };
    if (answer.status !== 200) {
      throw new LabError(body.reason ?? `${id} refused ${action} (${answer.status}).`);
    }
    this.collector.note('lab', `lab: ${action} ${id}`);
    return { node: id, state: body.state };
  }

  /** POST /admin/kill on the node: it SIGKILLs itself (a crash, as `evpaxos kill`). */
  private async kill(id: string) {
    const url = `${this.collector.nodes.get(id)?.httpUrl ?? ''}/admin/kill`;
    const answer = await httpJson(url, 'POST', {}, 2_000, this.token);
    if (answer.status !== 202) throw new LabError(`${id} refused the kill (${answer.status}).`);
    this.collector.note('lab', `lab: killed ${id}`);
    return { killed: id };
  }

  /** Starts the node again from processes.json (as `evpaxos restart`), then puts its fault rules back. */
  private async restart(id: string) {
    const dir = this.clusterDir;
    if (dir === undefined) {
      throw new LabError(
        'Restart needs the cluster dir (EVPAXOS_CLUSTER_DIR, set by cluster up --lab).',
      );
    }
    if (id === this.running.config.id) {
      throw new LabError(
        `${id} serves this dashboard: restart it from another central or the CLI.`,
      );
    }
    const table = readProcessesFile(dir);
    const record = table.nodes.find((node) => node.id === id);
    if (record === undefined) throw new LabError(`${id} is not in ${dir}/processes.json.`);
    if (isNodeAlive(record.pid, id)) {
      process.kill(record.pid, 'SIGKILL');
    }
    // A charge point's store lock sees a zombie as its holder: wait until the old pid is reaped.
    const reapedBy = Date.now() + 5_000;
    while (record.pid > 0 && !isGone(record.pid) && Date.now() < reapedBy) await sleep(25);
    record.pid = startNodeProcess(record);
    record.paused = false;
    writeProcessesFile(dir, table);
    const url = `http://${record.host}:${record.httpPort}`;
    const deadline = Date.now() + DASHBOARD_LIMITS.restartReadyTimeoutMs;
    while ((await getJson(`${url}/status`)).value === null) {
      if (Date.now() > deadline) throw new Error(`${id} did not answer /status after its restart.`);
      await sleep(50);
    }
    const rules = table.faults?.[id];
    if (rules && rules.length > 0) await this.putFaults(url, rules);
    this.collector.note('lab', `lab: restarted ${id} (pid ${record.pid})`);
    return { restarted: id, pid: record.pid };
  }

  /** Every listed node drops all traffic with the other sides (the CLI's partition). */
  private async partition(sidesRaw: unknown) {
    if (
      !Array.isArray(sidesRaw) ||
      sidesRaw.length < 2 ||
      !sidesRaw.every((side) => Array.isArray(side) && side.length > 0)
    ) {
      throw new LabError('A partition needs "sides": two or more non-empty lists of node ids.');
    }
    const sides = (sidesRaw as unknown[][]).map((side) => side.map((id) => this.nodeId(id)));
    const seen = new Set<string>();
    for (const id of sides.flat()) {
      if (seen.has(id)) throw new LabError(`${id} is on more than one side.`);
      seen.add(id);
    }
    const faults: Record<string, FaultRule[]> = {};
    for (const id of this.collector.nodes.keys()) faults[id] = [];
    sides.forEach((side, index) => {
      const others = sides.filter((_, other) => other !== index).flat();
      for (const id of side) {
        faults[id] = others.map((peer) => ({ peer, direction: 'both', action: 'drop' }));
      }
    });
    this.rememberFaults(faults);
    const failed = await this.onEveryUpNode((url, id) => this.putFaults(url, faults[id] ?? []));
    const text = sides.map((side) => side.join(',')).join(' | ');
    this.collector.note('lab', `lab: partition ${text}`);
    return { partition: sides, unreachable: failed };
  }

  /** PUT /trace {on} on every node: the message-sequence view's switch (docs/CLUSTER.md). */
  private async trace(on: unknown) {
    if (typeof on !== 'boolean') throw new LabError('Trace needs "on": true or false.');
    const failed = await this.onEveryUpNode(async (url) => {
      const answer = await httpJson(`${url}/trace`, 'PUT', { on }, 2_000, this.token);
      if (answer.status !== 200) throw new Error(`PUT /trace: ${answer.status}`);
    });
    this.collector.note('lab', `lab: trace ${on ? 'on' : 'off'}`);
    return { trace: on, unreachable: failed };
  }

  private async heal() {
    this.rememberFaults(undefined);
    const failed = await this.onEveryUpNode(async (url) => {
      const answer = await httpJson(`${url}/faults`, 'DELETE', undefined, 2_000, this.token);
      if (answer.status !== 200) throw new Error(`DELETE /faults: ${answer.status}`);
    });
    this.collector.note('lab', 'lab: heal');
    return { healed: true, unreachable: failed };
  }

  /** As the launcher does, so `evpaxos restart` (and ours) put a restarted node's rules back. */
  private rememberFaults(faults: Record<string, FaultRule[]> | undefined): void {
    if (this.clusterDir === undefined) return;
    try {
      const table = readProcessesFile(this.clusterDir);
      if (faults === undefined) delete table.faults;
      else table.faults = faults;
      writeProcessesFile(this.clusterDir, table);
    } catch (error) {
      this.logger.warn('dashboard: cannot record faults in processes.json', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  private async putFaults(url: string, rules: readonly FaultRule[]): Promise<void> {
    const answer = await httpJson(`${url}/faults`, 'PUT', { rules }, 2_000, this.token);
    if (answer.status !== 200) throw new Error(`PUT /faults: ${answer.status}`);
  }

  /** Runs `action` on every node; returns the ids it failed on (down nodes get rules on restart). */
  private async onEveryUpNode(action: (url: string, id: string) => Promise<void>) {
    const failed: string[] = [];
    await Promise.all(
      [...this.collector.nodes.values()].map(async (node) => {
        try {
          await action(node.httpUrl, node.id);
        } catch {
          failed.push(node.id);
        }
      }),
    );
    return failed;
  }
}

/** Paxos Made Simple's phases and the commit, the messages a decision needs: the traced ones. */
const consensusTypes: ReadonlySet<string> = new Set(tracedMessageTypes);
/** The leader's liveness signal: sent every heartbeatTicks whatever the load (docs/PROTOCOL.md). */
const heartbeatTypes = new Set(['heartbeat', 'heartbeat-ack']);

/**
 * Messages sent, by what they are for (the report's messages per decision): consensus (the
 * phases), heartbeat (time-driven, so per decision it falls as the load rises) and other
 * (catch-up, handshakes).
 */
function splitMessages(byKind: Readonly<Record<string, number>>) {
  const split = { consensus: 0, heartbeat: 0, other: 0 };
  for (const [kind, count] of Object.entries(byKind)) {
    if (consensusTypes.has(kind)) split.consensus += count;
    else if (heartbeatTypes.has(kind)) split.heartbeat += count;
    else split.other += count;
  }
  return split;
}

/**
 * A node's JSON over the one HTTP client of the API (httpJson), not `fetch`: Node's fetch (undici,
 * its HTTP parser a WebAssembly module) held ~2.4 MiB more heap and ~7 MiB more RSS in a central
 * that polls every few seconds (docs/BENCHMARKS.md, "Issue 21: a charge point's heap, fifth session").
 * The error is what the dashboard shows for an unreachable node: the socket's code, `TimeoutError`,
 * or the HTTP status.
 */
async function getJson<T>(url: string): Promise<{ value: T | null; error: string | null }> {
  try {
    const answer = await httpJson(url, 'GET', undefined, DASHBOARD_LIMITS.pollTimeoutMs);
    if (answer.status !== 200) return { value: null, error: `HTTP ${answer.status}` };
    // Every route polled answers a JSON object; anything else is a broken reply, not a reading.
    if (answer.body === null || typeof answer.body !== 'object') {
      return { value: null, error: 'not JSON' };
    }
    return { value: answer.body as T, error: null };
  } catch (error) {
    if (error instanceof HttpTimeoutError) return { value: null, error: 'TimeoutError' };
    const code = (error as { code?: unknown }).code;
    return {
      value: null,
      error: typeof code === 'string' ? code : error instanceof Error ? error.name : String(error),
    };
  }
}

/**
 * The dashboard as a role extension: `attach` starts it on a running central. Compose it with the
 * central's own extension (composeExtensions in index.ts).
 */
export function dashboardExtension(
  options: DashboardOptions = {},
): Required<Pick<RoleExtension, 'attach' | 'configSections'>> {
  return {
    // The page shows the site's limit: the section the central's extension reads too.
    configSections: [siteConfigSection],
    async attach(running: RunningNode, logger: Logger) {
      const server = new DashboardServer(running, logger, options);
      logger.info('dashboard', { url: server.url, lab: options.lab ?? running.config.lab });
      return { close: () => server.close() };
    },
  };
}

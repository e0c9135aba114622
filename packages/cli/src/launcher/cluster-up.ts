import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ocppSecurityConfigSection } from '@evpaxos/ocpp';
import { SITE_LIMIT_W_MAX, siteConfigSection } from '@evpaxos/site';
import {
  ConfigError,
  apiToken,
  defaultAcceptors,
  isNodeAlive,
  resolveProcessConfig,
  processesPath,
  writeApiTokenFile,
  type NodeRole,
  type ProcessRecord,
  type ProcessesFile,
} from '@evpaxos/runtime';
import {
  clusterDefaults,
  EVPAXOS_BIN,
  LEARNER_V8_FLAGS,
  NODE_V8_FLAGS,
  nodeMallocEnv,
  type ClusterUpOptions,
} from './cluster-defaults';
import { clusterDown } from './cluster-down';
import { ClusterHandle } from './cluster-handle';
import { LauncherError } from './errors';
import { NODES_PER_BASE_PORT_MAX, SERVICE_PORT_OFFSET, choosePorts, type NodePorts } from './ports';
import { readProcesses, startProcess, writeProcesses } from './process-table';
import { demoOcppSecurity } from '../commands/ocpp-certs';

function nodeIds(centrals: number, chargePoints: number): { id: string; role: NodeRole }[] {
  const ids: { id: string; role: NodeRole }[] = [];
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
  const settings = checkUpOptions(options);
  const dir = path.resolve(options.dir);
  // A dir this call creates is removed again if it fails before a node started (a busy port):
  // nothing is left behind. Once nodes ran, they are stopped and their logs kept: the error
  // points at them.
  const created = !fs.existsSync(dir);
  fs.mkdirSync(dir, { recursive: true });
  try {
    return await startCluster(dir, settings, options);
  } catch (error) {
    if (created && !anyNodeStarted(dir)) fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function anyNodeStarted(dir: string): boolean {
  try {
    return readProcesses(dir).nodes.some((node) => node.pid > 0);
  } catch {
    return false;
  }
}

async function startCluster(
  dir: string,
  settings: UpSettings,
  options: ClusterUpOptions,
): Promise<ClusterHandle> {
  refuseRunningCluster(dir, options.dir);
  const clusterFile = path.join(dir, 'cluster.json');
  // A cluster restarted in the same dir keeps its id and secret: its charge points' stores hold
  // promises made in that cluster, and the nodes must still authenticate each other.
  const previous = readPreviousCluster(clusterFile);
  const ranBefore = nodesThatRanBefore(dir);
  const members = nodeIds(settings.centrals, settings.chargePoints + settings.spares);
  const spareIds = members.slice(members.length - settings.spares).map((member) => member.id);
  const ports = await choosePorts(members.length, settings.basePort, settings.host);
  const learners = learnersOf(members, spareIds, options);
  const records: ProcessRecord[] = members.map((member, index) =>
    nodeRecord(
      { ...member, learner: learners.has(member.id) },
      ports[index]!,
      dir,
      clusterFile,
      settings,
      options,
      ranBefore,
    ),
  );
  const description = {
    ...clusterDescription(records, previous, settings, options, spareIds),
    // docs/OCPP.md, "Security profiles": the charge points speak wss:// with Basic auth.
    ocppSecurity: demoOcppSecurity(dir, settings.host),
  };
  refuseImpossibleCluster(description);
  // The secret is the cluster's only credential: readable by its owner only.
  fs.writeFileSync(clusterFile, `${JSON.stringify(description, null, 2)}\n`, { mode: 0o600 });
  // The API token beside processes.json, for the CLI and scripts (docs/CLUSTER.md, "Authentication").
  writeApiTokenFile(dir, apiToken(description.secret, description.clusterId));
  const table: ProcessesFile = {
    dir,
    clusterFile,
    startedAt: new Date().toISOString(),
    nodes: records,
  };
  // Record before starting so that whatever happens next, `down` can find every pid.
  writeProcesses(table);
  const handle = new ClusterHandle(dir);
  // Spares wait for `evpaxos cluster add-node`; a spare that ran before is a node of this site now.
  const started = records.filter(
    (record) => !spareIds.includes(record.id) || ranBefore.has(record.id),
  );
  try {
    for (const record of started) {
      record.pid = startProcess(record);
      writeProcesses(table);
    }
    const deadline = Date.now() + (options.readyTimeoutMs ?? clusterDefaults.readyTimeoutMs);
    await handle.waitForNodes(
      started.map((r) => r.id),
      deadline,
    );
    await handle.waitForLeader(Math.max(0, deadline - Date.now()));
    // Every charge point has run on its data dir now: a restart must find its state there.
    table.nodes.forEach((record, index) => {
      if (!started.includes(record)) return;
      if (record.dataDir !== null && !record.args.includes(MUST_EXIST_FLAG))
        table.nodes[index] = { ...record, args: [...record.args, MUST_EXIST_FLAG] };
    });
    writeProcesses(table);
    return handle;
  } catch (error) {
    await clusterDown(dir);
    throw error;
  }
}

/** The options `clusterUp` checks, with their defaults filled in. */
interface UpSettings {
  readonly centrals: number;
  readonly chargePoints: number;
  readonly basePort: number;
  readonly tickMs: number;
  readonly host: string;
  readonly siteLimitW: number;
  readonly logLevel: string;
  readonly spares: number;
}

/** Fills in the defaults; every out-of-range option at once, as one `invalid-option`. */
function checkUpOptions(options: ClusterUpOptions): UpSettings {
  const centrals = options.centrals ?? clusterDefaults.centrals;
  const chargePoints = options.chargePoints ?? clusterDefaults.chargePoints;
  const basePort = options.basePort ?? clusterDefaults.basePort;
  const tickMs = options.tickMs ?? clusterDefaults.tickMs;
  const host = options.host ?? clusterDefaults.host;
  const siteLimitW = options.siteLimitW ?? clusterDefaults.siteLimitW;
  const spares = options.spares ?? 0;
  const problems = [
    checkCount('spares', spares, 0, NODES_PER_BASE_PORT_MAX - 9 - chargePoints),
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
  const logLevel = options.logLevel ?? clusterDefaults.logLevel;
  return { centrals, chargePoints, basePort, tickMs, host, siteLimitW, logLevel, spares };
}

/**
 * Reads the cluster file as every node will (resolveProcessConfig, with the site's section), before
 * any process starts: a cluster that cannot work (quorums that do not intersect, a site too small
 * for its charge points, an acceptor that is no charge point) is refused here, exit 2, one
 * sentence per problem — never found at run time (docs/CLUSTER.md).
 */
function refuseImpossibleCluster(description: ReturnType<typeof clusterDescription>): void {
  const central = description.nodes.find((node) => node.role === 'central');
  if (central === undefined) return;
  try {
    resolveProcessConfig({
      role: 'central',
      flags: { id: central.id, clusterFile: 'cluster.json' },
      env: {},
      readFile: () => JSON.stringify(description),
      sections: [siteConfigSection, ocppSecurityConfigSection],
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new LauncherError('invalid-option', error.problems.join(' '));
  }
}

/** A dir holds one cluster at a time: refuse while a node recorded there still runs. */
function refuseRunningCluster(dir: string, dirAsGiven: string): void {
  if (!fs.existsSync(processesPath(dir))) return;
  const running = readProcesses(dir).nodes.filter((node) => isNodeAlive(node.pid, node.id));
  if (running.length > 0) {
    throw new LauncherError(
      'cluster-already-up',
      `A cluster is already up in ${dir} (${running.map((n) => `${n.id} pid ${n.pid}`).join(', ')}): run "evpaxos cluster down --dir ${dirAsGiven}" first, or use another --dir.`,
    );
  }
}

/**
 * Tells a charge point that it ran on its data dir before, so a dir deleted whole is refused as
 * lost state instead of starting as a new acceptor (docs/STORAGE.md, "Knowing what was lost").
 */
const MUST_EXIST_FLAG = '--data-dir-must-exist';

/** Nodes an earlier `cluster up` in this dir brought up (their records carry the flag). */
function nodesThatRanBefore(dir: string): Set<string> {
  if (!fs.existsSync(processesPath(dir))) return new Set();
  try {
    const nodes = readProcesses(dir).nodes;
    return new Set(nodes.filter((n) => n.args.includes(MUST_EXIST_FLAG)).map((n) => n.id));
  } catch {
    // An unreadable table names no node; refuseRunningCluster already reported a broken one.
    return new Set();
  }
}

/**
 * The charge points that only learn: neither in the acceptors the file will list nor spares (a
 * spare is there to become an acceptor). A learner that a membership change makes an acceptor
 * keeps its flags: it works, with the learner's V8 flags (docs/CLUSTER.md, "Memory").
 */
function learnersOf(
  members: readonly { id: string; role: NodeRole }[],
  spareIds: readonly string[],
  options: ClusterUpOptions,
): Set<string> {
  const running = members.filter((member) => !spareIds.includes(member.id));
  const acceptors = options.acceptors ?? defaultAcceptors(running);
  return new Set(
    running
      .filter((member) => member.role === 'charge-point' && !acceptors.includes(member.id))
      .map((member) => member.id),
  );
}

/** One node's processes.json record: how to start it, and again after a crash. */
function nodeRecord(
  { id, role, learner }: { id: string; role: NodeRole; learner: boolean },
  { clusterPort, httpPort, servicePort }: NodePorts,
  dir: string,
  clusterFile: string,
  settings: UpSettings,
  options: ClusterUpOptions,
  ranBefore: ReadonlySet<string>,
): ProcessRecord {
  const bin = options.bin ?? EVPAXOS_BIN;
  const dataDir = role === 'charge-point' ? path.join(dir, 'data', id) : null;
  const profile =
    options.cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir];
  const args = [
    ...(options.v8Flags ?? NODE_V8_FLAGS),
    ...(learner ? (options.learnerV8Flags ?? LEARNER_V8_FLAGS) : []),
    ...profile,
    bin,
    role,
    '--id',
    id,
  ];
  args.push('--cluster-file', clusterFile);
  args.push('--log-level', settings.logLevel, '--tick-ms', String(settings.tickMs));
  if (dataDir !== null) args.push('--data-dir', dataDir);
  if (dataDir !== null && options.unsafeNoFsync) args.push('--unsafe-no-fsync');
  if (dataDir !== null && ranBefore.has(id)) args.push(MUST_EXIST_FLAG);
  if (options.trace) args.push('--trace');
  return {
    id,
    role,
    pid: 0,
    host: settings.host,
    clusterPort,
    httpPort,
    servicePort,
    logFile: path.join(dir, 'logs', `${id}.log`),
    dataDir,
    args,
    env: {
      ...(options.nodeEnv ?? nodeMallocEnv()),
      ...(options.lab ? { EVPAXOS_LAB: '1', EVPAXOS_CLUSTER_DIR: dir } : {}),
    },
  };
}

/** cluster.json (docs/CLUSTER.md): what every node reads with --cluster-file. */
function clusterDescription(
  records: readonly ProcessRecord[],
  previous: { clusterId: string; secret: string } | null,
  settings: UpSettings,
  options: ClusterUpOptions,
  spareIds: readonly string[],
) {
  const nodes = records.map(({ id, role, clusterPort, httpPort, servicePort }) => ({
    id,
    role,
    host: settings.host,
    clusterPort,
    httpPort,
    servicePort,
  }));
  return {
    clusterId: previous?.clusterId ?? options.clusterId ?? clusterDefaults.clusterId,
    secret: previous?.secret ?? randomBytes(32).toString('hex'),
    // Written out even when defaulted, so the file says who votes (docs/CLUSTER.md).
    // Spares vote only once `evpaxos member add` makes them (docs/CLUSTER.md, "Membership").
    acceptors: options.acceptors ?? defaultAcceptors(nodes.filter((n) => !spareIds.includes(n.id))),
    ...(options.phase1Quorum === undefined ? {} : { phase1Quorum: options.phase1Quorum }),
    ...(options.phase2Quorum === undefined ? {} : { phase2Quorum: options.phase2Quorum }),
    tickMs: settings.tickMs,
    site: {
      siteLimitW: settings.siteLimitW,
      // A spare is a charge point of the site once started: the site is built for it too.
      chargePointsMax: options.chargePointsMax ?? settings.chargePoints + settings.spares,
      ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
    },
    nodes,
  };
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

import * as fs from 'node:fs';
import { ConfigError, resolveConfig as resolvePaxosConfig, type NodeId } from '@evpaxos/paxos';
import { clusterSecretBytesMin } from '@evpaxos/transport';
import { checkAcceptors, readAcceptors } from './acceptors';
import {
  defaultRuntimeLimits,
  logLevels,
  type LogLevel,
  type NodeRole,
  type RuntimeLimits,
} from './constants';

export { ConfigError };

/** One member of the cluster, as the cluster file (or `--nodes`) describes it. */
export interface ClusterMember {
  readonly id: NodeId;
  readonly role: NodeRole;
  readonly host: string;
  /** The WebSocket mesh port. */
  readonly clusterPort: number;
  /** The HTTP admin and client API port. */
  readonly httpPort: number;
  /**
   * The role's service port: OCPP-J (CSMS) on a central, the EV link on a charge point. Optional:
   * a consensus-only cluster has none.
   */
  readonly servicePort?: number;
}

/** Everything one process needs, validated: what `resolveProcessConfig` returns. */
export interface ProcessConfig extends RuntimeLimits {
  readonly id: NodeId;
  readonly role: NodeRole;
  readonly clusterId: string;
  /** Never logged. */
  readonly secret: string;
  readonly nodes: readonly ClusterMember[];
  readonly self: ClusterMember;
  /**
   * The charge points that vote (Paxos acceptors), in the cluster file's order; the other charge
   * points are learners: a full replica and the same EVSE, no vote. Default (defaultAcceptors):
   * every charge point up to ACCEPTORS_ALL_MAX, beyond that the first ACCEPTORS_DEFAULT_LARGE.
   */
  readonly acceptors: readonly NodeId[];
  readonly phase1Quorum: number | undefined;
  readonly phase2Quorum: number | undefined;
  /** How long one Paxos tick lasts. */
  readonly tickMs: number;
  readonly logLevel: LogLevel;
  /** The address both servers bind; default: this node's host in the node list. */
  readonly listenHost: string;
  /** Charge points only. */
  readonly dataDir: string | undefined;
  readonly unsafeNoFsync: boolean;
  /** Charge points: the node ran on dataDir before, so an empty dir is lost state (docs/STORAGE.md). */
  readonly dataDirMustExist: boolean;
  /**
   * Lab mode (EVPAXOS_LAB=1, set by `evpaxos cluster up --lab`): the node accepts POST
   * /admin/kill, and a central's dashboard shows kill/restart/partition/heal buttons. Default false:
   * a production node must not let an HTTP caller crash it.
   */
  readonly lab: boolean;
  /** Record and log every Prepare … Decide this node sends or receives (GET /trace). Default off. */
  readonly trace: boolean;
  /**
   * The cluster file's role sections that the input declared (ProcessConfigInput.sections), as
   * their readers returned them, by key; a section the file does not have is absent. Read one
   * with `configSection`.
   */
  readonly sections: Readonly<Record<string, unknown>>;
}

/**
 * A top-level section of the cluster file that a role owns, not the runtime: the site's
 * `"site": { "siteLimitW": 44000 }` belongs to the central and charge point roles, which know the
 * site (docs/SITE.md). The runtime allows the key only when a section declares it, and hands its
 * value to `read`, so the section's problems are reported with every other (all at once).
 */
export interface ConfigSection<Value> {
  /** The cluster file's top-level key. */
  readonly key: string;
  /** Checks the raw value: one sentence per problem into `problems`; undefined when refused. */
  read(value: unknown, problems: string[]): Value | undefined;
  /**
   * Completes the value once the node list is known (defaults that follow from it, rules between
   * the section and the nodes), also when the file has no such key: one sentence per problem.
   */
  complete?(value: Value | undefined, nodes: readonly ClusterMember[], problems: string[]): Value;
}

/** The value `section` read from the cluster file, or undefined when the file has none. */
export function configSection<Value>(
  config: ProcessConfig,
  section: ConfigSection<Value>,
): Value | undefined {
  // Sound: resolveProcessConfig stores under section.key only what a reader of that key returned,
  // and composeExtensions refuses two readers for one key.
  return config.sections[section.key] as Value | undefined;
}

/**
 * The raw inputs, each a flat record of option names (camelCase). Sources take precedence in this
 * order: flags > env > `--config` file > cluster file.
 */
export interface ProcessConfigInput {
  /** Which command is starting: the node's role in the cluster must match it. */
  readonly role: NodeRole;
  /** Parsed command-line flags (camelCase keys; undefined means "not given"). */
  readonly flags: Readonly<Record<string, unknown>>;
  /** The environment; only `EVPAXOS_*` variables are read. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Reads a file as text; injected so tests need no disk. Default: fs.readFileSync. */
  readonly readFile?: (path: string) => string;
  /** The cluster-file sections the role owns (RoleExtension.configSections). Default none. */
  readonly sections?: readonly ConfigSection<unknown>[];
}

type OptionKind = 'string' | 'integer' | 'boolean' | 'nodes' | 'acceptors';

/** Every option, by its camelCase name; the env name is EVPAXOS_<UPPER_SNAKE>. */
const optionKinds = {
  id: 'string',
  clusterFile: 'string',
  config: 'string',
  clusterId: 'string',
  secret: 'string',
  secretFile: 'string',
  nodes: 'nodes',
  acceptors: 'acceptors',
  phase1Quorum: 'integer',
  phase2Quorum: 'integer',
  tickMs: 'integer',
  logLevel: 'string',
  listenHost: 'string',
  dataDir: 'string',
  unsafeNoFsync: 'boolean',
  dataDirMustExist: 'boolean',
  lab: 'boolean',
  trace: 'boolean',
  pendingClientCallsMax: 'integer',
  clientCallTimeoutMs: 'integer',
  appliedEntriesKeptMax: 'integer',
  appliedCommandsKeptMax: 'integer',
  httpBodyBytesMax: 'integer',
  logReadEntriesMax: 'integer',
} as const satisfies Record<string, OptionKind>;

type OptionName = keyof typeof optionKinds;
const optionNames = Object.keys(optionKinds) as OptionName[];

/**
 * Keys a cluster file may hold besides the roles' sections (the launcher writes it; see
 * docs/CLUSTER.md).
 */
const clusterFileKeys = new Set([
  'clusterId',
  'secret',
  'phase1Quorum',
  'phase2Quorum',
  'tickMs',
  'nodes',
  'acceptors',
]);

export const tickMsDefault = 10;

export function envName(option: string): string {
  return `EVPAXOS_${option.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`;
}

/**
 * Merges and validates a process's configuration. Throws ConfigError with one sentence per
 * problem, all of them at once, so a person fixes a config in one go.
 */
export function resolveProcessConfig(input: ProcessConfigInput): ProcessConfig {
  const problems: string[] = [];
  const { pick, clusterPath, sections } = gatherSources(input, problems);
  const options = readOptions(pick, problems);
  const { id, nodes, phase1Quorum, phase2Quorum, limits } = options;
  checkOptions(options, clusterPath, problems);
  const self = nodes === undefined ? undefined : findSelf(nodes, id, input.role, problems);
  const acceptors = nodes === undefined ? [] : checkAcceptors(nodes, options.acceptors, problems);
  if (nodes !== undefined) {
    for (const section of input.sections ?? []) {
      if (section.complete === undefined) continue;
      sections[section.key] = section.complete(sections[section.key], nodes, problems);
    }
  }
  if (input.role === 'charge-point' && options.dataDir === undefined) {
    problems.push(
      'A charge point needs a data dir for its durable acceptor state: give --data-dir.',
    );
  }

  // The core's own rules (quorums, Flexible Paxos q1 + q2 > n) are checked once it has a membership.
  if (problems.length === 0 && nodes !== undefined && id !== undefined) {
    try {
      resolvePaxosConfig({
        id,
        cluster: membershipOf(nodes, acceptors, phase1Quorum, phase2Quorum),
      });
    } catch (error) {
      if (error instanceof ConfigError) problems.push(...error.problems);
      else throw error;
    }
  }

  if (problems.length > 0 || self === undefined || nodes === undefined) {
    throw new ConfigError(problems);
  }
  return {
    ...limits,
    id: self.id,
    role: self.role,
    clusterId: options.clusterId as string,
    secret: options.secret as string,
    nodes,
    self,
    acceptors,
    phase1Quorum,
    phase2Quorum,
    tickMs: options.tickMs,
    logLevel: options.logLevel as LogLevel,
    listenHost: options.listenHost ?? self.host,
    dataDir: options.dataDir,
    unsafeNoFsync: options.unsafeNoFsync,
    dataDirMustExist: options.dataDirMustExist,
    lab: options.lab,
    trace: options.trace,
    sections,
  };
}

/**
 * The sources in precedence order (flags > env > `--config` file > cluster file), as one lookup
 * by option name, and the role sections the cluster file holds.
 */
function gatherSources(
  input: ProcessConfigInput,
  problems: string[],
): {
  pick: (name: OptionName) => unknown;
  clusterPath: string | undefined;
  sections: Record<string, unknown>;
} {
  const readFile = input.readFile ?? ((path: string) => fs.readFileSync(path, 'utf8'));
  const env = input.env ?? {};
  const fromFlags = pickKnown(input.flags, 'flag', problems, false);
  const fromEnv: Record<string, unknown> = {};
  for (const name of optionNames) {
    const value = env[envName(name)];
    if (value !== undefined && value !== '') fromEnv[name] = value;
  }
  const configPath = str(fromFlags.config ?? fromEnv.config);
  const fromConfigFile =
    configPath === undefined
      ? {}
      : pickKnown(readJson(configPath, 'config file', readFile, problems), 'config file', problems);
  const clusterPath = str(
    fromFlags.clusterFile ?? fromEnv.clusterFile ?? fromConfigFile.clusterFile,
  );
  const fromClusterFile: Record<string, unknown> = {};
  const sections: Record<string, unknown> = {};
  if (clusterPath !== undefined) {
    const raw = readJson(clusterPath, 'cluster file', readFile, problems);
    for (const [key, value] of Object.entries(raw)) {
      const section = input.sections?.find((candidate) => candidate.key === key);
      if (section !== undefined) {
        const read = section.read(value, problems);
        if (read !== undefined) sections[key] = read;
      } else if (clusterFileKeys.has(key)) fromClusterFile[key] = value;
      else problems.push(`The cluster file ${clusterPath} has an unknown key "${key}".`);
    }
  }
  const sources = [fromFlags, fromEnv, fromConfigFile, fromClusterFile];
  for (const source of sources) readSecretFile(source, readFile, problems);
  const pick = (name: OptionName): unknown => {
    for (const source of sources) if (source[name] !== undefined) return source[name];
    return undefined;
  };
  return { pick, clusterPath, sections };
}

/**
 * `secretFile` (EVPAXOS_SECRET_FILE, --secret-file) is the secret given as a file: a Docker or
 * Kubernetes secret mounted into the container (docs/DEPLOY.md), so the secret is in no
 * environment that `docker inspect` or /proc/PID/environ shows. It takes the rank of the source
 * that names it; one source giving both is refused. Trailing line breaks are dropped (`echo` and
 * `openssl rand -hex 32` end the file with one).
 */
function readSecretFile(
  source: Record<string, unknown>,
  readFile: (path: string) => string,
  problems: string[],
): void {
  const path = source.secretFile;
  if (path === undefined) return;
  delete source.secretFile;
  if (typeof path !== 'string' || path === '') {
    problems.push('secretFile must be a non-empty string.');
    return;
  }
  if (source.secret !== undefined) {
    problems.push(`Give the secret or a secret file (${path}), not both.`);
    return;
  }
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    problems.push(`The secret file ${path} cannot be read (${(error as Error).message}).`);
    return;
  }
  const secret = text.replace(/[\r\n]+$/, '');
  if (secret === '') problems.push(`The secret file ${path} is empty.`);
  else source.secret = secret;
}

/** Every option read and type-checked on its own (undefined where absent or refused). */
function readOptions(pick: (name: OptionName) => unknown, problems: string[]) {
  const options = {
    id: readString(pick('id'), 'id', problems),
    clusterId: readString(pick('clusterId'), 'clusterId', problems),
    secret: readString(pick('secret'), 'secret', problems),
    nodes: readNodes(pick('nodes'), problems),
    acceptors: readAcceptors(pick('acceptors'), problems),
    phase1Quorum: readInteger(pick('phase1Quorum'), 'phase1Quorum', 1, problems),
    phase2Quorum: readInteger(pick('phase2Quorum'), 'phase2Quorum', 1, problems),
    tickMs: readInteger(pick('tickMs'), 'tickMs', 1, problems) ?? tickMsDefault,
    logLevel: readString(pick('logLevel'), 'logLevel', problems) ?? 'info',
    listenHost: readString(pick('listenHost'), 'listenHost', problems),
    dataDir: readString(pick('dataDir'), 'dataDir', problems),
    unsafeNoFsync: readBoolean(pick('unsafeNoFsync'), 'unsafeNoFsync', problems) ?? false,
    dataDirMustExist: readBoolean(pick('dataDirMustExist'), 'dataDirMustExist', problems) ?? false,
    lab: readBoolean(pick('lab'), 'lab', problems) ?? false,
    trace: readBoolean(pick('trace'), 'trace', problems) ?? false,
    limits: { ...defaultRuntimeLimits } as Record<keyof RuntimeLimits, number>,
  };
  for (const name of Object.keys(defaultRuntimeLimits) as (keyof RuntimeLimits)[]) {
    const value = readInteger(pick(name), name, 1, problems);
    if (value !== undefined) options.limits[name] = value;
  }
  return options;
}

/** The rules between options and the ones a missing option breaks. */
function checkOptions(
  options: ReturnType<typeof readOptions>,
  clusterPath: string | undefined,
  problems: string[],
): void {
  const { id, clusterId, secret, nodes, logLevel, limits, tickMs } = options;
  if (clusterPath === undefined && nodes === undefined) {
    problems.push('Give the cluster: --cluster-file F, or --cluster-id, --secret and --nodes.');
  }
  if (id === undefined) problems.push('The node id is missing: give --id.');
  if (clusterId === undefined) problems.push('The cluster id is missing (clusterId).');
  if (secret === undefined) {
    problems.push('The cluster secret is missing (secret or EVPAXOS_SECRET).');
  } else if (Buffer.byteLength(secret) < clusterSecretBytesMin) {
    problems.push(
      `The cluster secret is too short: it needs at least ${clusterSecretBytesMin} bytes (64 hex characters recommended).`,
    );
  }
  if (!(logLevels as readonly string[]).includes(logLevel)) {
    problems.push(`The log level "${logLevel}" is not one of ${logLevels.join(', ')}.`);
  }
  if (limits.clientCallTimeoutMs < tickMs) {
    problems.push(
      `clientCallTimeoutMs (${limits.clientCallTimeoutMs}) must be at least tickMs (${tickMs}), or every call times out before a tick.`,
    );
  }
}

/** Checks the node list and finds this node in it, with the role this command starts. */
function findSelf(
  nodes: readonly ClusterMember[],
  id: string | undefined,
  role: NodeRole,
  problems: string[],
): ClusterMember | undefined {
  checkNodes(nodes, problems);
  if (id === undefined) return undefined;
  const self = nodes.find((node) => node.id === id);
  if (self === undefined) {
    problems.push(`The node id "${id}" is not in the cluster's node list.`);
  } else if (self.role !== role) {
    problems.push(
      `The node "${id}" is a ${self.role} in the cluster, but this command starts a ${role}.`,
    );
  }
  return self;
}

/** Centrals propose, the listed charge points accept, the other charge points are spares; every node learns. */
export function membershipOf(
  nodes: readonly ClusterMember[],
  acceptors: readonly NodeId[],
  phase1Quorum: number | undefined,
  phase2Quorum: number | undefined,
) {
  return {
    proposers: nodes.filter((node) => node.role === 'central').map((node) => node.id),
    acceptors,
    // Other charge points keep acceptor state: `evpaxos member add` can make them vote (docs/CLUSTER.md).
    spares: nodes
      .filter((node) => node.role === 'charge-point' && !acceptors.includes(node.id))
      .map((node) => node.id),
    learners: nodes.map((node) => node.id),
    ...(phase1Quorum !== undefined ? { phase1Quorum } : {}),
    ...(phase2Quorum !== undefined ? { phase2Quorum } : {}),
  };
}

/** Parses `id=role@host:clusterPort:httpPort[:servicePort],…` (the `--nodes` flag). */
export function parseNodeSpecs(text: string, problems: string[]): ClusterMember[] {
  const nodes: ClusterMember[] = [];
  for (const spec of text.split(',').map((part) => part.trim())) {
    if (spec === '') continue;
    const match = /^([^=@\s]+)=(central|charge-point)@([^:]+):(\d+):(\d+)(?::(\d+))?$/.exec(spec);
    if (!match) {
      problems.push(
        `The node spec "${spec}" is not of the form id=central|charge-point@host:clusterPort:httpPort[:servicePort].`,
      );
      continue;
    }
    const [, id, role, host, clusterPort, httpPort, servicePort] = match as unknown as [
      string,
      string,
      NodeRole,
      string,
      string,
      string,
      string | undefined,
    ];
    nodes.push({
      id,
      role,
      host,
      clusterPort: Number(clusterPort),
      httpPort: Number(httpPort),
      ...(servicePort !== undefined ? { servicePort: Number(servicePort) } : {}),
    });
  }
  return nodes;
}

function readNodes(value: unknown, problems: string[]): ClusterMember[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return parseNodeSpecs(value, problems);
  if (!Array.isArray(value)) {
    problems.push('nodes must be a list of nodes or a node spec string.');
    return undefined;
  }
  const nodes: ClusterMember[] = [];
  value.forEach((raw: unknown, index) => {
    const node = raw as Partial<Record<keyof ClusterMember, unknown>> | null;
    if (
      typeof node !== 'object' ||
      node === null ||
      typeof node.id !== 'string' ||
      (node.role !== 'central' && node.role !== 'charge-point') ||
      typeof node.host !== 'string' ||
      typeof node.clusterPort !== 'number' ||
      typeof node.httpPort !== 'number' ||
      (node.servicePort !== undefined && typeof node.servicePort !== 'number')
    ) {
      problems.push(
        `Node ${index} of the node list needs id, role (central or charge-point), host, clusterPort and httpPort.`,
      );
      return;
    }
    nodes.push({
      id: node.id,
      role: node.role,
      host: node.host,
      clusterPort: node.clusterPort,
      httpPort: node.httpPort,
      ...(typeof node.servicePort === 'number' ? { servicePort: node.servicePort } : {}),
    });
  });
  return nodes;
}

function checkNodes(nodes: readonly ClusterMember[], problems: string[]): void {
  if (nodes.length === 0) problems.push('The node list is empty.');
  const ids = new Set<string>();
  const endpoints = new Map<string, string>();
  for (const node of nodes) {
    if (node.id === '' || node.id.length > 128) {
      problems.push(`The node id "${node.id}" must have 1 to 128 characters.`);
    }
    if (ids.has(node.id)) problems.push(`The node id "${node.id}" is listed twice.`);
    ids.add(node.id);
    if (node.host === '') problems.push(`The node "${node.id}" has an empty host.`);
    for (const [name, port] of [
      ['clusterPort', node.clusterPort],
      ['httpPort', node.httpPort],
      ...(node.servicePort !== undefined ? [['servicePort', node.servicePort] as const] : []),
    ] as const) {
      // Port 0 would make peers unable to find the node: every port in the list is a real one.
      if (!Number.isInteger(port) || port < 1 || port > 65_535) {
        problems.push(`The ${name} of "${node.id}" (${port}) must be a port from 1 to 65535.`);
        continue;
      }
      const endpoint = `${node.host}:${port}`;
      const owner = endpoints.get(endpoint);
      if (owner !== undefined) {
        problems.push(`The port ${endpoint} is used twice (${owner} and ${node.id} ${name}).`);
      } else {
        endpoints.set(endpoint, `${node.id} ${name}`);
      }
    }
  }
  if (!nodes.some((node) => node.role === 'central')) {
    problems.push('The cluster needs at least one central node (the proposers).');
  }
  if (!nodes.some((node) => node.role === 'charge-point')) {
    problems.push('The cluster needs at least one charge point (the acceptors).');
  }
}

function readJson(
  path: string,
  what: string,
  readFile: (path: string) => string,
  problems: string[],
): Record<string, unknown> {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    problems.push(`The ${what} ${path} cannot be read (${(error as Error).message}).`);
    return {};
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
    problems.push(`The ${what} ${path} must hold a JSON object.`);
  } catch (error) {
    problems.push(`The ${what} ${path} is not valid JSON (${(error as Error).message}).`);
  }
  return {};
}

/** Keeps the known options of a source; an unknown key is a typo worth refusing. */
function pickKnown(
  source: Readonly<Record<string, unknown>>,
  what: string,
  problems: string[],
  refuseUnknown = true,
): Record<string, unknown> {
  const known: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    if (key in optionKinds) known[key] = value;
    else if (refuseUnknown) problems.push(`The ${what} has an unknown option "${key}".`);
  }
  return known;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function readString(value: unknown, name: string, problems: string[]): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    problems.push(`${name} must be a non-empty string.`);
    return undefined;
  }
  return value;
}

function readInteger(
  value: unknown,
  name: string,
  min: number,
  problems: string[],
): number | undefined {
  if (value === undefined) return undefined;
  // Env values arrive as text; flags and JSON as numbers.
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < min) {
    problems.push(`${name} must be a whole number of at least ${min} (got ${String(value)}).`);
    return undefined;
  }
  return number;
}

function readBoolean(value: unknown, name: string, problems: string[]): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  problems.push(`${name} must be true or false (got ${String(value)}).`);
  return undefined;
}

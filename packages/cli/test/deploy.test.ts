import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { choosePorts } from '../src/launcher/ports';
import { apiToken } from '@evpaxos/runtime';
import { httpJson } from '../src/launcher/http-client';

/**
 * The Docker files, checked without a Docker engine (docker-compose.test.ts runs them on a real
 * one where an engine runs; these checks hold everywhere):
 * - the Dockerfile is parsed and its invariants checked (multi-stage, production dependencies
 *   only, non-root user, a HEALTHCHECK on the admin API, the entrypoint that exists);
 * - docker-compose.yml is parsed, and every service's command and environment are run as local
 *   processes through the image's own entrypoint, service hostnames mapped to 127.0.0.1 and free
 *   ports: the cluster elects a leader and commits, a crashed charge point comes back from its
 *   "volume", and (once `evpaxos ev-emulator` exists) the default scenario runs;
 * - `docker-compose config -q` validates the file where Debian's docker-compose is installed.
 * So the compose file and the code cannot drift apart unnoticed.
 */

const root = path.resolve(__dirname, '../../../..');
const composePath = path.join(root, 'docker-compose.yml');
const dockerfilePath = path.join(root, 'Dockerfile');

// `yaml` is a dependency of @evpaxos/ev-emulator; resolve it from there.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const YAML = require(
  require.resolve('yaml', { paths: [path.join(root, 'packages/ev-emulator')] }),
) as typeof import('yaml');

interface ComposeService {
  command?: string[];
  environment?: Record<string, string | number | boolean>;
  env_file?: string | string[];
  volumes?: string[];
  ports?: string[];
  restart?: string;
  networks?: string[] | Record<string, unknown>;
  hostname?: string;
  container_name?: string;
  init?: boolean;
  build?: unknown;
  image?: string;
  depends_on?: Record<string, { condition: string }>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  networks?: Record<string, { name?: string } | null>;
  volumes?: Record<string, unknown>;
}

/** Compose's `${VAR}` / `${VAR:-default}` interpolation, with only the defaults (deterministic). */
function interpolate(value: string, vars: Record<string, string> = {}): string {
  return value.replace(
    /\$\{(\w+)(?::?-([^}]*))?\}/g,
    (_all, name: string, fallback?: string) => vars[name] ?? fallback ?? '',
  );
}

function loadCompose(): ComposeFile {
  return YAML.parse(fs.readFileSync(composePath, 'utf8'), { merge: true }) as ComposeFile;
}

/** KEY=VALUE lines; blank lines and # comments skipped (compose's env_file format). */
function readEnvFile(file: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of fs.readFileSync(path.join(root, file), 'utf8').split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const equals = trimmed.indexOf('=');
    vars[trimmed.slice(0, equals)] = trimmed.slice(equals + 1);
  }
  return vars;
}

/** A service's environment as the container sees it: env_file first, then `environment`. */
function serviceEnv(service: ComposeService): Record<string, string> {
  const env: Record<string, string> = {};
  const files = service.env_file === undefined ? [] : [service.env_file].flat();
  for (const file of files) Object.assign(env, readEnvFile(file));
  for (const [key, value] of Object.entries(service.environment ?? {})) {
    env[key] = interpolate(String(value));
  }
  return env;
}

interface NodeSpec {
  id: string;
  role: string;
  host: string;
  ports: [number, number, number];
}

function parseNodes(text: string): NodeSpec[] {
  return text.split(',').map((spec) => {
    const match = /^([^=]+)=([^@]+)@([^:]+):(\d+):(\d+):(\d+)$/.exec(spec.trim());
    if (!match) throw new Error(`bad node spec ${spec}`);
    return {
      id: match[1]!,
      role: match[2]!,
      host: match[3]!,
      ports: [Number(match[4]), Number(match[5]), Number(match[6])],
    };
  });
}

/** Dockerfile instructions, continuation lines joined, comments dropped, with their stage. */
function parseDockerfile(): {
  stage: number;
  name: string | undefined;
  op: string;
  args: string;
}[] {
  const text = fs.readFileSync(dockerfilePath, 'utf8').replace(/\\\n/g, ' ');
  const instructions: { stage: number; name: string | undefined; op: string; args: string }[] = [];
  let stage = -1;
  let name: string | undefined;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [op = '', ...rest] = trimmed.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      stage += 1;
      name = /\sAS\s+(\S+)/i.exec(` ${args}`)?.[1];
    }
    instructions.push({ stage, name, op: op.toUpperCase(), args });
  }
  return instructions;
}

const nodeServices = ['central-a', 'central-b', 'cp1', 'cp2', 'cp3', 'cp4', 'cp5'];

describe('deploy: Dockerfile', () => {
  const instructions = parseDockerfile();
  const stages = Math.max(...instructions.map((i) => i.stage)) + 1;
  const last = instructions.filter((i) => i.stage === stages - 1);
  const buildStage = instructions.filter((i) => i.stage === 0);

  it('is multi-stage: a build stage, and a runtime stage that copies only its output', () => {
    expect(stages).to.be.at.least(2);
    const from = instructions.filter((i) => i.op === 'FROM');
    for (const instruction of from) {
      // A small image: a slim or alpine Node 20 base (through the NODE_IMAGE build arg).
      const image = instruction.args.split(/\s+/)[0]!;
      const resolved = image.replace(/\$\{NODE_IMAGE\}/, 'node:20-slim');
      expect(resolved).to.match(/^node:20-(slim|alpine)/);
    }
    expect(fs.readFileSync(dockerfilePath, 'utf8')).to.match(/ARG NODE_IMAGE=node:20-slim/);
    const copyFrom = last.filter((i) => i.op === 'COPY' && i.args.includes('--from='));
    expect(copyFrom.map((i) => i.args).join(' ')).to.include(`--from=${buildStage[0]!.name}`);
  });

  it('has no `# syntax=` line (BuildKit would pull its frontend) and installs from every workspace manifest first', () => {
    const text = fs.readFileSync(dockerfilePath, 'utf8');
    expect(text).to.not.match(/^#\s*syntax\s*=/im);
    // The install layer comes from the manifests alone (cached while only sources change): it
    // must name every workspace's package.json, or `npm ci` misses a workspace.
    const manifests = buildStage
      .filter((i) => i.op === 'COPY')
      .map((i) => i.args.split(/\s+/)[0]!)
      .filter((source) => /^packages\/[^/]+\/package\.json$/.test(source));
    const workspaces = fs
      .readdirSync(path.join(root, 'packages'))
      .filter((name) => fs.existsSync(path.join(root, 'packages', name, 'package.json')))
      .map((name) => `packages/${name}/package.json`);
    expect(manifests.sort()).to.deep.equal(workspaces.sort());
  });

  it('builds with the npm commands CI runs, and installs only production dependencies to run', () => {
    const ciRun = fs.readFileSync(path.join(root, '.ci/run'), 'utf8');
    const buildRuns = buildStage.filter((i) => i.op === 'RUN').map((i) => i.args);
    // CI installs with `npm ci` (whose `prepare` builds); `npm test` builds with `npm run build`.
    expect(ciRun).to.match(/^npm ci$/m);
    expect(buildRuns.join(' && ')).to.match(/\bnpm ci\b/);
    expect(buildRuns.join(' && ')).to.match(/\bnpm run build\b/);
    const runtimeRuns = last.filter((i) => i.op === 'RUN').map((i) => i.args);
    // Production dependencies only, and no `prepare` (TypeScript is not there to run it).
    expect(runtimeRuns.join(' ')).to.match(/npm ci --omit=dev --ignore-scripts/);
    const rootPackage = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(rootPackage.scripts.prepare, 'the root prepare script the runtime stage skips').to.be.a(
      'string',
    );
  });

  it('runs as a non-root user, with the evpaxos entrypoint and a HEALTHCHECK on the admin API', () => {
    const user = last.filter((i) => i.op === 'USER').at(-1);
    expect(user, 'a USER in the runtime stage').to.not.equal(undefined);
    expect(user!.args).to.not.match(/^(root|0)(:|$)/);
    const entrypoint = JSON.parse(last.find((i) => i.op === 'ENTRYPOINT')!.args) as string[];
    expect(entrypoint).to.deep.equal(['node', 'packages/cli/bin/evpaxos.js']);
    expect(fs.existsSync(path.join(root, entrypoint[1]!))).to.equal(true);
    // The runtime stage needs the compiled CLI; npm test builds it before the tests run.
    expect(fs.existsSync(path.join(root, 'packages/cli/dist/src/index.js'))).to.equal(true);
    const healthcheck = last.find((i) => i.op === 'HEALTHCHECK');
    expect(healthcheck, 'a HEALTHCHECK').to.not.equal(undefined);
    const script = /CMD \["bash", "([^"]+)"\]/.exec(healthcheck!.args)?.[1];
    expect(script).to.equal('scripts/docker-healthcheck.sh');
    const copied = last
      .filter((i) => i.op === 'COPY' && !i.args.includes('--from='))
      .map((i) => i.args);
    expect(copied.join(' ')).to.include(script);
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const ignored = fs
      .readFileSync(path.join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    const copies = instructions.filter((i) => i.op === 'COPY' && !i.args.includes('--from='));
    for (const copy of copies) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources) {
        if (source === '.') continue;
        expect(fs.existsSync(path.join(root, source)), source).to.equal(true);
        expect(ignored, `${source} is excluded by .dockerignore`).to.not.include(source);
      }
    }
    // The things the build must not see: host node_modules and dist (it builds its own).
    expect(ignored).to.include.members(['**/node_modules', '**/dist']);
  });
});

describe('deploy: docker-compose.yml', function () {
  this.timeout(60_000);
  const compose = loadCompose();

  it('has the site: central-a, central-b, cp1…cp5 and ev-emulator, from one image', () => {
    expect(Object.keys(compose.services)).to.have.members([...nodeServices, 'ev-emulator']);
    const images = new Set(Object.values(compose.services).map((s) => s.image));
    // EVPAXOS_IMAGE names it (default evpaxos:local): the Docker tests give each run its own tag.
    expect([...images]).to.deep.equal(['${EVPAXOS_IMAGE:-evpaxos:local}']);
    // One build per `up`: only central-a builds; the others run the image it tags.
    const builders = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);
    expect(builders.map(([name, s]) => [name, s.build])).to.deep.equal([['central-a', '.']]);
    // No fixed names: the Compose project name decides containers, network and volumes, so
    // `-p site2` runs a second site on the same host.
    for (const service of Object.values(compose.services)) {
      expect(service.container_name).to.equal(undefined);
    }
    expect(compose.networks?.sitenet?.name).to.equal(undefined);
  });

  it('configures every node through EVPAXOS_* with service hostnames, ids and published HTTP ports', () => {
    const nodesText = serviceEnv(compose.services['central-a']!).EVPAXOS_NODES!;
    const nodes = parseNodes(nodesText);
    expect(nodes.map((n) => n.id)).to.deep.equal(nodeServices);
    for (const node of nodes) {
      const service = compose.services[node.id]!;
      const env = serviceEnv(service);
      expect(node.host, 'the node spec host is the service name').to.equal(node.id);
      expect(env.EVPAXOS_ID).to.equal(node.id);
      expect(env.EVPAXOS_NODES).to.equal(nodesText);
      expect(env.EVPAXOS_CLUSTER_ID).to.be.a('string');
      expect(env.EVPAXOS_LISTEN_HOST).to.equal('0.0.0.0');
      expect(env.EVPAXOS_SECRET, 'the secret comes from the env file').to.have.length.of.at.least(
        16,
      );
      expect(service.environment?.EVPAXOS_SECRET, 'never in the compose file').to.equal(undefined);
      expect(service.command).to.deep.equal([node.role]);
      // Published on localhost by default, at the node's own port numbers; a central's OCPP-J
      // endpoint too. EVPAXOS_HOST_PORT_PREFIX moves the host side (PREFIX100-106, PREFIX200-201).
      const published = (service.ports ?? []).map((port) => interpolate(port));
      const own = [node.ports[1], ...(node.role === 'central' ? [node.ports[2]] : [])];
      expect(published).to.deep.equal(own.map((port) => `127.0.0.1:${port}:${port}`));
      const moved = (service.ports ?? []).map((port) =>
        interpolate(port, { EVPAXOS_HOST_PORT_PREFIX: '8', EVPAXOS_PUBLISH_HOST: '0.0.0.0' }),
      );
      expect(moved).to.deep.equal(own.map((port) => `0.0.0.0:${port + 1000}:${port}`));
      expect(service.restart).to.equal('unless-stopped');
      // init: the process is not PID 1, so scripts/docker-kill.sh can crash it from inside.
      expect(service.init).to.equal(true);
    }
  });

  it('gives each charge point a named volume at its data dir, and puts everyone on sitenet', () => {
    for (const id of nodeServices.filter((name) => name.startsWith('cp'))) {
      const service = compose.services[id]!;
      const env = serviceEnv(service);
      expect(service.volumes).to.deep.equal([`${id}-data:${env.EVPAXOS_DATA_DIR}`]);
      expect(compose.volumes).to.have.property(`${id}-data`);
    }
    for (const service of Object.values(compose.services)) {
      expect(service.networks).to.deep.equal(['sitenet']);
    }
    // The scripts find the network by its Compose labels (network "sitenet" of the project).
    expect(compose.networks).to.have.property('sitenet');
  });

  it("lists the same nodes in the emulator's scripts/docker-cluster.json as in EVPAXOS_NODES", () => {
    const nodes = parseNodes(serviceEnv(compose.services['central-a']!).EVPAXOS_NODES!);
    const file = JSON.parse(
      fs.readFileSync(path.join(root, 'scripts/docker-cluster.json'), 'utf8'),
    ) as {
      nodes: {
        id: string;
        role: string;
        host: string;
        clusterPort: number;
        httpPort: number;
        servicePort: number;
      }[];
    };
    expect(file.nodes).to.deep.equal(
      nodes.map((node) => ({
        id: node.id,
        role: node.role,
        host: node.host,
        clusterPort: node.ports[0],
        httpPort: node.ports[1],
        servicePort: node.ports[2],
      })),
    );
    const emulator = compose.services['ev-emulator']!;
    const command = emulator.command ?? [];
    expect(command.slice(0, 3)).to.deep.equal([
      'ev-emulator',
      '--cluster-file',
      'scripts/docker-cluster.json',
    ]);
    expect(
      command.slice(3).map((arg) => interpolate(arg)),
      'real time unless EVPAXOS_SPEED is set',
    ).to.deep.equal(['--speed', '1']);
    expect(command.slice(3).map((arg) => interpolate(arg, { EVPAXOS_SPEED: '60' }))).to.deep.equal([
      '--speed',
      '60',
    ]);
    expect(Object.keys(emulator.depends_on ?? {})).to.have.members(nodeServices);
  });

  it('passes `docker-compose config -q` (where Debian docker-compose is installed)', function () {
    const probe = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      console.log(
        '      skipped: docker-compose is not installed (apt-get install docker-compose)',
      );
      this.skip();
    }
    const result = spawnSync('docker-compose', ['-f', composePath, 'config', '-q'], {
      encoding: 'utf8',
      cwd: root,
    });
    expect(result.stderr + result.stdout).to.equal('');
    expect(result.status).to.equal(0);
  });
});

describe('deploy: docker-compose.yml run as local processes (hostnames → 127.0.0.1)', function () {
  this.timeout(240_000);
  const compose = loadCompose();
  const children = new Map<string, ChildProcess>();
  let dir = '';
  let envs = new Map<string, Record<string, string>>();
  let httpPorts = new Map<string, number>();
  const entrypoint = (
    JSON.parse(parseDockerfile().find((i) => i.op === 'ENTRYPOINT')!.args) as string[]
  ).slice(1);

  /** A service as Docker would start it: entrypoint + command, the container's env. */
  function start(
    name: string,
    extraEnv: Record<string, string> = {},
    vars: Record<string, string> = {},
  ): ChildProcess {
    const service = compose.services[name]!;
    const env: Record<string, string> = {};
    // Only the container's variables: no EVPAXOS_* leaks in from the test's own environment.
    for (const [key, value] of Object.entries(process.env)) {
      if (!key.startsWith('EVPAXOS_') && value !== undefined) env[key] = value;
    }
    Object.assign(env, envs.get(name), extraEnv);
    const log = fs.openSync(path.join(dir, `${name}.log`), 'a');
    // Compose interpolates the command; a cluster file in it becomes the local one (hostnames → 127.0.0.1).
    const command = (service.command ?? []).map((arg) =>
      arg === 'scripts/docker-cluster.json'
        ? path.join(dir, 'cluster.json')
        : interpolate(arg, vars),
    );
    const child = spawn(process.execPath, [...entrypoint, ...command], {
      cwd: root,
      env,
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    children.set(name, child);
    return child;
  }

  async function stop(name: string, signal: NodeJS.Signals): Promise<void> {
    const child = children.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  async function status(name: string): Promise<Record<string, unknown> | undefined> {
    const reply = await httpJson(
      `http://127.0.0.1:${httpPorts.get(name)}/status`,
      'GET',
      undefined,
      1_000,
    );
    return reply.status === 200 ? (reply.body as Record<string, unknown>) : undefined;
  }

  async function waitFor<T>(
    what: string,
    timeoutMs: number,
    probe: () => Promise<T | undefined>,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      try {
        const value = await probe();
        if (value !== undefined) return value;
      } catch (error) {
        last = error;
      }
      if (Date.now() > deadline) {
        const logs = [...children.keys()]
          .map(
            (name) =>
              `--- ${name}\n${fs.readFileSync(path.join(dir, `${name}.log`), 'utf8').slice(-1500)}`,
          )
          .join('\n');
        throw new Error(`Timed out waiting for ${what} (${String(last)})\n${logs}`);
      }
      await sleep(25);
    }
  }

  async function leaderId(): Promise<string> {
    return waitFor('a leader', 60_000, async () => {
      for (const name of ['central-a', 'central-b']) {
        const body = await status(name).catch(() => undefined);
        const paxos = body?.paxos as { proposerState?: string } | undefined;
        if (paxos?.proposerState === 'leader') return name;
      }
      return undefined;
    });
  }

  async function submit(payload: unknown): Promise<{ slot: number }> {
    return waitFor('a commit', 60_000, async () => {
      const leader = await leaderId();
      const reply = await httpJson(
        `http://127.0.0.1:${httpPorts.get(leader)}/submit`,
        'POST',
        { payload },
        12_000,
        apiToken(envs.get(leader)!.EVPAXOS_SECRET!, envs.get(leader)!.EVPAXOS_CLUSTER_ID!),
      );
      return reply.status === 200 ? (reply.body as { slot: number }) : undefined;
    });
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-deploy-'));
    const base = serviceEnv(compose.services['central-a']!);
    const nodes = parseNodes(base.EVPAXOS_NODES!);
    const ports = await choosePorts(nodes.length, 0, '127.0.0.1');
    // Each service hostname becomes 127.0.0.1 with its own free ports: the only change from Docker.
    const localNodes = nodes
      .map((node, index) => {
        const p = ports[index]!;
        return `${node.id}=${node.role}@127.0.0.1:${p.clusterPort}:${p.httpPort}:${p.servicePort}`;
      })
      .join(',');
    httpPorts = new Map(nodes.map((node, index) => [node.id, ports[index]!.httpPort]));
    // The emulator's cluster file, with the same local hosts and ports.
    const dockerCluster = JSON.parse(
      fs.readFileSync(path.join(root, 'scripts/docker-cluster.json'), 'utf8'),
    ) as { nodes: Record<string, unknown>[] };
    dockerCluster.nodes = dockerCluster.nodes.map((node, index) => ({
      ...node,
      host: '127.0.0.1',
      clusterPort: ports[index]!.clusterPort,
      httpPort: ports[index]!.httpPort,
      servicePort: ports[index]!.servicePort,
    }));
    fs.writeFileSync(path.join(dir, 'cluster.json'), JSON.stringify(dockerCluster));
    // The image's ENV first (the runtime stage's), then what compose sets.
    const imageEnv: Record<string, string> = {};
    for (const instruction of parseDockerfile().filter((i) => i.op === 'ENV' && i.stage > 0)) {
      // NAME=value pairs; a value may hold '=' itself, or be quoted to hold spaces
      // (NODE_OPTIONS="--max-semi-space-size=1 --expose-gc").
      for (const [, name, quoted, plain] of instruction.args.matchAll(
        /(\w+)=(?:"([^"]*)"|(\S+))/g,
      )) {
        imageEnv[name!] = quoted ?? plain!;
      }
    }
    envs = new Map();
    for (const [name, service] of Object.entries(compose.services)) {
      const env = { ...imageEnv, ...serviceEnv(service) };
      if (env.EVPAXOS_NODES !== undefined) env.EVPAXOS_NODES = localNodes;
      // Docker binds every interface of the container; here only loopback.
      if (env.EVPAXOS_LISTEN_HOST !== undefined) env.EVPAXOS_LISTEN_HOST = '127.0.0.1';
      // Each named volume becomes a directory of its own.
      for (const volume of service.volumes ?? []) {
        const [volumeName, mountPath] = volume.split(':') as [string, string];
        if (env.EVPAXOS_DATA_DIR === mountPath) {
          env.EVPAXOS_DATA_DIR = path.join(dir, 'volumes', volumeName);
          fs.mkdirSync(env.EVPAXOS_DATA_DIR, { recursive: true });
        }
      }
      envs.set(name, env);
    }
    for (const name of nodeServices) start(name);
  });

  after(async () => {
    await Promise.all([...children.keys()].map((name) => stop(name, 'SIGKILL')));
    if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
  });

  it('every node answers /status and the image HEALTHCHECK passes with the service env', async () => {
    for (const name of nodeServices) {
      // 60 s: seven node processes on a loaded 2-core host took over 15 s to start (measured).
      await waitFor(`${name} /status`, 60_000, () => status(name).catch(() => undefined));
    }
    const health = (name: string) =>
      spawnSync(process.execPath, [path.join(root, 'scripts/docker-healthcheck.mjs'), '--print'], {
        env: { ...envs.get(name) },
        encoding: 'utf8',
      });
    const ok = health('cp2');
    expect(ok.status, ok.stdout + ok.stderr).to.equal(0);
    expect(ok.stdout).to.match(/^cp2\s+charge-point/);
    const emulator = health('ev-emulator');
    expect(emulator.status, 'no admin API: healthy while it runs').to.equal(0);
    // The image's HEALTHCHECK itself (bash), with the same env: cp2 healthy; a node whose id is
    // not in the list, or whose port does not answer, unhealthy with its reason.
    const check = (env: NodeJS.ProcessEnv) =>
      spawnSync('bash', [path.join(root, 'scripts/docker-healthcheck.sh')], {
        env,
        encoding: 'utf8',
      });
    const healthy = check({ ...envs.get('cp2') });
    expect(healthy.status, healthy.stdout + healthy.stderr).to.equal(0);
    expect(check({ ...envs.get('ev-emulator') }).status).to.equal(0);
    const unknown = check({ ...envs.get('cp2'), EVPAXOS_ID: 'cp9' });
    expect(unknown.status).to.equal(1);
    expect(unknown.stdout).to.match(/cp9: not in EVPAXOS_NODES/);
  });

  it('elects a leader and commits a command (POST /submit)', async () => {
    const leader = await leaderId();
    expect(['central-a', 'central-b']).to.include(leader);
    const ack = await submit({ type: 'Noop', atMs: Date.now(), from: 'deploy-test' });
    expect(ack.slot).to.be.a('number');
  });

  it('a crashed charge point restarts from its volume and catches up (restart: unless-stopped)', async () => {
    const volume = envs.get('cp3')!.EVPAXOS_DATA_DIR!;
    await stop('cp3', 'SIGKILL');
    expect(
      fs.readdirSync(volume),
      'the acceptor wrote its state to the volume',
    ).to.have.length.above(0);
    const during = await submit({
      type: 'Noop',
      atMs: Date.now(),
      from: 'deploy-test',
      while: 'cp3 down',
    });
    // What Docker's restart policy does: the same command and env, the same volume.
    start('cp3');
    await waitFor('cp3 to apply the slot committed while it was down', 60_000, async () => {
      const body = await status('cp3').catch(() => undefined);
      const applied = (body?.paxos as { appliedThrough?: number } | undefined)?.appliedThrough;
      return applied !== undefined && applied >= during.slot ? applied : undefined;
    });
  });

  it('runs the ev-emulator service (the default scenario, fast) once `evpaxos ev-emulator` exists', async function () {
    const help = spawnSync(process.execPath, [...entrypoint, '--help'], {
      cwd: root,
      encoding: 'utf8',
    });
    if (!/\bev-emulator\b/.test(help.stdout + help.stderr)) {
      console.log(
        '      skipped: `evpaxos ev-emulator` is not built yet (the charging-site issue)',
      );
      this.skip();
    }
    // The 10-minute timeline in 10 s of scenario time; protocol timeouts stay in real time.
    const child = start('ev-emulator', {}, { EVPAXOS_SPEED: '60' });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const log = fs.readFileSync(path.join(dir, 'ev-emulator.log'), 'utf8');
    expect(code, log.slice(-3000)).to.equal(0);
    expect(log).to.include('scenario-done');
  });
});

describe('deploy: scripts/docker-*.sh (against a docker stub that records its calls)', () => {
  // Without an engine: the calls the scripts make, in order. docker-compose.test.ts runs the same
  // scripts on a real engine where one runs.
  let stubDir = '';
  let calls = '';

  before(() => {
    stubDir = fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-docker-stub-'));
    calls = path.join(stubDir, 'calls.log');
    // Answers like an engine running project "site" with every container running; STUB_ATTACHED
    // says whether containers are on the site network; a crash is followed by one restart.
    const stub = [
      '#!/usr/bin/env bash',
      `echo "$*" >> '${calls}'`,
      'case "$*" in',
      '  "compose version") exit 1 ;;',
      '  "ps -a -q --no-trunc --filter label=com.docker.compose.project=site --filter label=com.docker.compose.service="*)',
      '    service=${8#label=com.docker.compose.service=}; echo "id-$service" ;;',
      '  "ps "*) ;;',
      '  "inspect -f {{.State.Status}} "*) echo running ;;',
      '  "inspect -f {{.RestartCount}} {{.State.Status}} "*) echo 1 running ;;',
      '  "inspect -f {{.RestartCount}} "*) echo 0 ;;',
      '  "inspect -f {{range"*) [ "${STUB_ATTACHED:-yes}" = yes ] && echo "site_sitenet " || echo "bridge " ;;',
      '  "network ls "*) echo site_sitenet ;;',
      '  "exec "*) echo "ran in $2" ;;',
      'esac',
      'exit 0',
    ].join('\n');
    fs.writeFileSync(path.join(stubDir, 'docker'), `${stub}\n`, { mode: 0o755 });
  });

  after(() => fs.rmSync(stubDir, { recursive: true, force: true }));

  function script(name: string, args: string[], env: Record<string, string> = {}) {
    fs.writeFileSync(calls, '');
    const result = spawnSync('bash', [path.join(root, 'scripts', name), ...args], {
      encoding: 'utf8',
      env: {
        ...process.env,
        COMPOSE_PROJECT_NAME: 'site',
        ...env,
        PATH: `${stubDir}:${process.env.PATH ?? ''}`,
      },
    });
    const recorded = fs.readFileSync(calls, 'utf8').trim().split('\n');
    // The look-ups (ps, inspect, network ls, compose version) are not actions: leave them out.
    const actions = recorded.filter(
      (call) => call !== '' && !/^(ps|inspect|network ls|compose) /.test(call),
    );
    return { ...result, calls: actions };
  }

  it('partition disconnects each listed container (found by its labels) from the site network', () => {
    const run = script('docker-partition.sh', ['central-a,cp1', 'cp2']);
    expect(run.status, run.stderr).to.equal(0);
    expect(run.calls).to.deep.equal([
      'network disconnect site_sitenet id-central-a',
      'network disconnect site_sitenet id-cp1',
      'network disconnect site_sitenet id-cp2',
    ]);
    expect(run.stdout).to.match(/partitioned: cp2 disconnected from site_sitenet/);
  });

  it('heal reconnects every detached site container under its service name', () => {
    const run = script('docker-heal.sh', [], { STUB_ATTACHED: 'no' });
    expect(run.status, run.stderr).to.equal(0);
    expect(run.calls).to.deep.equal(
      [...nodeServices, 'ev-emulator'].map(
        (name) => `network connect --alias ${name} site_sitenet id-${name}`,
      ),
    );
    expect(run.stdout).to.include('healed: cp5 reconnected');
  });

  it('kill crashes the process inside and waits for the restart; --stop uses docker kill', () => {
    const crash = script('docker-kill.sh', ['cp3']);
    expect(crash.status, crash.stderr).to.equal(0);
    expect(crash.calls).to.deep.equal(['exec id-cp3 node scripts/docker-crash.mjs']);
    expect(crash.stdout).to.include('crashed: cp3; Docker restarted it');
    const stop = script('docker-kill.sh', ['--stop', 'cp3']);
    expect(stop.calls).to.deep.equal(['kill id-cp3']);
    expect(stop.stdout).to.match(/stays down until: docker(-| )compose start cp3/);
  });

  it('pause, resume, status and submit call docker as documented; an unknown node exits 2', () => {
    expect(script('docker-pause.sh', ['central-a']).calls).to.deep.equal(['pause id-central-a']);
    const status = script('docker-status.sh', []);
    expect(status.calls.filter((call) => call.startsWith('exec'))).to.have.length(7);
    const submit = script('docker-submit.sh', ['--via', 'central-b', '{"type":"Noop"}']);
    expect(submit.calls).to.deep.equal([
      'exec id-central-b node scripts/docker-submit.mjs {"type":"Noop"} --no-follow',
    ]);
    const bad = script('docker-kill.sh', ['cp9']);
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.include('unknown node "cp9"');
    expect(bad.calls).to.deep.equal([]);
  });

  it('a site that is not running is refused in one sentence, exit 2, nothing touched', () => {
    const run = script('docker-kill.sh', ['cp1'], { COMPOSE_PROJECT_NAME: 'nosuchsite' });
    expect(run.status).to.equal(2);
    expect(run.stderr.trim()).to.match(/^docker-kill\.sh: no evpaxos site "nosuchsite" is running/);
    expect(run.calls).to.deep.equal([]);
  });
});

import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpJson } from '../src/launcher/http-client';
import { CHOSEN_PORT_LIMIT, ephemeralPortMin } from '../src/launcher/ports';

/**
 * What the Docker end-to-end tests share (docs/DOCKER.md): whether a usable engine is here (and
 * why not), the Compose command of this machine (v2 `docker compose` or 1.29 `docker-compose`),
 * one image build per test run, and a site — one Compose project with a name and host ports of
 * its own — that is always taken down with its volumes, pass or fail.
 */

export const root = path.resolve(__dirname, '../../../..');
/**
 * The image of this test run: a tag of its own (docker-compose.yml and deploy/docker-stack.yml
 * read it as EVPAXOS_IMAGE), so that runs from other work trees sharing the engine, which build
 * other sources, never start this run's containers from their image or the other way round. The
 * layers are shared through the build cache; the tag is removed when the run ends.
 */
export const IMAGE = `evpaxos:test${process.pid}`;
export const SITE_NODES = ['central-a', 'central-b', 'cp1', 'cp2', 'cp3', 'cp4', 'cp5'] as const;
export type SiteNode = (typeof SITE_NODES)[number];
/** GET /status through docker-proxy on a busy 2-core host answers in 2-3 s at worst (measured). */
const STATUS_TIMEOUT_MS = 6_000;

/** What one command did; never throws on a non-zero exit (the caller asserts it). */
export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to its end (or kills it at timeoutMs), capturing its output. */
export function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? root,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${options.timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 120_000);
    child.on('error', (error) => (stderr += error.message));
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The Compose command here: `docker compose` (v2) where it answers, else `docker-compose`. */
export function composeCommand(): string[] | undefined {
  const v2 = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  if (!v2.error && v2.status === 0) return ['docker', 'compose'];
  const v1 = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' });
  if (!v1.error && v1.status === 0) return ['docker-compose'];
  return undefined;
}

/**
 * Why the Docker tests do not run here, or null when they do: they run wherever a Docker engine,
 * a Compose and the local node:20-slim base are present (`.ci/run` starts them as root with
 * ../shared/tools/docker-engine.sh), and say why they skip elsewhere. EVPAXOS_SKIP_DOCKER=1
 * skips them on purpose (a quick local run), and says so.
 */
export function dockerUnavailable(): string | null {
  if (process.env.EVPAXOS_SKIP_DOCKER === '1') return 'EVPAXOS_SKIP_DOCKER=1 is set';
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
    encoding: 'utf8',
  });
  if (info.error) return 'no docker client (as root: bash ../shared/tools/docker-engine.sh)';
  if (info.status !== 0) {
    return `no Docker engine answers (${info.stderr.trim().split('\n')[0]}); as root: bash ../shared/tools/docker-engine.sh`;
  }
  if (!composeCommand()) return 'neither `docker compose` (v2) nor `docker-compose` (1.29) is here';
  const base = spawnSync('docker', ['image', 'inspect', 'node:20-slim'], { encoding: 'utf8' });
  if (base.status !== 0) {
    return 'no local node:20-slim base image (nothing can be pulled here; docker-engine.sh builds one)';
  }
  return null;
}

const interruptCleanups = new Set<() => void>();

/**
 * Runs cleanup (synchronous: spawnSync) if the test process is interrupted (SIGINT, SIGTERM,
 * SIGHUP: a Ctrl-C, a `timeout` around npm test) before its `after` hooks run, so that no site is
 * left running and no Swarm left on on the shared engine. Returns the function that drops it
 * again (the normal `after` path did the work).
 */
export function cleanupOnInterrupt(cleanup: () => void): () => void {
  if (interruptCleanups.size === 0) {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        for (const fn of [...interruptCleanups].reverse()) {
          try {
            fn();
          } catch {
            // Best effort: the next cleanup still runs.
          }
        }
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
    }
  }
  interruptCleanups.add(cleanup);
  return () => interruptCleanups.delete(cleanup);
}

let imageBuild: Promise<RunResult> | undefined;

/**
 * The image build's bound: a cached build takes seconds, but a changed package-lock.json runs
 * `npm ci` again, and on this shared host at load average ~40 that alone took 5 min and the whole
 * build more than 10 (measured).
 */
export const BUILD_TIMEOUT_MS = 30 * 60_000;

/**
 * Builds IMAGE once per test run with the classic builder (DOCKER_BUILDKIT=0), from the local
 * base; every Docker suite of the run reuses it (and `up` then builds nothing new: the cache
 * answers every step). When the run ends the tag goes, not the layers (--no-prune), so the next
 * run's build is a cached one.
 */
export function buildImageOnce(): Promise<RunResult> {
  if (imageBuild === undefined) {
    imageBuild = run('docker', ['build', '-t', IMAGE, '.'], {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
      timeoutMs: BUILD_TIMEOUT_MS,
    });
    process.once('exit', () => {
      spawnSync('docker', ['rmi', '--no-prune', IMAGE], { stdio: 'ignore' });
    });
  }
  return imageBuild;
}

/** A TCP port nobody listens on at 127.0.0.1 right now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A host-port prefix (EVPAXOS_HOST_PORT_PREFIX) whose nine ports (PREFIX100-106, PREFIX200-201)
 * are all free and below the ephemeral range (20-32 on Linux's default range), starting at a place
 * of this process's own so that parallel runs rarely collide; not one of `taken` (the sites this
 * run starts at once).
 */
export async function freePortPrefix(taken: ReadonlySet<string> = new Set()): Promise<string> {
  // Above the ports a local cluster picks (--base-port 0), so the two never clash.
  const first = CHOSEN_PORT_LIMIT / 1000;
  const last = Math.max(first, Math.min(65, Math.floor((ephemeralPortMin() - 202) / 1000)));
  const candidates = last - first + 1;
  for (let attempt = 0; attempt < candidates; attempt += 1) {
    const prefix = String(first + ((process.pid + attempt) % candidates));
    // Another site of this run that has not bound its ports yet.
    if (taken.has(prefix)) continue;
    const ports = [100, 101, 102, 103, 104, 105, 106, 200, 201].map((p) => Number(`${prefix}${p}`));
    const free = await Promise.all(ports.map(portFree));
    if (free.every(Boolean)) return prefix;
  }
  throw new Error(`no free host-port prefix in ${first}-${last}`);
}

/** GET /status as the runtime answers it (the fields these tests read). */
export interface NodeStatus {
  id: string;
  role: string;
  paxos: {
    proposerState?: string;
    ballot?: { round: number; proposerId: string } | null;
    promised?: { round: number; proposerId: string } | null;
    leaderId?: string | null;
    appliedThrough: number;
  };
  peers?: { id: string; state: string }[];
}

/** Waits for probe() to give a value, polling; the error names what and the last failure. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  intervalMs = 100,
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
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (${String(last)})`);
    }
    await sleep(intervalMs);
  }
}

/** One Compose project: the compose file of the repo under a project name and port prefix of its own. */
export class DockerSite {
  readonly compose: string[];
  readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly project: string,
    readonly portPrefix: string,
    extraEnv: Record<string, string> = {},
    readonly cwd: string = root,
  ) {
    this.compose = composeCommand() ?? ['docker-compose'];
    this.env = {
      ...process.env,
      COMPOSE_PROJECT_NAME: project,
      EVPAXOS_HOST_PORT_PREFIX: portPrefix,
      EVPAXOS_IMAGE: IMAGE,
      DOCKER_BUILDKIT: '0',
      ...extraEnv,
    };
  }

  /** `docker compose ARGS…` (or docker-compose) for this project. */
  composeRun(args: readonly string[], timeoutMs = 180_000): Promise<RunResult> {
    const [command, ...prefix] = this.compose;
    return run(command!, [...prefix, '-p', this.project, ...args], {
      env: this.env,
      cwd: this.cwd,
      timeoutMs,
    });
  }

  /** One of scripts/docker-*.sh, as a user runs it, with this project's name. */
  script(name: string, ...args: string[]): Promise<RunResult> {
    return run('bash', [path.join(this.cwd, 'scripts', name), ...args], {
      env: this.env,
      cwd: this.cwd,
      // docker-kill.sh waits up to 60 s for Docker's restart.
      timeoutMs: 120_000,
    });
  }

  /** The container id of a service (any state), found by Compose's labels. */
  async containerOf(service: string): Promise<string> {
    const result = await run('docker', [
      'ps',
      '-a',
      '-q',
      '--no-trunc',
      '--filter',
      `label=com.docker.compose.project=${this.project}`,
      '--filter',
      `label=com.docker.compose.service=${service}`,
    ]);
    const id = result.stdout.trim().split('\n')[0] ?? '';
    if (id === '') throw new Error(`no container for ${service} in project ${this.project}`);
    return id;
  }

  /** docker inspect of a service's container (State and RestartCount). */
  async inspect(service: string): Promise<{
    RestartCount: number;
    State: { Status: string; ExitCode: number; Health?: { Status: string } };
  }> {
    const result = await run('docker', ['inspect', await this.containerOf(service)]);
    return (JSON.parse(result.stdout) as never[])[0]!;
  }

  /** The host port of a node's HTTP API (docker-compose.yml: PREFIX10i). */
  httpPort(node: SiteNode): number {
    return Number(`${this.portPrefix}10${SITE_NODES.indexOf(node)}`);
  }

  /** GET /status through the published port, or undefined when it does not answer. */
  async status(node: SiteNode): Promise<NodeStatus | undefined> {
    try {
      const reply = await httpJson(
        `http://127.0.0.1:${this.httpPort(node)}/status`,
        'GET',
        undefined,
        STATUS_TIMEOUT_MS,
      );
      return reply.status === 200 ? (reply.body as NodeStatus) : undefined;
    } catch {
      return undefined;
    }
  }

  /** GET /status asked from inside the container (scripts/docker-status.sh --json): works cut off too. */
  async statusInside(node: SiteNode): Promise<NodeStatus | undefined> {
    const result = await this.script('docker-status.sh', '--json', node);
    if (result.status !== 0) return undefined;
    return JSON.parse(result.stdout) as NodeStatus;
  }

  /**
   * The central that leads now, or undefined: of the centrals that say they lead, the one with
   * the highest ballot (an old leader may not have heard of the new ballot yet), and only when
   * the other central names it as leader too.
   */
  async leader(): Promise<SiteNode | undefined> {
    const answers = await Promise.all(
      (['central-a', 'central-b'] as const).map(async (node) => ({
        node,
        status: await this.status(node),
      })),
    );
    const leading = answers
      .filter((answer) => answer.status?.paxos.proposerState === 'leader')
      .sort((a, b) => (b.status!.paxos.ballot?.round ?? 0) - (a.status!.paxos.ballot?.round ?? 0));
    const leader = leading[0]?.node;
    if (leader === undefined) return undefined;
    const follower = answers.find((answer) => answer.node !== leader)?.status;
    return follower === undefined || follower.paxos.leaderId === leader ? leader : undefined;
  }

  /** The container's stdout/stderr (the node's JSON log lines). */
  async logs(service: string): Promise<string> {
    const result = await run('docker', ['logs', await this.containerOf(service)], {
      timeoutMs: 60_000,
    });
    return result.stdout + result.stderr;
  }

  private dropInterruptCleanup: (() => void) | undefined;

  /** From now until down(), an interrupted test run still takes this site down (spawnSync). */
  downOnInterrupt(): void {
    const [command, ...prefix] = this.compose;
    this.dropInterruptCleanup ??= cleanupOnInterrupt(() => {
      spawnSync(command!, [...prefix, '-p', this.project, 'down', '-v', '-t', '1'], {
        env: this.env,
        cwd: this.cwd,
        stdio: 'ignore',
        timeout: 60_000,
      });
    });
  }

  /** `down -v`: containers, network and this project's volumes go; images stay. */
  async down(): Promise<RunResult> {
    const result = await this.composeRun(['down', '-v', '--remove-orphans', '-t', '3'], 120_000);
    this.dropInterruptCleanup?.();
    this.dropInterruptCleanup = undefined;
    return result;
  }
}

/**
 * What every Docker suite's `before` does first: skip, saying why, where no engine runs
 * (dockerUnavailable), and build the run's image once (buildImageOnce), asserting the build.
 * Call it from a `before` whose timeout covers BUILD_TIMEOUT_MS.
 */
export async function requireDockerImage(context: Mocha.Context): Promise<void> {
  const reason = dockerUnavailable();
  if (reason !== null) {
    console.log(`      skipped: ${reason}`);
    context.skip();
  }
  const build = await buildImageOnce();
  expect(build.status, `docker build:\n${build.stdout.slice(-3000)}\n${build.stderr}`).to.equal(0);
}

/**
 * requireDockerImage, then a site of the suite's own — a project name, free host ports, the
 * run's image — that an interrupted run still takes down. The suite's `after` calls down().
 */
export async function dockerSuiteSite(
  context: Mocha.Context,
  project: string,
  extraEnv: Record<string, string> = {},
  cwd: string = root,
  takenPrefixes: ReadonlySet<string> = new Set(),
): Promise<DockerSite> {
  await requireDockerImage(context);
  const site = new DockerSite(project, await freePortPrefix(takenPrefixes), extraEnv, cwd);
  site.downOnInterrupt();
  return site;
}

/** The last lines of every container of a project, for a failure message. */
export async function siteLogsTail(site: DockerSite, lines = 15): Promise<string> {
  const parts: string[] = [];
  for (const service of [...SITE_NODES, 'ev-emulator']) {
    try {
      const id = await site.containerOf(service);
      const result = await run('docker', ['logs', '--tail', String(lines), id]);
      parts.push(`--- ${service}\n${result.stdout}${result.stderr}`);
    } catch {
      parts.push(`--- ${service}: no container`);
    }
  }
  return parts.join('\n');
}

/** Writes the containers' logs as DIR/logs/<service>.log and the cluster file, for `evpaxos verify`. */
export async function collectLogs(site: DockerSite, dir: string): Promise<void> {
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
  fs.copyFileSync(path.join(root, 'scripts/docker-cluster.json'), path.join(dir, 'cluster.json'));
  for (const service of [...SITE_NODES, 'ev-emulator']) {
    fs.writeFileSync(path.join(dir, 'logs', `${service}.log`), await site.logs(service));
  }
}

/**
 * A Docker client that builds with BuildKit here, or why there is none: one with the buildx
 * plugin (`docker buildx build --load`), else a client older than 23 on PATH, which has BuildKit
 * built in (`DOCKER_BUILDKIT=1 docker build`; Debian's docker.io 20.10 is one). A newer client
 * without buildx refuses DOCKER_BUILDKIT=1 (docs/DOCKER.md).
 */
export function buildKitBuilder():
  { command: string; args: string[]; env: NodeJS.ProcessEnv } | { reason: string } {
  const which = spawnSync('which', ['-a', 'docker'], { encoding: 'utf8' });
  const clients = [...new Set(which.stdout.split('\n').filter((line) => line !== ''))];
  const seen: string[] = [];
  for (const client of clients) {
    if (spawnSync(client, ['buildx', 'version'], { encoding: 'utf8' }).status === 0) {
      return { command: client, args: ['buildx', 'build', '--load'], env: process.env };
    }
    const version = spawnSync(client, ['version', '--format', '{{.Client.Version}}'], {
      encoding: 'utf8',
    }).stdout.trim();
    seen.push(`${client} ${version}`);
    if (Number(version.split('.')[0]) < 23) {
      return { command: client, args: ['build'], env: { ...process.env, DOCKER_BUILDKIT: '1' } };
    }
  }
  return {
    reason: `no Docker client here builds with BuildKit (no buildx plugin; clients: ${seen.join(', ')})`,
  };
}

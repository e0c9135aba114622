import { performance } from 'node:perf_hooks';
import type { StateMachine } from '@evpaxos/paxos';
import type { CommandValidator } from './client-calls';
import { ClusterNode } from './cluster-node';
import {
  ConfigError,
  resolveProcessConfig,
  type ConfigSection,
  type ProcessConfig,
} from './config';
import { startupGcDelayMs, type NodeRole } from './constants';
import { HttpApi, type ExtraRoutes, type UpgradeHandler } from './http-api';
import { createLogger, type Logger } from './logger';

/**
 * What a role package (the central system's CSMS, the charge point's EVSE) adds to a node process:
 * the replicated state machine, and a service attached once the node runs, closed before it.
 */
export interface RoleExtension {
  /**
   * The cluster-file sections the role owns (the site's `site`): read, and their problems
   * reported, with the rest of the configuration; a key no section declares is refused.
   */
  readonly configSections?: readonly ConfigSection<unknown>[];
  /** The replicated state machine every node of the cluster must run alike. Default: CommandLogStateMachine. */
  createStateMachine?(config: ProcessConfig): StateMachine;
  /**
   * The check every client command passes before it is proposed (POST /submit, /client, a role's
   * own submits): a refused one is answered 400 / `invalid-command` and takes no slot. Default:
   * none, every payload is proposed as it is.
   */
  createCommandValidator?(config: ProcessConfig): CommandValidator | undefined;
  attach?(running: RunningNode, logger: Logger): Promise<{ close(): Promise<void> }>;
}

/** A running node process: the cluster node and its HTTP API, closed together. */
export interface RunningNode {
  readonly config: ProcessConfig;
  readonly node: ClusterNode;
  readonly httpPort: number;
  /** Serves a role's extra HTTP routes on httpPort (tried after the built-in ones); returns a remover. */
  addHttpRoutes(routes: ExtraRoutes): () => void;
  /** Serves upgrades (a WebSocket feed) on `path` of httpPort; returns a remover. */
  addUpgradeRoute(path: string, handler: UpgradeHandler): () => void;
  close(): Promise<void>;
}

/**
 * Starts a node from already-resolved configuration: store, transport, tick, HTTP API, then the
 * "ready" line (docs/CLUSTER.md: the launcher and tests wait for it).
 */
export async function startNode(
  config: ProcessConfig,
  onFatal: (error: unknown) => void,
  extension: RoleExtension = {},
): Promise<RunningNode> {
  const logger = createLogger({ level: config.logLevel, fields: { node: config.id } });
  const stateMachine = extension.createStateMachine?.(config);
  const validateCommand = extension.createCommandValidator?.(config);
  const node = await ClusterNode.start(config, {
    logger,
    onFatal,
    ...(stateMachine ? { stateMachine } : {}),
    ...(validateCommand ? { validateCommand } : {}),
  });
  const api = new HttpApi(node, logger);
  let httpPort: number;
  try {
    httpPort = await api.listen(config.listenHost, config.self.httpPort);
  } catch (error) {
    await node.close();
    throw error;
  }
  const startupGc = collectStartupGarbageLater(logger);
  let closing: Promise<void> | undefined;
  let service: { close(): Promise<void> } | undefined;
  const running: RunningNode = {
    config,
    node,
    httpPort,
    addHttpRoutes: (routes) => api.addRoutes(routes),
    addUpgradeRoute: (path, handler) => api.addUpgradeRoute(path, handler),
    close: () =>
      (closing ??= (async () => {
        clearTimeout(startupGc);
        await service?.close();
        await api.close();
        await node.close();
        logger.info('closed', { id: config.id });
        logger.close();
      })()),
  };
  if (extension.attach) {
    try {
      service = await extension.attach(running, logger);
    } catch (error) {
      await running.close();
      throw error;
    }
  }
  // Last: the launcher and tests wait for this line, so every port (the role's too) is open now.
  logger.info('ready', {
    id: config.id,
    role: config.role,
    pid: process.pid,
    clusterPort: config.self.clusterPort,
    httpPort,
    tickMs: config.tickMs,
  });
  return running;
}

/**
 * One full collection `startupGcDelayMs` after start, where Node exposes `gc` (docs/CLUSTER.md,
 * "Memory"), logged as `startup-gc`; nothing where it does not. The timer keeps no process alive.
 */
function collectStartupGarbageLater(logger: Logger): NodeJS.Timeout | undefined {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (typeof collect !== 'function') return undefined;
  return setTimeout(() => {
    const heapUsedBefore = process.memoryUsage().heapUsed;
    const startedMs = performance.now();
    collect();
    logger.info('startup-gc', {
      heapUsedBeforeMiB: mebibytes(heapUsedBefore),
      heapUsedAfterMiB: mebibytes(process.memoryUsage().heapUsed),
      gcMs: Math.round((performance.now() - startedMs) * 10) / 10,
    });
  }, startupGcDelayMs).unref();
}

function mebibytes(bytes: number): number {
  return Math.round((bytes / 1_048_576) * 100) / 100;
}

/**
 * The whole life of `evpaxos central` / `evpaxos charge-point`: resolve the config (a bad one:
 * one sentence per problem on stderr, exit 2), start, and close cleanly on SIGTERM/SIGINT (exit 0).
 */
export async function runNodeProcess(
  role: NodeRole,
  flags: Readonly<Record<string, unknown>>,
  extension: RoleExtension = {},
): Promise<void> {
  let config: ProcessConfig;
  try {
    config = resolveProcessConfig({
      role,
      flags,
      env: process.env,
      sections: extension.configSections ?? [],
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`evpaxos ${role}: the configuration is refused:\n`);
    for (const problem of error.problems) process.stderr.write(`  ${problem}\n`);
    process.exit(2);
  }
  let running: RunningNode | undefined;
  const onFatal = () => {
    // Durable state is what makes a restart safe: exit and let the supervisor start us again.
    process.exit(1);
  };
  try {
    running = await startNode(config, onFatal, extension);
  } catch (error) {
    process.stderr.write(
      `evpaxos ${role}: cannot start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  }
  const stop = (signal: NodeJS.Signals) => {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    // A second signal while closing kills at once (default handlers are back).
    void running
      ?.close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        process.stderr.write(`evpaxos ${role}: close failed after ${signal}: ${String(error)}\n`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

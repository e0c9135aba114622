import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import {
  ScenarioError,
  SPEED_MAX,
  defaultScenario,
  defaultScenarioFor,
  parseScenarioText,
  readClusterFile,
  runScenario,
  type FaultController,
  type Scenario,
} from '@evpaxos/ev-emulator';
import { createLogger, logLevels, readApiToken, type LogLevel } from '@evpaxos/runtime';
import { LauncherError, openCluster } from '../launcher';

interface EvEmulatorArgs {
  'cluster-file'?: string;
  dir?: string;
  scenario?: string;
  speed: number;
  'status-interval-ms': number;
  'log-level': string;
}

/** A bad argument or scenario: one sentence per problem on stderr, exit 2 (docs/CLUSTER.md). */
function refuse(message: string): void {
  console.error(`evpaxos ev-emulator: ${message}`);
  process.exitCode = 2;
}

export const evEmulatorCommand: CommandModule<object, EvEmulatorArgs> = {
  command: 'ev-emulator',
  describe:
    'Run a scenario: plug EVs into charge points on its timeline, drive their states, inject its faults',
  builder: (yargs: Argv) =>
    yargs
      .option('cluster-file', {
        type: 'string',
        describe: 'The cluster file (default: <dir>/cluster.json)',
      })
      .option('dir', {
        type: 'string',
        describe: 'The launcher dir: needed for fault steps (kill, restart, partition, …)',
      })
      .option('scenario', {
        type: 'string',
        describe: "A scenario file, JSON or YAML (docs/SCENARIOS.md); default: the seed's timeline",
      })
      .option('speed', {
        type: 'number',
        default: 1,
        describe: 'Scenario time per real time (10: the 10-minute scenario in 1 minute)',
      })
      .option('status-interval-ms', {
        type: 'number',
        default: 1_000,
        describe: 'Real ms between ChargingStatusReq while an EV charges',
      })
      .option('log-level', { type: 'string', default: 'info' }) as unknown as Argv<EvEmulatorArgs>,
  handler: async (args) => {
    const clusterFile =
      args['cluster-file'] ??
      (args.dir !== undefined ? path.join(args.dir, 'cluster.json') : undefined);
    const problems: string[] = [];
    if (clusterFile === undefined) problems.push('Give the cluster: --cluster-file F or --dir D.');
    if (!(Number.isFinite(args.speed) && args.speed > 0 && args.speed <= SPEED_MAX)) {
      problems.push(`--speed must be a number above 0 and at most ${SPEED_MAX}.`);
    }
    const intervalMs = args['status-interval-ms'];
    if (!(Number.isInteger(intervalMs) && intervalMs >= 10 && intervalMs <= 60_000)) {
      problems.push('--status-interval-ms must be a whole number from 10 to 60000.');
    }
    if (!(logLevels as readonly string[]).includes(args['log-level'])) {
      problems.push(`--log-level must be one of ${logLevels.join(', ')}.`);
    }
    if (problems.length > 0 || clusterFile === undefined) {
      refuse(problems.join(' '));
      return;
    }

    let cluster;
    let scenario: Scenario = defaultScenario;
    let faults: FaultController | undefined;
    try {
      cluster = readClusterFile(clusterFile);
      const chargePointIds = cluster.nodes
        .filter((n) => n.role === 'charge-point')
        .map((n) => n.id);
      // docs/SCENARIOS.md: without --scenario, the seed's timeline sized to the site.
      scenario = defaultScenarioFor(chargePointIds);
      if (args.scenario !== undefined) {
        let text: string;
        try {
          text = fs.readFileSync(args.scenario, 'utf8');
        } catch (error) {
          throw new ScenarioError(
            [`it cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`],
            `The scenario file ${args.scenario}`,
          );
        }
        scenario = parseScenarioText(text, args.scenario, {
          chargePointIds,
          nodeIds: cluster.nodes.map((n) => n.id),
        });
      }
      if (args.dir !== undefined) faults = openCluster(args.dir);
    } catch (error) {
      if (error instanceof ScenarioError || error instanceof LauncherError) {
        refuse(error.message);
        return;
      }
      throw error;
    }

    const logger = createLogger({
      level: args['log-level'] as LogLevel,
      fields: { node: 'ev-emulator' },
    });
    const cancel = new AbortController();
    const onSignal = () => cancel.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await runScenario(
        {
          scenario,
          cluster,
          speed: args.speed,
          ev: { statusIntervalMs: intervalMs },
          ...withApiToken(readApiToken(args.dir, clusterFile)),
        },
        { logger, signal: cancel.signal, ...(faults ? { faults } : {}) },
      );
    } catch (error) {
      if (error instanceof ScenarioError) {
        refuse(error.message);
        return;
      }
      throw error;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      logger.close();
    }
  },
};

/** The API token option, when there is a token (reservation steps need it). */
function withApiToken(token: string | undefined): { apiToken?: string } {
  return token === undefined ? {} : { apiToken: token };
}

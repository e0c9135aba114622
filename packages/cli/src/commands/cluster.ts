import type { Argv, CommandModule } from 'yargs';
import {
  addNode,
  clusterDown,
  clusterUp,
  formatStatusTable,
  openCluster,
  readProcesses,
} from '../launcher';
import { runLauncher, withDir } from './launcher-command';

interface UpArgs {
  dir: string;
  centrals: number;
  'charge-points': number;
  'base-port': number;
  'unsafe-no-fsync': boolean;
  'tick-ms': number;
  'log-level': string;
  'site-limit-w': number;
  lab: boolean;
  trace: boolean;
  'lease-ms'?: number;
  acceptors?: string;
  'phase1-quorum'?: number;
  'phase2-quorum'?: number;
  'charge-points-max'?: number;
  spares: number;
}

const upCommand: CommandModule<object, UpArgs> = {
  command: 'up',
  describe:
    'Start a local cluster, each node its own detached process; return once a leader is elected',
  builder: (yargs: Argv) =>
    withDir(yargs)
      .option('centrals', { type: 'number', default: 2, describe: 'Central systems (proposers)' })
      .option('charge-points', {
        type: 'number',
        default: 5,
        describe: 'Charge points (cp1..cpN), 1 to 90',
      })
      .option('acceptors', {
        type: 'string',
        describe:
          'The charge points that vote, comma-separated (default: all up to 7, beyond that cp1..cp5; the others are learners)',
      })
      .option('phase1-quorum', {
        type: 'number',
        describe: 'Phase-1 quorum (default: a majority of the acceptors; q1 + q2 must exceed them)',
      })
      .option('phase2-quorum', {
        type: 'number',
        describe: 'Phase-2 quorum (default: a majority of the acceptors)',
      })
      .option('charge-points-max', {
        type: 'number',
        describe:
          'How many charge points the site is built for: the fail-safe divisor (site.chargePointsMax; default: --charge-points)',
      })
      .option('spares', {
        type: 'number',
        default: 0,
        describe:
          'Spare charge points listed in cluster.json but not started (cluster add-node starts one, member add makes it vote)',
      })
      .option('base-port', {
        type: 'number',
        default: 7000,
        describe:
          'Cluster ports N+i, HTTP ports N+100+i, service ports (OCPP-J, EV link) N+200+i; 0 picks free ports',
      })
      .option('unsafe-no-fsync', {
        type: 'boolean',
        default: false,
        describe: 'Charge points skip fsync (fast, but a machine crash can lose promises)',
      })
      .option('tick-ms', { type: 'number', default: 10, describe: 'Milliseconds per Paxos tick' })
      .option('log-level', { type: 'string', default: 'info' })
      .option('site-limit-w', {
        type: 'number',
        default: 44_000,
        describe: "The site's grid limit in W (cluster.json site.siteLimitW)",
      })
      .option('lease-ms', {
        type: 'number',
        describe:
          "How long a charge point's allocation lasts without renewal (site.leaseMs; default 30000)",
      })
      .option('lab', {
        type: 'boolean',
        default: false,
        describe:
          'Lab mode: the dashboard (http://<central>/dashboard) gets kill, restart, partition and heal buttons',
      })
      .option('trace', {
        type: 'boolean',
        default: false,
        describe:
          'Every node logs each Prepare, Promise, Accept, Accepted, Nack and Decide it sends or receives (evpaxos trace prints them)',
      }) as unknown as Argv<UpArgs>,
  handler: (args) =>
    runLauncher(async () => {
      const handle = await clusterUp({
        dir: args.dir,
        centrals: args.centrals,
        chargePoints: args['charge-points'],
        basePort: args['base-port'],
        unsafeNoFsync: args['unsafe-no-fsync'],
        tickMs: args['tick-ms'],
        logLevel: args['log-level'],
        siteLimitW: args['site-limit-w'],
        lab: args.lab,
        spares: args.spares,
        trace: args.trace,
        ...(args['lease-ms'] !== undefined ? { leaseMs: args['lease-ms'] } : {}),
        ...(args.acceptors !== undefined
          ? { acceptors: args.acceptors.split(',').map((id) => id.trim()) }
          : {}),
        ...(args['phase1-quorum'] !== undefined ? { phase1Quorum: args['phase1-quorum'] } : {}),
        ...(args['phase2-quorum'] !== undefined ? { phase2Quorum: args['phase2-quorum'] } : {}),
        ...(args['charge-points-max'] !== undefined
          ? { chargePointsMax: args['charge-points-max'] }
          : {}),
      });
      const rows = await handle.status();
      console.log(formatStatusTable(rows));
      console.log(`\nCluster up in ${handle.dir}; logs in ${handle.dir}/logs/.`);
      // Every central serves the dashboard; the leader's shows the most (it knows the accepts).
      const central =
        rows.find((row) => row.status?.paxos.proposerState === 'leader') ??
        rows.find((row) => row.role === 'central');
      if (central !== undefined) {
        // Lab buttons need the API token: in the URL fragment, which the browser sends to no
        // server (so no log holds it); the page trades it for a cookie (docs/CLUSTER.md).
        const token = args.lab ? handle.apiToken : undefined;
        const fragment = token === undefined ? '' : `#token=${token}`;
        console.log(
          `Dashboard: ${central.httpUrl}/dashboard${fragment}${args.lab ? ' (lab mode)' : ''}`,
        );
      }
    }),
};

const downCommand: CommandModule<object, { dir: string }> = {
  command: 'down',
  describe: 'Stop every node of the cluster (SIGTERM, then SIGKILL after 3 s); keeps logs and data',
  builder: (yargs: Argv) => withDir(yargs) as unknown as Argv<{ dir: string }>,
  handler: (args) =>
    runLauncher(async () => {
      readProcesses(args.dir);
      const result = await clusterDown(args.dir);
      if (result.stopped.length > 0) console.log(`stopped: ${result.stopped.join(', ')}`);
      if (result.killed.length > 0) console.log(`killed after 3 s: ${result.killed.join(', ')}`);
      if (result.alreadyDown.length > 0)
        console.log(`already down: ${result.alreadyDown.join(', ')}`);
    }),
};

const addNodeCommand: CommandModule<object, { dir: string; node: string }> = {
  command: 'add-node <node>',
  describe:
    'Start a charge point of cluster.json that is not running (a spare) into the running site, as a learner',
  builder: (yargs: Argv) =>
    withDir(yargs).positional('node', {
      type: 'string',
      demandOption: true,
      describe: 'A charge point id, e.g. cp6',
    }) as unknown as Argv<{ dir: string; node: string }>,
  handler: (args) =>
    runLauncher(async () => {
      const cluster = openCluster(args.dir);
      await addNode(cluster, args.node);
      const status = await cluster.nodeStatus(args.node);
      console.log(
        `${args.node} started (pid ${cluster.node(args.node).pid}), ${status.paxos.standing}; make it vote with: evpaxos member add ${args.node} --dir ${args.dir}`,
      );
    }),
};

export const clusterCommand: CommandModule = {
  command: 'cluster <command>',
  describe:
    'Start or stop a local cluster, or start a spare node into it (cluster up | down | add-node)',
  builder: (yargs: Argv) =>
    yargs
      .command(upCommand)
      .command(downCommand)
      .command(addNodeCommand)
      .demandCommand(1, 'Name a subcommand: evpaxos cluster up | down | add-node.'),
  handler: () => undefined,
};

/** The options and flags both node commands (charge-point, central) share. */
import type { Argv, Options } from 'yargs';

/**
 * The options both node commands take, by their command-line (kebab-case) names. No defaults here:
 * an option left out is undefined, so the runtime can take it from EVPAXOS_* env, the --config file
 * or the cluster file (in that order).
 */
const nodeOptionSpecs: Readonly<Record<string, Options>> = {
  id: { type: 'string', describe: 'This node id (in the cluster node list)' },
  'cluster-file': { type: 'string', describe: 'The cluster JSON file' },
  config: { type: 'string', describe: 'A JSON file of options (camelCase keys)' },
  'cluster-id': { type: 'string', describe: 'The cluster id (instead of a cluster file)' },
  secret: { type: 'string', describe: 'The cluster secret (overrides the file)' },
  'secret-file': {
    type: 'string',
    describe: 'A file holding the cluster secret (a mounted Docker or Kubernetes secret)',
  },
  nodes: {
    type: 'string',
    describe: 'id=central|charge-point@host:clusterPort:httpPort,… (instead of a cluster file)',
  },
  'phase1-quorum': { type: 'number', describe: 'Phase-1 quorum size' },
  'phase2-quorum': { type: 'number', describe: 'Phase-2 quorum size' },
  'tick-ms': { type: 'number', describe: 'Milliseconds per Paxos tick (default 10)' },
  'log-level': { type: 'string', describe: 'error, warn, info or debug (default info)' },
  'listen-host': { type: 'string', describe: 'Address to bind (default: own host)' },
  'data-dir': { type: 'string', describe: 'Durable acceptor state (charge points)' },
  'data-dir-must-exist': {
    type: 'boolean',
    describe: 'The node ran on --data-dir before: refuse an empty one (its state was lost)',
  },
  'unsafe-no-fsync': {
    type: 'boolean',
    describe: 'Skip fsync: labs and benchmarks only, breaks safety on a machine crash',
  },
  trace: {
    type: 'boolean',
    describe: 'Log every Prepare, Promise, Accept, Accepted, Nack and Decide (GET /trace)',
  },
  'pending-client-calls-max': { type: 'number', describe: 'Default 10000' },
  'client-call-timeout-ms': { type: 'number', describe: 'Default 10000' },
  'applied-entries-kept-max': { type: 'number', describe: 'Default 100000' },
  'applied-commands-kept-max': { type: 'number', describe: 'Default 100000' },
  'http-body-bytes-max': { type: 'number', describe: 'Default 1048576' },
  'log-read-entries-max': { type: 'number', describe: 'Default 10000' },
};

export function nodeOptions(yargs: Argv) {
  return yargs.options(nodeOptionSpecs);
}

export type NodeArgs = Record<string, unknown>;

/** The runtime's names of the options: camelCase (`tick-ms` → `tickMs`). */
const runtimeFlagNames = Object.keys(nodeOptionSpecs).map((name) =>
  name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase()),
);

/** yargs gives each option in kebab and camel case; the runtime takes the camelCase ones. */
export function toRuntimeFlags(args: NodeArgs): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const name of runtimeFlagNames) if (args[name] !== undefined) flags[name] = args[name];
  return flags;
}

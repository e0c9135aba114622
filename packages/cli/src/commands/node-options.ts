/** The options and flags both node commands (charge-point, central) share. */
import type { Argv } from 'yargs';

/**
 * The options both node commands take. No defaults here: an option left out is undefined, so the
 * runtime can take it from EVPAXOS_* env, the --config file or the cluster file (in that order).
 */
export function nodeOptions(yargs: Argv) {
  return yargs
    .option('id', { type: 'string', describe: 'This node id (in the cluster node list)' })
    .option('cluster-file', { type: 'string', describe: 'The cluster JSON file' })
    .option('config', { type: 'string', describe: 'A JSON file of options (camelCase keys)' })
    .option('cluster-id', {
      type: 'string',
      describe: 'The cluster id (instead of a cluster file)',
    })
    .option('secret', { type: 'string', describe: 'The cluster secret (overrides the file)' })
    .option('secret-file', {
      type: 'string',
      describe: 'A file holding the cluster secret (a mounted Docker or Kubernetes secret)',
    })
    .option('nodes', {
      type: 'string',
      describe: 'id=central|charge-point@host:clusterPort:httpPort,… (instead of a cluster file)',
    })
    .option('phase1-quorum', { type: 'number', describe: 'Phase-1 quorum size' })
    .option('phase2-quorum', { type: 'number', describe: 'Phase-2 quorum size' })
    .option('tick-ms', { type: 'number', describe: 'Milliseconds per Paxos tick (default 10)' })
    .option('log-level', {
      type: 'string',
      describe: 'error, warn, info or debug (default info)',
    })
    .option('listen-host', { type: 'string', describe: 'Address to bind (default: own host)' })
    .option('data-dir', { type: 'string', describe: 'Durable acceptor state (charge points)' })
    .option('data-dir-must-exist', {
      type: 'boolean',
      describe: 'The node ran on --data-dir before: refuse an empty one (its state was lost)',
    })
    .option('unsafe-no-fsync', {
      type: 'boolean',
      describe: 'Skip fsync: labs and benchmarks only, breaks safety on a machine crash',
    })
    .option('trace', {
      type: 'boolean',
      describe: 'Log every Prepare, Promise, Accept, Accepted, Nack and Decide (GET /trace)',
    })
    .option('pending-client-calls-max', { type: 'number', describe: 'Default 10000' })
    .option('client-call-timeout-ms', { type: 'number', describe: 'Default 10000' })
    .option('applied-entries-kept-max', { type: 'number', describe: 'Default 100000' })
    .option('applied-commands-kept-max', { type: 'number', describe: 'Default 100000' })
    .option('http-body-bytes-max', { type: 'number', describe: 'Default 1048576' })
    .option('log-read-entries-max', { type: 'number', describe: 'Default 10000' });
}

export type NodeArgs = Record<string, unknown>;

const runtimeFlagNames = [
  'id',
  'clusterFile',
  'config',
  'clusterId',
  'secret',
  'secretFile',
  'nodes',
  'phase1Quorum',
  'phase2Quorum',
  'tickMs',
  'logLevel',
  'listenHost',
  'dataDir',
  'unsafeNoFsync',
  'dataDirMustExist',
  'trace',
  'pendingClientCallsMax',
  'clientCallTimeoutMs',
  'appliedEntriesKeptMax',
  'appliedCommandsKeptMax',
  'httpBodyBytesMax',
  'logReadEntriesMax',
];

/** yargs gives each option in kebab and camel case; the runtime takes the camelCase ones. */
export function toRuntimeFlags(args: NodeArgs): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const name of runtimeFlagNames) if (args[name] !== undefined) flags[name] = args[name];
  return flags;
}

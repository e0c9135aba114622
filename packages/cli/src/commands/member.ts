import type { Argv, CommandModule } from 'yargs';
import type { Reconfiguration } from '@evpaxos/paxos';
import {
  LauncherError,
  changeMembership,
  openCluster,
  readmissionOf,
  type ClusterHandle,
  type MembershipResult,
} from '../launcher';
import { runLauncher, withDir } from './launcher-command';

interface MemberArgs {
  dir: string;
  node: string;
  with?: string;
  acceptor?: boolean;
  learner?: boolean;
  'phase1-quorum'?: number;
  'phase2-quorum'?: number;
  'timeout-ms': number;
}

function describeResult(what: string, result: MembershipResult): string {
  const { acceptors, phase1Quorum, phase2Quorum } = result.configuration;
  return (
    `${what}: decided in slot ${result.slot}, takes effect at slot ${result.effectiveSlot}; ` +
    `acceptors ${acceptors.join(',')} (quorums ${phase1Quorum}/${phase2Quorum}).`
  );
}

/** The quorums a change may set for the new set; each must be a whole number (exit 2 otherwise). */
function quorums(args: MemberArgs): Pick<Reconfiguration, 'phase1Quorum' | 'phase2Quorum'> {
  const out: { phase1Quorum?: number; phase2Quorum?: number } = {};
  for (const [flag, key] of [
    ['phase1-quorum', 'phase1Quorum'],
    ['phase2-quorum', 'phase2Quorum'],
  ] as const) {
    const value = args[flag];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1) {
      throw new LauncherError('invalid-option', `--${flag} must be a whole number of at least 1.`);
    }
    out[key] = value;
  }
  return out;
}

function checkTimeout(timeoutMs: number): number {
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 3_600_000) {
    throw new LauncherError(
      'invalid-option',
      `--timeout-ms must be a whole number from 1 to 3600000 (got ${String(timeoutMs)}).`,
    );
  }
  return timeoutMs;
}

function memberSubcommand(
  name: string,
  describe: string,
  options: (yargs: Argv) => Argv,
  run: (cluster: ClusterHandle, args: MemberArgs) => Promise<string>,
): CommandModule<object, MemberArgs> {
  return {
    command: `${name} <node>`,
    describe,
    builder: (yargs: Argv) =>
      options(
        withDir(yargs)
          .positional('node', { type: 'string', demandOption: true, describe: 'A charge point id' })
          .option('phase1-quorum', { type: 'number', describe: "The new set's phase-1 quorum" })
          .option('phase2-quorum', { type: 'number', describe: "The new set's phase-2 quorum" })
          .option('timeout-ms', {
            type: 'number',
            default: 30_000,
            describe: 'Give up after this long',
          }),
      ) as unknown as Argv<MemberArgs>,
    handler: (args) =>
      runLauncher(async () => {
        checkTimeout(args['timeout-ms']);
        console.log(await run(openCluster(args.dir), args));
      }),
  };
}

const addCommand = memberSubcommand(
  'add',
  'Make a charge point of the cluster file vote (it must run: evpaxos cluster add-node)',
  (yargs) =>
    yargs
      .option('acceptor', { type: 'boolean', describe: 'Add it as an acceptor (the default)' })
      .option('learner', {
        type: 'boolean',
        describe: 'Only check that it runs as a learner: every node of the cluster file learns',
      })
      .conflicts('acceptor', 'learner'),
  async (cluster, args) => {
    if (args.learner === true) {
      // Learning needs no decision: every node in the cluster file gets every decided slot.
      const status = await cluster.nodeStatus(args.node).catch(() => {
        throw new LauncherError(
          'membership-refused',
          `refused: ${args.node} does not answer: start it first (evpaxos cluster add-node ${args.node}).`,
        );
      });
      return `${args.node} learns (applied through slot ${status.paxos.appliedThrough}, ${status.paxos.standing}); no decision is needed for a learner.`;
    }
    const change: Reconfiguration = { kind: 'add', acceptor: args.node, ...quorums(args) };
    return describeResult(
      `add ${args.node}`,
      await changeMembership(cluster, change, args['timeout-ms']),
    );
  },
);

const removeCommand = memberSubcommand(
  'remove',
  'Stop a charge point from voting (it stays a learner while it runs)',
  (yargs) => yargs,
  async (cluster, args) => {
    const change: Reconfiguration = { kind: 'remove', acceptor: args.node, ...quorums(args) };
    return describeResult(
      `remove ${args.node}`,
      await changeMembership(cluster, change, args['timeout-ms']),
    );
  },
);

const replaceCommand = memberSubcommand(
  'replace',
  'Replace an acceptor by another charge point (--with), or re-admit one that lost its state (no --with)',
  (yargs) =>
    yargs.option('with', {
      type: 'string',
      describe: 'The charge point that takes its vote; without it, re-admit <node> in place',
    }),
  async (cluster, args) => {
    const change: Reconfiguration =
      args.with === undefined || args.with === args.node
        ? { ...(await readmissionOf(cluster, args.node)), ...quorums(args) }
        : { kind: 'replace', acceptor: args.node, by: args.with, ...quorums(args) };
    const what =
      change.kind === 'replace' && change.by === change.acceptor
        ? `re-admit ${args.node} (incarnation ${String(change.incarnation)})`
        : `replace ${args.node} with ${String(args.with)}`;
    return describeResult(what, await changeMembership(cluster, change, args['timeout-ms']));
  },
);

export const memberCommand: CommandModule = {
  command: 'member <command>',
  describe: 'Change who votes while the site runs (member add | remove | replace)',
  builder: (yargs: Argv) =>
    yargs
      .command(addCommand)
      .command(removeCommand)
      .command(replaceCommand)
      .demandCommand(1, 'Name a subcommand: evpaxos member add | remove | replace.'),
  handler: () => undefined,
};

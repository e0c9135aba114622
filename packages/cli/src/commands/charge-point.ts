import type { Argv, CommandModule } from 'yargs';
import { chargePointExtension } from '@evpaxos/charge-point';
import { runNodeProcess } from '@evpaxos/runtime';
import { nodeOptions, toRuntimeFlags, type NodeArgs } from './node-options';

/** `evpaxos charge-point`: an acceptor + learner process with durable state (docs/CLUSTER.md). */
export const chargePointCommand: CommandModule<object, NodeArgs> = {
  command: 'charge-point',
  describe: 'Run a charge point node: Paxos acceptor + learner, durable in its data dir',
  builder: (yargs: Argv) => nodeOptions(yargs) as Argv<NodeArgs>,
  handler: (args) => runNodeProcess('charge-point', toRuntimeFlags(args), chargePointExtension()),
};

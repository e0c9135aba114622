import type { Argv, CommandModule } from 'yargs';
import { runNodeProcess } from '@evpaxos/runtime';
import { nodeOptions, toRuntimeFlags, type NodeArgs } from './charge-point';

/** `evpaxos central`: a proposer + learner process (contract.md); the logic is in @evpaxos/runtime. */
export const centralCommand: CommandModule<object, NodeArgs> = {
  command: 'central',
  describe: 'Run a central node: Paxos proposer + learner, HTTP and client API',
  builder: (yargs: Argv) => nodeOptions(yargs) as Argv<NodeArgs>,
  handler: (args) => runNodeProcess('central', toRuntimeFlags(args)),
};

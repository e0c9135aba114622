import type { Argv, CommandModule } from 'yargs';
import { centralExtension } from '@evpaxos/central-system';
import { composeExtensions, dashboardExtension } from '@evpaxos/dashboard';
import { runNodeProcess } from '@evpaxos/runtime';
import { nodeOptions, toRuntimeFlags, type NodeArgs } from './node-options';

/**
 * `evpaxos central`: a proposer + learner process (docs/CLUSTER.md) and, while it leads, the OCPP 2.0.1
 * CSMS on its servicePort (docs/SITE.md); the logic is in @evpaxos/central-system.
 */
export const centralCommand: CommandModule<object, NodeArgs> = {
  command: 'central',
  describe: 'Run a central node: Paxos proposer + learner, OCPP CSMS, HTTP and client API',
  builder: (yargs: Argv) => nodeOptions(yargs) as Argv<NodeArgs>,
  handler: (args) =>
    runNodeProcess(
      'central',
      toRuntimeFlags(args),
      composeExtensions(centralExtension(), dashboardExtension()),
    ),
};

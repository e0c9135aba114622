import type { Argv, CommandModule } from 'yargs';
import { centralExtension } from '@evpaxos/central-system';
import { siteOptionsFromClusterFile } from '@evpaxos/charge-point';
import { runNodeProcess } from '@evpaxos/runtime';
import { nodeOptions, toRuntimeFlags, type NodeArgs } from './charge-point';

/**
 * `evpaxos central`: a proposer + learner process (contract.md) and, while it leads, the OCPP 2.0.1
 * CSMS on its servicePort (contract-site.md); the logic is in @evpaxos/central-system.
 */
export const centralCommand: CommandModule<object, NodeArgs> = {
  command: 'central',
  describe: 'Run a central node: Paxos proposer + learner, OCPP CSMS, HTTP and client API',
  builder: (yargs: Argv) => nodeOptions(yargs) as Argv<NodeArgs>,
  handler: (args) => {
    const clusterFile =
      typeof args.clusterFile === 'string' ? args.clusterFile : process.env.EVPAXOS_CLUSTER_FILE;
    let site;
    try {
      // The same reading of the cluster file's "site" block as the charge points: every replica alike.
      site = siteOptionsFromClusterFile(clusterFile);
    } catch (error) {
      process.stderr.write(
        `evpaxos central: the configuration is refused:\n  ${String((error as Error).message)}\n`,
      );
      process.exit(2);
    }
    return runNodeProcess('central', toRuntimeFlags(args), centralExtension({ site }));
  },
};

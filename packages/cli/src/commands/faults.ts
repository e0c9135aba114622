import type { Argv, CommandModule } from 'yargs';
import { openCluster } from '../launcher';
import { runLauncher, withDir } from './launcher-command';

interface PartitionArgs {
  dir: string;
  spec: string;
}

export const partitionCommand: CommandModule<object, PartitionArgs> = {
  command: 'partition <spec>',
  describe:
    'Cut the network into sides, e.g. "central-a,cp1,cp2 | central-b,cp3,cp4,cp5" (replaces any earlier partition)',
  builder: (yargs: Argv) =>
    withDir(yargs).positional('spec', {
      type: 'string',
      demandOption: true,
      describe: 'Sides separated by "|", node ids by ","; unlisted nodes reach every side',
    }) as unknown as Argv<PartitionArgs>,
  handler: (args) =>
    runLauncher(async () => {
      await openCluster(args.dir).partition(args.spec);
      console.log(`partitioned: ${args.spec}`);
    }),
};

export const healCommand: CommandModule<object, { dir: string }> = {
  command: 'heal',
  describe: 'Remove every fault rule on every node',
  builder: (yargs: Argv) => withDir(yargs) as unknown as Argv<{ dir: string }>,
  handler: (args) =>
    runLauncher(async () => {
      await openCluster(args.dir).heal();
      console.log('healed');
    }),
};

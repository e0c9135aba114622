import type { Argv, CommandModule } from 'yargs';
import { formatStatusTable, openCluster } from '../launcher';
import { runLauncher, withDir } from './launcher-command';

interface StatusArgs {
  dir: string;
  json: boolean;
}

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status',
  describe: "Every node's process state, proposer state, ballot, leader, applied slot and peers",
  builder: (yargs: Argv) =>
    withDir(yargs).option('json', {
      type: 'boolean',
      default: false,
      describe: 'Print JSON (each node with its full /status) instead of a table',
    }) as unknown as Argv<StatusArgs>,
  handler: (args) =>
    runLauncher(async () => {
      const rows = await openCluster(args.dir).status();
      console.log(args.json ? JSON.stringify(rows, null, 2) : formatStatusTable(rows));
    }),
};

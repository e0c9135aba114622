#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { simCommand } from './commands/sim';

/** The `evpaxos` command: one file per subcommand under commands/. */
export async function main(argv: string[]): Promise<void> {
  await yargs(argv)
    .scriptName('evpaxos')
    .command(simCommand)
    .demandCommand(1, 'Name a command: evpaxos <command> --help lists them.')
    .strict()
    .recommendCommands()
    .fail((message, error) => {
      // Bad arguments: one clear sentence, exit 2; never a stack trace.
      console.error(`evpaxos: ${error?.message ?? message}`);
      console.error('Run "evpaxos --help" for usage.');
      process.exit(2);
    })
    .help()
    .parseAsync();
}

if (require.main === module) {
  main(hideBin(process.argv)).catch((error: unknown) => {
    console.error(`evpaxos: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}

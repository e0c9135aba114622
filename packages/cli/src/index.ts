#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { simCommand } from './commands/sim';
import { demoCommand } from './commands/demo';
import { clusterCommand } from './commands/cluster';
import { healCommand, partitionCommand } from './commands/faults';
import { killCommand, pauseCommand, restartCommand, resumeCommand } from './commands/node-control';
import { statusCommand } from './commands/status';
import { submitCommand } from './commands/submit';
import { centralCommand } from './commands/central';
import { chargePointCommand } from './commands/charge-point';
import { evEmulatorCommand } from './commands/ev-emulator';
import { verifyCommand } from './commands/verify';
import { reportCommand } from './commands/report';
import { nemesisCommand } from './commands/nemesis';
import { reserveCommand } from './commands/reserve';
import { traceCommand } from './commands/trace';
import { ocppCertsCommand } from './commands/ocpp-certs';
import { ocppCommand } from './commands/ocpp';
import { memberCommand } from './commands/member';

// The launcher, for programs that start a local cluster (the benchmark, the dashboard's browser
// test): the package's public API besides the command itself.
export { clusterUp, type ClusterHandle } from './launcher';

/** The `evpaxos` command: one file per subcommand under commands/. */
export async function main(argv: string[]): Promise<void> {
  await yargs(argv)
    .scriptName('evpaxos')
    .command(simCommand)
    .command(demoCommand)
    .command(clusterCommand)
    .command(statusCommand)
    .command(killCommand)
    .command(restartCommand)
    .command(pauseCommand)
    .command(resumeCommand)
    .command(partitionCommand)
    .command(healCommand)
    .command(submitCommand)
    .command(centralCommand)
    .command(chargePointCommand)
    .command(evEmulatorCommand)
    .command(verifyCommand)
    .command(reportCommand)
    .command(nemesisCommand)
    .command(reserveCommand)
    .command(traceCommand)
    .command(ocppCertsCommand)
    .command(ocppCommand)
    .command(memberCommand)
    .demandCommand(1, 'Name a command: evpaxos <command> --help lists them.')
    .check((parsed) => checkNumbers(parsed, argv), true)
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

/**
 * Every number option of every command: yargs reads `--timeout-ms abc` as NaN and would carry on
 * with it (a submit "not acknowledged within NaN ms"); refused here, as a usage error (exit 2).
 */
function checkNumbers(parsed: Record<string, unknown>, argv: readonly string[]): true {
  const bad = Object.entries(parsed).filter(
    ([key, value]) =>
      typeof value === 'number' && !Number.isFinite(value) && !/[A-Z]/.test(key) && key !== '$0',
  );
  if (bad.length === 0) return true;
  const [key] = bad[0] as [string, number];
  const index = argv.findIndex((arg) => arg === `--${key}` || arg.startsWith(`--${key}=`));
  const given =
    index < 0
      ? undefined
      : argv[index]?.includes('=')
        ? argv[index]?.split('=')[1]
        : argv[index + 1];
  throw new Error(`--${key} must be a number (got "${given ?? ''}").`);
}

if (require.main === module) {
  main(hideBin(process.argv)).catch((error: unknown) => {
    console.error(`evpaxos: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}

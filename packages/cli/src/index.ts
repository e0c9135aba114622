#!/usr/bin/env node
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';

// The launcher, for programs that start a local cluster (the benchmark, the dashboard's browser
// test): the package's public API besides the command itself.
export { clusterUp, type ClusterHandle } from './launcher';

/**
 * The commands `argv` may run. A node process (`evpaxos charge-point`, `evpaxos central`, argv's
 * first word as the launcher spawns it) loads its own role's command and nothing else: not the
 * launcher's commands, the simulator, verify, the report renderer, the EV emulator (YAML), the
 * other role's package. It runs for days, one per charge point on a small board, and every module
 * it loads stays resident (docs/BENCHMARKS.md, "Idle footprint": RSS per charge point).
 */
async function commandsFor(
  argv: readonly string[],
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each command's own argument type
): Promise<readonly CommandModule<object, any>[]> {
  if (argv[0] === 'charge-point')
    return [(await import('./commands/charge-point')).chargePointCommand];
  if (argv[0] === 'central') return [(await import('./commands/central')).centralCommand];
  return (await import('./commands/all-commands')).allCommands;
}

/** The `evpaxos` command: one file per subcommand under commands/. */
export async function main(argv: string[]): Promise<void> {
  await yargs(argv)
    .scriptName('evpaxos')
    .command([...(await commandsFor(argv))])
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

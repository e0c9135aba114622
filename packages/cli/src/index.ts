#!/usr/bin/env node
import type { CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runCli } from './run-cli';

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
  await runCli(argv, await commandsFor(argv));
}

if (require.main === module) {
  main(hideBin(process.argv)).catch((error: unknown) => {
    console.error(`evpaxos: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}

/**
 * The `evpaxos` argument parser over a given list of commands: what the full CLI (index.ts) and
 * each node role's bundle entry (entries/) run, so both parse, check and fail the same way.
 */
import yargs, { type CommandModule } from 'yargs';

export async function runCli(
  argv: string[],
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each command's own argument type
  commands: readonly CommandModule<object, any>[],
): Promise<void> {
  await yargs(argv)
    .scriptName('evpaxos')
    .command([...commands])
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

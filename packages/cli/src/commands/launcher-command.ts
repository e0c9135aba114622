import type { Argv } from 'yargs';
import { LauncherError } from '../launcher';

/** The directory option every launcher command shares. */
export function withDir<T>(yargs: Argv<T>) {
  return yargs.option('dir', {
    type: 'string',
    default: '.evpaxos',
    describe: 'The cluster directory (cluster.json, processes.json, logs/, data/)',
  });
}

/**
 * Runs a launcher command: a `LauncherError` becomes one sentence on stderr and its exit code
 * (2 for a bad argument, 1 otherwise), never a stack trace.
 */
export async function runLauncher(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (!(error instanceof LauncherError)) throw error;
    console.error(`evpaxos: ${error.message}`);
    process.exitCode = error.exitCode;
  }
}

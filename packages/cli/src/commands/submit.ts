import type { Argv, CommandModule } from 'yargs';
import { LauncherError, openCluster } from '../launcher';
import { runLauncher, withDir } from './launcher-command';

interface SubmitArgs {
  dir: string;
  payload: string;
  via?: string;
  'timeout-ms': number;
}

export const submitCommand: CommandModule<object, SubmitArgs> = {
  command: 'submit <payload>',
  describe: 'Submit a JSON command to the leader and print { slot, ballot, result } once decided',
  builder: (yargs: Argv) =>
    withDir(yargs)
      .positional('payload', { type: 'string', demandOption: true, describe: 'A JSON value' })
      .option('via', { type: 'string', describe: 'Send to this central only (no redirects)' })
      .option('timeout-ms', {
        type: 'number',
        default: 12_000,
        describe: 'Give up after this long',
      }) as unknown as Argv<SubmitArgs>,
  handler: (args) =>
    runLauncher(async () => {
      let payload: unknown;
      // Cluster.submit stamps atMs on a site command that has none (docs/CLUSTER.md).
      try {
        payload = JSON.parse(args.payload);
      } catch (error) {
        throw new LauncherError(
          'invalid-option',
          `The payload is not JSON (${(error as Error).message}): quote it, e.g. '{"type":"Noop"}'.`,
        );
      }
      const result = await openCluster(args.dir).submit(payload, {
        timeoutMs: args['timeout-ms'],
        ...(args.via === undefined ? {} : { via: args.via, follow: false }),
      });
      const { slot, ballot, result: value, duplicate, nodeId, latencyMs } = result;
      console.log(JSON.stringify({ slot, ballot, result: value, duplicate, nodeId, latencyMs }));
      // Decided, but refused by the site (docs/SITE.md: a SiteRejection): exit 1, with the reason.
      const refusal = value as { ok?: unknown; code?: unknown; reason?: unknown } | null;
      if (refusal?.ok === false) {
        console.error(
          `evpaxos: refused in slot ${slot}: ${String(refusal.code)}: ${String(refusal.reason)}`,
        );
        process.exitCode = 1;
      }
    }),
};

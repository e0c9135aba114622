import type { Argv, CommandModule } from 'yargs';
import { LauncherError, openCluster } from '../launcher';
import { runLauncher, withDir } from './launcher-command';

interface SubmitArgs {
  dir: string;
  payload: string;
  via?: string;
  'timeout-ms': number;
  count: number;
}

/** `--count` at most: a lab drives α (64) slots with one command; more is a benchmark's job. */
const SUBMIT_COUNT_MAX = 10_000;

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
      })
      .option('count', {
        type: 'number',
        default: 1,
        describe: `Submit it this many times, one after another (e.g. to drive slots), at most ${SUBMIT_COUNT_MAX}`,
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
      // A command is a JSON object ('{"type":"Noop"}'); a number, string, array or null is a
      // typo the central would refuse after a round trip, or decide as a meaningless value.
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        throw new LauncherError(
          'invalid-option',
          `The payload must be a JSON object, e.g. '{"type":"Noop"}' (got ${Array.isArray(payload) ? 'an array' : payload === null ? 'null' : `a ${typeof payload}`}).`,
        );
      }
      const timeoutMs = args['timeout-ms'];
      if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 3_600_000) {
        throw new LauncherError(
          'invalid-option',
          `--timeout-ms must be a whole number from 1 to 3600000 (got ${String(timeoutMs)}).`,
        );
      }
      const count = args.count;
      if (!Number.isInteger(count) || count < 1 || count > SUBMIT_COUNT_MAX) {
        throw new LauncherError(
          'invalid-option',
          `--count must be a whole number from 1 to ${SUBMIT_COUNT_MAX} (got ${String(count)}).`,
        );
      }
      const cluster = openCluster(args.dir);
      for (let index = 0; index < count; index += 1) {
        const result = await cluster.submit(payload, {
          timeoutMs,
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
      }
    }),
};

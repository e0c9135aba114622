import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { LauncherError } from '../launcher';
import { formatVerifyReport } from '../verify';
import { runNemesis } from '../nemesis';
import { runLauncher } from './launcher-command';

interface NemesisArgs {
  minutes: number;
  seed: number;
  dir?: string;
  clients: number;
}

/** `evpaxos nemesis --minutes N --seed S` (npm run nemesis): a long fault run, then the checks. */
export const nemesisCommand: CommandModule<object, NemesisArgs> = {
  command: 'nemesis',
  describe:
    'Run a real cluster under client load and EVs charging while kill -9, pause and partitions come and go; check nothing acknowledged was lost',
  builder: (yargs: Argv) =>
    yargs
      .option('minutes', { type: 'number', default: 5, describe: 'How long faults are injected' })
      .option('seed', { type: 'number', default: 1, describe: 'Picks the faults and their times' })
      .option('clients', { type: 'number', default: 4, describe: 'Concurrent submitting clients' })
      .option('dir', {
        type: 'string',
        describe: 'The cluster dir (default: a new temporary one, kept for `evpaxos verify`)',
      }) as unknown as Argv<NemesisArgs>,
  handler: (args) =>
    runLauncher(async () => {
      const problems: string[] = [];
      if (!(args.minutes > 0 && args.minutes <= 24 * 60)) {
        problems.push('--minutes must be a number above 0 and at most 1440.');
      }
      if (!Number.isSafeInteger(args.seed)) problems.push('--seed must be a whole number.');
      if (!(Number.isInteger(args.clients) && args.clients >= 1 && args.clients <= 64)) {
        problems.push('--clients must be a whole number from 1 to 64.');
      }
      if (problems.length > 0) throw new LauncherError('invalid-option', problems.join(' '));
      const dir = args.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-nemesis-'));
      const report = await runNemesis({
        dir,
        seed: args.seed,
        durationMs: args.minutes * 60_000,
        clients: args.clients,
        log: (line) => console.log(line),
      });
      console.log(formatVerifyReport(report.verify));
      console.log(
        `nemesis seed ${report.seed}: ${report.faults.length} faults, ${report.submitted} commands submitted, ${report.acknowledged} acknowledged, ${report.lost.length} acknowledged lost; logs in ${dir}`,
      );
      for (const lost of report.lost.slice(0, 20)) console.log(`LOST ${lost}`);
      for (const failed of report.failedProperties) console.log(`FAILED ${failed}`);
      if (report.pass && !report.verify.pass) {
        console.log(
          'durability: vacuous in the logs (no restarted node decided a slot again), checked directly above: 0 acknowledged lost.',
        );
      }
      if (!report.pass) process.exitCode = 1;
    }),
};

import type { Argv, CommandModule } from 'yargs';
import { formatVerifyReport, verifyDir } from '../verify';

interface VerifyArgs {
  dir: string;
  json: boolean;
  'site-limit-w'?: number;
}

export const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: 'verify <dir>',
  describe:
    "Check a run's logs (DIR/logs/*.log): agreement, validity, durability, exactly-once, no double booking, site limit",
  builder: (yargs: Argv) =>
    yargs
      .positional('dir', {
        type: 'string',
        demandOption: true,
        describe: 'The cluster dir (cluster.json, logs/)',
      })
      .option('json', { type: 'boolean', default: false, describe: 'Print the report as JSON' })
      .option('site-limit-w', {
        type: 'number',
        describe: 'The limit to check, W (default: cluster.json site.siteLimitW, else 44000)',
      }) as unknown as Argv<VerifyArgs>,
  handler: (args) => {
    const limit = args['site-limit-w'];
    if (limit !== undefined && !(Number.isFinite(limit) && limit > 0)) {
      console.error('evpaxos verify: --site-limit-w must be a positive number of W.');
      process.exitCode = 2;
      return;
    }
    let report;
    try {
      report = verifyDir(args.dir, limit);
    } catch (error) {
      console.error(`evpaxos verify: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 2;
      return;
    }
    console.log(args.json ? JSON.stringify(report, null, 2) : formatVerifyReport(report));
    // Exit 0 only if every property holds (docs/SITE.md).
    process.exitCode = report.pass ? 0 : 1;
  },
};

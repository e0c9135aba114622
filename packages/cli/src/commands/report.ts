import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { readRun, renderReport } from '@evpaxos/dashboard';

interface ReportArgs {
  dir: string;
  out?: string;
}

/** `evpaxos report DIR`: one self-contained HTML page for a finished run (logic in @evpaxos/dashboard). */
export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <dir>',
  describe:
    'Write one self-contained HTML report of a run from its logs: timeline, power chart, messages per decision, latency, leader changes with faults shaded',
  builder: (yargs: Argv) =>
    yargs
      .positional('dir', {
        type: 'string',
        demandOption: true,
        describe: 'The cluster dir (cluster.json, logs/)',
      })
      .option('out', {
        type: 'string',
        describe: 'Where to write the page (default: DIR/report.html)',
      }) as unknown as Argv<ReportArgs>,
  handler: (args) => {
    let html: string;
    try {
      html = renderReport(readRun(args.dir));
    } catch (error) {
      console.error(`evpaxos report: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
      return;
    }
    const out = args.out ?? path.join(args.dir, 'report.html');
    fs.writeFileSync(out, html);
    console.log(`Report written to ${path.resolve(out)} (${Math.round(html.length / 1024)} KiB).`);
  },
};

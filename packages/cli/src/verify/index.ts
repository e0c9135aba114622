/**
 * `evpaxos verify DIR`: the properties of docs/DESIGN.md checked on the logs of a run (DIR/logs/*.log,
 * JSON lines of every process) — the same properties the simulator checks, on a real cluster.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readLogDir, type LogSet } from './log-reader';
import { verifyLines, type PropertyResult } from './properties';

export { readLogDir, where, type LogLine, type LogSet } from './log-reader';
export { checkLiveness, checkRegistration } from './liveness';
export {
  checkAgreement,
  checkDurability,
  checkExactlyOnce,
  checkNoDoubleBooking,
  checkSiteLimit,
  checkValidity,
  verifyLines,
  type PropertyResult,
  type VerifyOptions,
} from './properties';

/** The launcher's default (cluster up --site-limit-w), used when cluster.json names no limit. */
export const SITE_LIMIT_W_DEFAULT = 44_000;

export interface VerifyReport {
  readonly dir: string;
  readonly logs: Pick<LogSet, 'files' | 'skippedLines'> & { readonly lines: number };
  readonly siteLimitW: number;
  readonly results: PropertyResult[];
  readonly pass: boolean;
}

/** Reads the run in `dir` and checks every property. Throws an Error if there are no logs. */
export function verifyDir(dir: string, siteLimitOverrideW?: number): VerifyReport {
  const logs = readLogDir(dir);
  const { siteLimitW, source } =
    siteLimitOverrideW !== undefined
      ? { siteLimitW: siteLimitOverrideW, source: '--site-limit-w' }
      : siteLimitOf(dir);
  const chargePointIds = chargePointsOfCluster(dir);
  const results = verifyLines(logs.lines, {
    siteLimitW,
    siteLimitSource: source,
    ...(chargePointIds !== undefined ? { chargePointIds } : {}),
  });
  return {
    dir,
    logs: { files: logs.files, skippedLines: logs.skippedLines, lines: logs.lines.length },
    siteLimitW,
    results,
    pass: results.every((result) => result.pass),
  };
}

/** The charge points cluster.json lists, or undefined when it cannot be read. */
function chargePointsOfCluster(dir: string): string[] | undefined {
  try {
    const cluster = JSON.parse(fs.readFileSync(path.join(dir, 'cluster.json'), 'utf8')) as {
      nodes?: { id?: unknown; role?: unknown }[];
    };
    return (cluster.nodes ?? [])
      .filter((node) => node.role === 'charge-point' && typeof node.id === 'string')
      .map((node) => node.id as string);
  } catch {
    return undefined;
  }
}

function siteLimitOf(dir: string): { siteLimitW: number; source: string } {
  const file = path.join(dir, 'cluster.json');
  try {
    const cluster = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      site?: { siteLimitW?: unknown };
    };
    const limit = cluster.site?.siteLimitW;
    if (typeof limit === 'number' && limit > 0)
      return { siteLimitW: limit, source: 'cluster.json' };
    return { siteLimitW: SITE_LIMIT_W_DEFAULT, source: 'default: cluster.json names none' };
  } catch {
    return { siteLimitW: SITE_LIMIT_W_DEFAULT, source: 'default: no readable cluster.json' };
  }
}

/**
 * One line per property: `PASS agreement  <evidence>` (or VACUOUS, or FAIL), then the
 * counterexample under a FAIL.
 */
export function formatVerifyReport(report: VerifyReport): string {
  const width = Math.max(...report.results.map((result) => result.property.length));
  const out = [
    `Read ${report.logs.lines} JSON lines from ${report.logs.files.length} log files in ${path.join(report.dir, 'logs')}` +
      (report.logs.skippedLines > 0
        ? ` (${report.logs.skippedLines} non-JSON lines skipped).`
        : '.'),
  ];
  for (const result of report.results) {
    // A property that held only for want of anything to check says so: VACUOUS, never PASS.
    const verdict = !result.pass ? 'FAIL' : result.vacuous === true ? 'VACUOUS' : 'PASS';
    out.push(`${verdict}  ${result.property.padEnd(width)}  ${result.evidence}`);
    if (result.counterexample !== undefined) {
      out.push(`      ${' '.repeat(width)}  first counterexample: ${result.counterexample}`);
    }
  }
  out.push(report.pass ? 'All properties hold.' : 'Some properties do NOT hold.');
  return out.join('\n');
}

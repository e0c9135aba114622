/**
 * `npm run bench -- --idle`: what every process of an idle default cluster (2 centrals, 5 charge
 * points, fsync on) costs, read from /proc so that a `--compare` build without GET /stats is
 * measured the same way, and with every build's cluster up at the same time (side by side: the
 * machine's load is the same for both). Per process: CPU (% of one core), resident memory and
 * wake-ups per second (the main thread's voluntary context switches: each is one sleep in the
 * event loop's poll that something ended). Results in docs/BENCHMARKS.md, "Idle footprint".
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clusterUp, type ClusterHandle } from '@evpaxos/cli';
import { median } from './latency';

export interface IdleProcessRow {
  readonly build: string;
  readonly id: string;
  readonly role: 'central' | 'charge-point';
  /** Whether this central led when the window closed. */
  readonly leader: boolean;
  readonly cpuPercent: number;
  readonly rssMiB: number;
  /**
   * Proportional set size: the pages this process alone maps, plus its share of pages it maps with
   * other processes (the node binary's code, ~44 MiB of every Node process's RSS, is mapped by
   * all of them). Summed over a site, PSS is the memory the site takes; summed RSS counts the
   * shared code once per process.
   */
  readonly pssMiB: number;
  readonly wakeupsPerSecond: number;
  /** What the process wrote to its log in the window (docs/CLUSTER.md, "The decided record"). */
  readonly logBytesPerSecond: number;
  readonly logLinesPerSecond: number;
}

export interface IdleFootprint {
  readonly windowMs: number;
  readonly loadAverage1m: number;
  readonly rows: readonly IdleProcessRow[];
}

interface ProcSample {
  readonly cpuTicks: number;
  readonly rssKiB: number;
  readonly pssKiB: number;
  readonly voluntarySwitches: number;
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on Linux). */
const USER_HZ = 100;
/**
 * How long fresh clusters settle (registrations, first lease renewals, V8 compiling what runs
 * often) before the window. 5 s was too short: the same build, two clusters started one after the
 * other, read 1.0 and 1.1 % of a core per charge point after 5 s and 0.65 and 0.60 % after 15 s,
 * the later cluster's window holding more of its start-up (docs/BENCHMARKS.md, "Idle footprint").
 */
const SETTLE_MS = 15_000;

/** One process's CPU ticks, RSS and main-thread voluntary context switches; null once it is gone. */
export function sampleProcess(pid: number): ProcSample | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuTicks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    const main = fs.readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
    const voluntary = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(main);
    return {
      cpuTicks,
      rssKiB: rss ? Number(rss[1]) : 0,
      pssKiB: pssKiB(pid),
      voluntarySwitches: voluntary ? Number(voluntary[1]) : 0,
    };
  } catch {
    return null;
  }
}

/** A log file's size in bytes, 0 when it cannot be read. */
export function logBytes(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Lines in `file` after its first `fromBytes` bytes (what a process wrote since then). */
export function logLinesSince(file: string, fromBytes: number): number {
  try {
    const text = fs.readFileSync(file);
    let lines = 0;
    for (
      let index = text.indexOf(10, fromBytes);
      index !== -1;
      index = text.indexOf(10, index + 1)
    ) {
      lines += 1;
    }
    return lines;
  } catch {
    return 0;
  }
}

/** A process's proportional set size (see IdleProcessRow.pssMiB), KiB; 0 when it is gone. */
export function pssKiB(pid: number): number {
  try {
    const pss = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return pss ? Number(pss[1]) : 0;
  } catch {
    return 0;
  }
}

async function leaderOf(cluster: ClusterHandle): Promise<string | null> {
  try {
    return (await cluster.waitForLeader(10_000)).leaderId;
  } catch {
    return null;
  }
}

/**
 * Starts one default cluster per build (`bins`: label → that build's bin/evpaxos.js, undefined for
 * this tree), all at once, lets them settle, then samples every process over `windowMs`.
 */
export async function measureIdleFootprint(
  bins: ReadonlyMap<string, string | undefined>,
  root: string,
  windowMs: number,
  otherV8Flags: readonly string[] = [],
): Promise<IdleFootprint> {
  const clusters = new Map<string, ClusterHandle>();
  try {
    for (const [build, bin] of bins) {
      const dir = fs.mkdtempSync(path.join(root, `idle-${build}-`));
      // Another build runs as it shipped (Node's V8 defaults and glibc's, not this launcher's flags
      // and environment) unless `otherV8Flags` says otherwise (--compare-v8-flags).
      clusters.set(
        build,
        await clusterUp({
          dir,
          basePort: 0,
          ...(bin ? { bin, v8Flags: otherV8Flags, nodeEnv: {} } : {}),
        }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const before = new Map<string, ProcSample | null>();
    const logBefore = new Map<string, number>();
    for (const [build, cluster] of clusters) {
      for (const node of cluster.nodes) {
        before.set(`${build}/${node.id}`, sampleProcess(node.pid));
        logBefore.set(`${build}/${node.id}`, logBytes(node.logFile));
      }
    }
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const rows: IdleProcessRow[] = [];
    for (const [build, cluster] of clusters) {
      const leaderId = await leaderOf(cluster);
      for (const node of cluster.nodes) {
        const start = before.get(`${build}/${node.id}`);
        const end = sampleProcess(node.pid);
        if (!start || !end) continue;
        const seconds = windowMs / 1000;
        const logFrom = logBefore.get(`${build}/${node.id}`) ?? 0;
        rows.push({
          build,
          id: node.id,
          role: node.role,
          leader: node.id === leaderId,
          cpuPercent: round1(((end.cpuTicks - start.cpuTicks) / USER_HZ / seconds) * 100),
          rssMiB: Math.round(end.rssKiB / 1024),
          pssMiB: Math.round(end.pssKiB / 1024),
          wakeupsPerSecond: Math.round((end.voluntarySwitches - start.voluntarySwitches) / seconds),
          logBytesPerSecond: Math.round((logBytes(node.logFile) - logFrom) / seconds),
          logLinesPerSecond: round1(logLinesSince(node.logFile, logFrom) / seconds),
        });
      }
    }
    return { windowMs, loadAverage1m: round1(os.loadavg()[0] ?? 0), rows };
  } finally {
    for (const cluster of clusters.values()) await cluster.down();
  }
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** A Markdown table: one row per process, then one per build and role with the medians. */
export function renderIdleFootprint(footprint: IdleFootprint): string {
  const header =
    '| build | process | CPU, % of a core | RSS, MiB | PSS, MiB | wake-ups / s | log, bytes / s | log lines / s |\n|---|---|---|---|---|---|---|---|';
  const lines = footprint.rows.map(
    (r) =>
      `| ${r.build} | ${r.id}${r.leader ? ' (leader)' : ''} | ${r.cpuPercent} | ${r.rssMiB} | ${r.pssMiB} | ${r.wakeupsPerSecond} | ${r.logBytesPerSecond} | ${r.logLinesPerSecond} |`,
  );
  const builds = [...new Set(footprint.rows.map((r) => r.build))];
  for (const build of builds) {
    for (const role of ['central', 'charge-point'] as const) {
      const rows = footprint.rows.filter((r) => r.build === build && r.role === role);
      if (rows.length === 0) continue;
      lines.push(
        `| ${build} | median ${role} | ${round1(median(rows.map((r) => r.cpuPercent)))} | ${Math.round(median(rows.map((r) => r.rssMiB)))} | ${Math.round(median(rows.map((r) => r.pssMiB)))} | ${Math.round(median(rows.map((r) => r.wakeupsPerSecond)))} | ${Math.round(median(rows.map((r) => r.logBytesPerSecond)))} | ${round1(median(rows.map((r) => r.logLinesPerSecond)))} |`,
      );
    }
  }
  return `${[header, ...lines].join('\n')}\n\n${footprint.windowMs / 1000} s window, load average (1 min) ${footprint.loadAverage1m}`;
}

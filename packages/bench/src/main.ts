/**
 * `npm run bench [-- --quick] [-- --compare BIN] [-- --rounds N]` (`-- --help` lists the options): a
 * real cluster driven from a separate client process, beside the physical floor (loopback round
 * trip, fdatasync) and, where installed, etcd. Method and results: docs/BENCHMARKS.md.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clusterUp, type ClusterHandle } from '@evpaxos/cli';
import { runJob, startBareCommitPath, startServerJob } from './child';
import type { ClientJob, PaxosRunResult } from './client';
import type { ClosedLoopResult } from './closed-loop';
import { EtcdCluster, etcdVersion, findEtcd } from './etcd-cluster';
import { measureFailover } from './failover';
import { BenchArgsError, benchUsage, parseBenchArgs, type Settings } from './args';
import { median, type LatencySummary } from './latency';
import { renderChart, renderTable, type BenchReport, type SystemRow } from './report';
import { perCommand } from './per-command';
import { medianRows, roundOrder } from './rounds';
import { measureSiteSize, renderSiteSizes, type SiteBuild, type SiteSizeRow } from './site-size';
import {
  logBytes,
  logLinesSince,
  measureIdleFootprint,
  renderIdleFootprint,
} from './idle-footprint';

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

/** One row of the table from one closed-loop run, logged as it is measured. */
function measuredRow(
  system: string,
  acceptors: number,
  concurrency: number,
  run: ClosedLoopResult,
  perCommandStats: SystemRow['perCommand'],
): SystemRow {
  log(
    `${system} n=${acceptors} c=${concurrency}: ${Math.round(run.operationsPerSecond)} ops/s, p50 ${run.p50Ms.toFixed(3)} ms`,
  );
  return {
    system,
    acceptors,
    concurrency,
    commandsPerSecond: run.operationsPerSecond,
    p50Ms: run.p50Ms,
    p99Ms: run.p99Ms,
    errors: run.errors,
    perCommand: perCommandStats,
  };
}

/** A closed-loop /client job with the run's warm-up, window and value size. */
function paxosJob(
  settings: Settings,
  url: string,
  concurrency: number,
  statsUrls: readonly string[],
  arrayFrames: boolean,
  apiToken: string | undefined,
): ClientJob {
  return {
    mode: 'paxos',
    url,
    ...(apiToken === undefined ? {} : { apiToken }),
    concurrency,
    warmupMs: settings.warmupMs,
    warmupOperationsMin: settings.warmupOperationsMin,
    measureMs: settings.measureMs,
    valueBytes: settings.valueBytes,
    statsUrls,
    arrayFrames,
  };
}

async function measureOurs(
  settings: Settings,
  label: string,
  bin: string | undefined,
  acceptors: number,
  root: string,
): Promise<SystemRow[]> {
  const dir = fs.mkdtempSync(path.join(root, `${label}-${acceptors}-`));
  log(`${label}: starting 1 central + ${acceptors} charge points (fsync on) in ${dir}`);
  const cluster = await clusterUp({
    dir,
    centrals: 1,
    chargePoints: acceptors,
    basePort: 0,
    ...(bin ? { bin } : {}),
    ...(bin && settings.compareV8Flags ? { v8Flags: settings.compareV8Flags } : {}),
    ...(!bin && settings.cpuProfDir !== null ? { cpuProfDir: settings.cpuProfDir } : {}),
  });
  const rows: SystemRow[] = [];
  try {
    const { leaderId } = await cluster.waitForLeader(10_000);
    const leader = cluster.node(leaderId);
    const statsUrls = cluster.nodes.map((n) => `http://${n.host}:${n.httpPort}/stats`);
    for (const concurrency of settings.concurrencies) {
      const logFrom = cluster.nodes.map((n) => logBytes(n.logFile));
      const startedMs = Date.now();
      // A --compare build may predate array frames on /client; one request per frame is
      // understood by every build.
      const run = await runJob<PaxosRunResult>(
        paxosJob(
          settings,
          `ws://${leader.host}:${leader.httpPort}/client`,
          concurrency,
          statsUrls,
          bin === undefined || settings.compareArrays,
          cluster.apiToken,
        ),
      );
      rows.push(measuredRow(label, acceptors, concurrency, run, perCommand(run)));
      log(`${label} c=${concurrency}: ${logGrowth(cluster, logFrom, Date.now() - startedMs)}`);
    }
  } finally {
    await cluster.down();
  }
  return rows;
}

/**
 * What each node wrote to its log during a row (warm-up included), per second: the "decided"
 * record's cost in bytes and lines (docs/BENCHMARKS.md, "The decided record").
 */
function logGrowth(
  cluster: ClusterHandle,
  fromBytes: readonly number[],
  elapsedMs: number,
): string {
  const seconds = elapsedMs / 1000;
  const parts = cluster.nodes.map((node, index) => {
    const from = fromBytes[index] ?? 0;
    const kB = (logBytes(node.logFile) - from) / 1000 / seconds;
    const lines = logLinesSince(node.logFile, from) / seconds;
    return `${node.id} ${kB.toFixed(1)} kB/s ${lines.toFixed(1)} lines/s`;
  });
  return `log per node: ${parts.join(', ')}`;
}

async function measureFloor(settings: Settings, root: string): Promise<BenchReport['floor']> {
  const { ready, child } = await startServerJob<{ port: number }>({ mode: 'echo-server' });
  let roundTrip: ClosedLoopResult;
  try {
    roundTrip = await runJob<ClosedLoopResult>({
      mode: 'echo-client',
      url: `ws://127.0.0.1:${ready.port}/`,
      warmupMs: settings.warmupMs,
      measureMs: Math.min(settings.measureMs, 3_000),
      valueBytes: settings.valueBytes,
    });
  } finally {
    child.stdin?.end();
    child.kill('SIGKILL');
  }
  const fsyncByProcesses: Record<string, LatencySummary> = {};
  for (const processes of [1, 3, 5]) {
    const startAtEpochMs = Date.now() + 300;
    const runs = await Promise.all(
      Array.from({ length: processes }, () =>
        runJob<LatencySummary>({
          mode: 'fsync',
          dir: root,
          startAtEpochMs,
          measureMs: settings.quick ? 1_000 : 3_000,
          recordBytes: 256,
        }),
      ),
    );
    fsyncByProcesses[processes] = {
      count: runs.reduce((sum, run) => sum + run.count, 0),
      p50Ms: median(runs.map((run) => run.p50Ms)),
      p99Ms: median(runs.map((run) => run.p99Ms)),
    };
  }
  log(
    `floor: ws+msgpackr RTT p50 ${roundTrip.p50Ms.toFixed(3)} ms; fdatasync p50 ${Object.entries(
      fsyncByProcesses,
    )
      .map(([n, s]) => `${n}×${s.p50Ms.toFixed(3)}`)
      .join(' ')} ms`,
  );
  return {
    roundTripP50Ms: roundTrip.p50Ms,
    roundTripP99Ms: roundTrip.p99Ms,
    fsyncByProcesses,
  };
}

function resolveEtcd3(): string | null {
  const candidates = [process.env.ETCD3_MODULE, 'etcd3'].filter(
    (c): c is string => typeof c === 'string' && c !== '',
  );
  for (const candidate of candidates) {
    try {
      return require.resolve(candidate);
    } catch {
      // try the next
    }
  }
  return null;
}

/**
 * Our build, another build (--compare), the bare commit path (bare-commit.ts) and etcd: the
 * systems a run measures.
 */
type System = 'evpaxos' | 'baseline' | 'bare' | 'etcd';

interface EtcdSetup {
  readonly binary: string;
  readonly etcd3Module: string;
  readonly version: string;
}

/** Whether etcd can be measured here, and with what; or why not. */
function etcdSetup(settings: Settings): EtcdSetup | { readonly skipped: string } {
  if (!settings.etcd) return { skipped: '--no-etcd' };
  if (settings.failoverOnly) return { skipped: '--failover-only' };
  const binary = findEtcd();
  if (binary === null) return { skipped: 'etcd is not installed' };
  const etcd3Module = resolveEtcd3();
  if (etcd3Module === null) {
    return {
      skipped: 'the etcd3 client is not installed (set ETCD3_MODULE, see docs/BENCHMARKS.md)',
    };
  }
  return { binary, etcd3Module, version: etcdVersion(binary) };
}

async function measureEtcd(
  settings: Settings,
  setup: EtcdSetup,
  root: string,
): Promise<SystemRow[]> {
  const dir = fs.mkdtempSync(path.join(root, 'etcd-'));
  log(`etcd ${setup.version}: starting 3 members on loopback in ${dir}`);
  const cluster = await EtcdCluster.start(setup.binary, dir);
  const rows: SystemRow[] = [];
  try {
    for (const concurrency of settings.concurrencies) {
      const run = await runJob<ClosedLoopResult>({
        mode: 'etcd',
        hosts: cluster.clientUrls,
        concurrency,
        warmupMs: settings.warmupMs,
        warmupOperationsMin: settings.warmupOperationsMin,
        measureMs: settings.measureMs,
        valueBytes: settings.valueBytes,
        etcd3Module: setup.etcd3Module,
      });
      rows.push(measuredRow('etcd', 3, concurrency, run, null));
    }
  } finally {
    cluster.stop();
  }
  return rows;
}

/** The bare commit path with `acceptors` acceptor processes, at every concurrency. */
async function measureBare(
  settings: Settings,
  acceptors: number,
  root: string,
): Promise<SystemRow[]> {
  const dir = fs.mkdtempSync(path.join(root, `bare-${acceptors}-`));
  const bare = await startBareCommitPath(acceptors, dir);
  const rows: SystemRow[] = [];
  try {
    for (const concurrency of settings.concurrencies) {
      const run = await runJob<PaxosRunResult>(
        // The bare path is the bench's own server: no API token.
        paxosJob(settings, bare.url, concurrency, bare.statsUrls, true, undefined),
      );
      rows.push(measuredRow('bare', acceptors, concurrency, run, perCommand(run)));
    }
  } finally {
    bare.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** The rows of one system in one round: every acceptor count for a cluster, or etcd. */
async function measureSystem(
  settings: Settings,
  system: System,
  etcd: EtcdSetup | null,
  root: string,
): Promise<SystemRow[]> {
  if (system === 'etcd') return etcd === null ? [] : measureEtcd(settings, etcd, root);
  const bin = system === 'baseline' ? (settings.compareBin ?? undefined) : undefined;
  const rows: SystemRow[] = [];
  for (const acceptors of settings.acceptorCounts) {
    rows.push(
      ...(await (system === 'bare'
        ? measureBare(settings, acceptors, root)
        : measureOurs(settings, system, bin, acceptors, root))),
    );
  }
  return rows;
}

/** The run's settings from the command line; null after printing --help. Bad flags exit 2. */
function readSettings(): Settings | null {
  try {
    return parseBenchArgs(
      process.argv.slice(2),
      path.resolve(__dirname, '../../../../bench-results'),
    );
  } catch (error) {
    if (!(error instanceof BenchArgsError)) throw error;
    process.stderr.write(`bench: ${error.message}\n`);
    process.exit(2);
  }
}

/** Every system's rows, round by round, then the median of the rounds per row. */
async function measureRows(
  settings: Settings,
  etcdReady: EtcdSetup | null,
  root: string,
): Promise<SystemRow[]> {
  const systems: System[] = settings.failoverOnly
    ? []
    : [
        'evpaxos',
        ...(settings.compareBin ? (['baseline'] as const) : []),
        ...(settings.bare ? (['bare'] as const) : []),
        ...(etcdReady ? (['etcd'] as const) : []),
      ];
  const measured: SystemRow[] = [];
  for (let round = 0; round < settings.rounds && systems.length > 0; round += 1) {
    if (settings.rounds > 1) log(`round ${round + 1} of ${settings.rounds}`);
    for (const system of roundOrder(systems, round)) {
      measured.push(...(await measureSystem(settings, system, etcdReady, root)));
    }
  }
  // Table order: our build, the baseline, etcd — whatever order the rounds measured them in.
  return medianRows(
    [...measured].sort(
      (a, b) => systems.indexOf(a.system as System) - systems.indexOf(b.system as System),
    ),
  );
}

/** The kill -9 trials on their own cluster, when asked for; each trial's time, ms. */
async function measureFailoverTrials(settings: Settings, root: string): Promise<number[]> {
  if (!settings.failover) return [];
  const dir = fs.mkdtempSync(path.join(root, 'failover-'));
  log(`failover: 2 centrals + 5 charge points, ${settings.failoverTrials} trials`);
  const cluster = await clusterUp({ dir, centrals: 2, chargePoints: 5, basePort: 0 });
  let failoverMs: number[];
  try {
    failoverMs = await measureFailover(
      cluster,
      settings.failoverTrials,
      log,
      settings.failoverTrace,
    );
  } finally {
    await cluster.down();
  }
  log(`failover: ${failoverMs.map((ms) => ms.toFixed(0)).join(', ')} ms`);
  return failoverMs;
}

/** bench-<date>.json and .svg in the results dir, copied to latest.*; prints the table. */
function writeReport(report: BenchReport, settings: Settings): void {
  fs.mkdirSync(settings.outDir, { recursive: true });
  const stamp = report.date.replace(/[:.]/g, '-');
  const jsonFile = path.join(settings.outDir, `bench-${stamp}.json`);
  const svgFile = path.join(settings.outDir, `bench-${stamp}.svg`);
  fs.writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(svgFile, renderChart(report));
  fs.copyFileSync(jsonFile, path.join(settings.outDir, 'latest.json'));
  fs.copyFileSync(svgFile, path.join(settings.outDir, 'latest.svg'));
  process.stdout.write(`${renderTable(report)}\n`);
  process.stdout.write(
    `\nWrote ${jsonFile} and ${svgFile} (${Math.round(report.durationMs / 1000)} s).\n`,
  );
}

async function main(): Promise<void> {
  const settings = readSettings();
  if (settings === null) {
    process.stdout.write(`${benchUsage}\n`);
    return;
  }
  const startedMs = Date.now();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-bench-'));
  if (settings.siteSizes !== null) {
    await measureSiteSizes(settings, settings.siteSizes, root);
    return;
  }
  if (settings.idle) {
    try {
      await measureIdle(settings, root);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
    return;
  }
  log(
    `${settings.quick ? 'quick' : 'full'} run${settings.rounds > 1 ? `, ${settings.rounds} rounds` : ''}; temp dir ${root}`,
  );
  const floor = await measureFloor(settings, root);
  const etcd = etcdSetup(settings);
  const rows = await measureRows(settings, 'skipped' in etcd ? null : etcd, root);
  const failoverMs = await measureFailoverTrials(settings, root);
  const report: BenchReport = {
    date: new Date().toISOString(),
    quick: settings.quick,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    },
    settings: {
      warmupMs: settings.warmupMs,
      warmupOperationsMin: settings.warmupOperationsMin,
      measureMs: settings.measureMs,
      valueBytes: settings.valueBytes,
      concurrencies: settings.concurrencies,
      compareBin: settings.compareBin,
      rounds: settings.rounds,
    },
    floor,
    rows,
    failover: {
      trialsMs: failoverMs,
      medianMs: median(failoverMs.filter((ms) => Number.isFinite(ms))),
    },
    etcd:
      'skipped' in etcd
        ? { version: null, skipped: etcd.skipped }
        : { version: etcd.version, skipped: null },
    durationMs: Date.now() - startedMs,
  };
  fs.rmSync(root, { recursive: true, force: true });
  writeReport(report, settings);
}

/** `--sizes`: whole sites of each size, one after the other (site-size.ts). */
async function measureSiteSizes(
  settings: Settings,
  sizes: readonly number[],
  root: string,
): Promise<void> {
  const rows: SiteSizeRow[] = [];
  const builds: SiteBuild[] = [{ label: 'evpaxos', bin: undefined }];
  if (settings.compareBin) {
    builds.push({
      label: 'baseline',
      bin: settings.compareBin,
      v8Flags: settings.compareV8Flags,
      sameLaunch: settings.compareSameLaunch,
    });
  }
  for (const [index, chargePoints] of sizes.entries()) {
    // Each size measures every build, the first one changing per size (docs/BENCHMARKS.md).
    for (const build of roundOrder(builds, index)) {
      log(`${build.label}: site of ${chargePoints} charge points + 2 centrals`);
      // A row that fails (a client that cannot connect to a starved site) is reported, and the
      // run goes on with the next one.
      const row = await measureSiteSize(
        chargePoints,
        root,
        (url, statsUrls, apiToken, lanes) =>
          runJob<PaxosRunResult>(
            paxosJob(
              settings,
              url,
              lanes,
              statsUrls,
              build.bin === undefined || settings.compareArrays,
              apiToken,
            ),
          ),
        build,
      ).catch((error: unknown) => {
        log(`${build.label}, ${chargePoints} charge points: failed: ${String(error)}`);
        return null;
      });
      if (row === null) continue;
      log(JSON.stringify(row));
      rows.push(row);
    }
  }
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(settings.outDir, { recursive: true });
  const file = path.join(
    settings.outDir,
    `site-sizes-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
  );
  fs.writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), rows }, null, 2)}\n`);
  process.stdout.write(`${renderSiteSizes(rows)}\n\nwritten: ${file}\n`);
}

/** `--idle`: every process of an idle default cluster, this build and --compare's at once. */
async function measureIdle(settings: Settings, root: string): Promise<void> {
  const bins = new Map<string, string | undefined>([['evpaxos', undefined]]);
  if (settings.compareBin) bins.set('baseline', settings.compareBin);
  log(`idle footprint of ${[...bins.keys()].join(' and ')}, ${settings.idleWindowMs / 1000} s`);
  const footprint = await measureIdleFootprint(
    bins,
    root,
    settings.idleWindowMs,
    settings.compareV8Flags ?? [],
  );
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(settings.outDir, { recursive: true });
  const file = path.join(
    settings.outDir,
    `idle-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
  );
  fs.writeFileSync(file, `${JSON.stringify(footprint, null, 2)}\n`);
  process.stdout.write(`${renderIdleFootprint(footprint)}\n\nwritten: ${file}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});

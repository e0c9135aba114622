/**
 * `npm run bench -- --sizes 5,9,15,31`: what a whole site of N charge points costs on this machine
 * (issue 17; results in docs/BENCHMARKS.md, "Sites of any size"): the time until every node answers
 * and a leader is elected, until the first command is decided and until every charge point is
 * registered; the resident memory and the idle CPU of all its processes together; and the commit
 * latency at concurrency 1. Every site has 2 centrals and the default acceptors (all charge points
 * up to 7, beyond that cp1..cp5).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clusterUp, type ClusterHandle } from '@evpaxos/cli';
import { decidedSlotsOf } from '@evpaxos/runtime';
import type { PaxosRunResult } from './client';
import { pssKiB } from './idle-footprint';
import { perCommand } from './per-command';

export interface SiteSizeRow {
  /** 'evpaxos' (this tree) or 'baseline' (the --compare build). */
  readonly build: string;
  readonly chargePoints: number;
  readonly acceptors: number;
  readonly processes: number;
  /** From `cluster up` starting to every node answering /status with a leader elected, ms. */
  readonly bootMs: number;
  /** From the start to the first non-empty decided slot (a RegisterChargePoint), ms. */
  readonly firstDecidedMs: number;
  /** From the start to every charge point registered, ms. */
  readonly allRegisteredMs: number;
  /** Resident memory of every process of the site, summed, MiB (shared code counted per process). */
  readonly rssMiB: number;
  /** Proportional set size of every process, summed: the memory the site takes, MiB. */
  readonly pssMiB: number;
  /** CPU time of every process of the site over IDLE_WINDOW_MS without EVs, % of one core. */
  readonly idleCpuPercent: number;
  /** Null when no command committed in the measured window (see commitErrors). */
  readonly commitP50Ms: number | null;
  readonly commitP99Ms: number | null;
  readonly commitOperations: number;
  readonly commitErrors: number;
  /**
   * CPU time of every process of the site per command at concurrency 1, µs (from /stats over the
   * measured window; null for a build without it): what a commit costs the whole site, which the
   * load of a shared machine moves far less than the latency.
   */
  readonly commitCpuMicros?: number | null;
  /** Messages sent by every process of the site per command at concurrency 1. */
  readonly commitMessages?: number | null;
  /** "became-leader" lines in the centrals' logs by the end of the row (target: 1). */
  readonly elections: number;
  /** Commands per second at concurrency 64 against the leader; null when none committed. */
  readonly throughput64PerSecond: number | null;
  /** The machine's 1-minute load average when the row was measured (other work shares it). */
  readonly loadAverage1m: number;
}

/** How long the idle CPU is averaged over, ms. */
const IDLE_WINDOW_MS = 10_000;
/** How long a site of 31 may take to boot and register on a loaded 2-core machine, ms. */
const BOOT_TIMEOUT_MS = 180_000;
/** Closed loops tried before a size is reported with no commit latency. */
const COMMIT_ATTEMPTS_MAX = 3;

function rssKiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Every decided slot's time (ms since epoch, when a central applied it) with its command types, in
 * time order: from the centrals' "decided" records, which list the commands (docs/CLUSTER.md, "The
 * decided record"; a charge point's names only their digest).
 */
function decidedTimes(dir: string): { atMs: number; types: string[] }[] {
  const bySlot = new Map<number, { atMs: number; types: string[] }>();
  for (const file of fs.readdirSync(path.join(dir, 'logs'))) {
    if (!file.startsWith('central-')) continue;
    const text = fs.readFileSync(path.join(dir, 'logs', file), 'utf8');
    for (const line of text.split('\n')) {
      if (!line.includes('"decided"')) continue;
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue; // a torn last line: read again at the next poll
      }
      if (parsed.message !== 'decided') continue;
      const timestampMs = Date.parse(String(parsed.timestamp));
      for (const slot of decidedSlotsOf(parsed, Number.isNaN(timestampMs) ? null : timestampMs)) {
        if (slot.commands === undefined || slot.atMs === null) continue;
        const types = slot.commands.map((command) => String(command.type));
        const seen = bySlot.get(slot.slot);
        if (seen === undefined || slot.atMs < seen.atMs)
          bySlot.set(slot.slot, { atMs: slot.atMs, types });
      }
    }
  }
  return [...bySlot.values()].sort((a, b) => a.atMs - b.atMs);
}

/** How many times a central became leader, from every central's log. */
function electionsIn(dir: string): number {
  let count = 0;
  for (const file of fs.readdirSync(path.join(dir, 'logs'))) {
    if (!file.startsWith('central-')) continue;
    const text = fs.readFileSync(path.join(dir, 'logs', file), 'utf8');
    count += text.split('"message":"became-leader"').length - 1;
  }
  return count;
}

async function waitForRegistrations(dir: string, chargePoints: number): Promise<number[]> {
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  for (;;) {
    const registered = decidedTimes(dir).filter((d) => d.types.includes('RegisterChargePoint'));
    const count = registered.reduce(
      (sum, d) => sum + d.types.filter((t) => t === 'RegisterChargePoint').length,
      0,
    );
    if (count >= chargePoints) return registered.map((d) => d.atMs);
    if (Date.now() > deadline) {
      throw new Error(`only ${count} of ${chargePoints} charge points registered in time`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function cpuMicrosOf(cluster: ClusterHandle): Promise<number> {
  let total = 0;
  for (const node of cluster.nodes) {
    const response = await fetch(`http://${node.host}:${node.httpPort}/stats`);
    const stats = (await response.json()) as { cpu?: { userMicros: number; systemMicros: number } };
    total += (stats.cpu?.userMicros ?? 0) + (stats.cpu?.systemMicros ?? 0);
  }
  return total;
}

/**
 * The closed loop against the current leader. A loaded machine can elect another leader between
 * the lookup and the loop (every submit then answers not-leader): look again, up to
 * COMMIT_ATTEMPTS_MAX times, after one command committed through the launcher (which follows
 * redirects).
 */
async function measureCommitAtLeader(
  cluster: ClusterHandle,
  measureCommit: MeasureCommit,
  concurrency: number,
): Promise<PaxosRunResult> {
  let run: PaxosRunResult | undefined;
  for (let attempt = 0; attempt < COMMIT_ATTEMPTS_MAX; attempt += 1) {
    await cluster.submit({ type: 'Noop' });
    const leader = cluster.node((await cluster.waitForLeader(30_000)).leaderId);
    run = await measureCommit(
      `ws://${leader.host}:${leader.httpPort}/client`,
      cluster.nodes.map((n) => `http://${n.host}:${n.httpPort}/stats`),
      cluster.apiToken,
      concurrency,
    );
    if (run.operations > 0) return run;
  }
  return run!;
}

/** Runs the bench's closed loop against a leader's /client at `concurrency`. */
export type MeasureCommit = (
  url: string,
  statsUrls: string[],
  apiToken: string | undefined,
  concurrency: number,
) => Promise<PaxosRunResult>;

/** A build a site is measured with: this tree's (bin undefined) or another's (--compare). */
export interface SiteBuild {
  readonly label: string;
  readonly bin: string | undefined;
  readonly v8Flags?: readonly string[] | null;
  /** Another build's nodes with this launcher's V8 flags and environment (--compare-same-launch). */
  readonly sameLaunch?: boolean;
}

/** How another build's nodes are launched: as it shipped, with given V8 flags, or as this tree's. */
function launchOf(build: SiteBuild): Partial<Parameters<typeof clusterUp>[0]> {
  if (!build.bin) return {};
  if (build.sameLaunch) {
    // This launcher's environment; its V8 flags (the learners' too) unless the flags are given:
    // then those, for every node (--compare-v8-flags, e.g. to measure the learners' flags).
    return build.v8Flags
      ? { bin: build.bin, v8Flags: build.v8Flags, learnerV8Flags: [] }
      : { bin: build.bin };
  }
  // Node's V8 defaults and glibc's, not this launcher's flags and environment, unless its V8
  // flags are given (--compare-v8-flags).
  return { bin: build.bin, v8Flags: build.v8Flags ?? [], learnerV8Flags: [], nodeEnv: {} };
}

/** Measures one site of `chargePoints`; `measureCommit` runs the closed loop (at 1, then 64). */
export async function measureSiteSize(
  chargePoints: number,
  root: string,
  measureCommit: MeasureCommit,
  build: SiteBuild = { label: 'evpaxos', bin: undefined },
): Promise<SiteSizeRow> {
  const dir = fs.mkdtempSync(path.join(root, `site-${build.label}-${chargePoints}-`));
  const startedMs = Date.now();
  const cluster = await clusterUp({
    dir,
    centrals: 2,
    chargePoints,
    basePort: 0,
    readyTimeoutMs: BOOT_TIMEOUT_MS,
    ...launchOf(build),
  });
  try {
    const bootMs = Date.now() - startedMs;
    const registrations = await waitForRegistrations(dir, chargePoints);
    const firstDecidedMs = Math.min(...registrations) - startedMs;
    const allRegisteredMs = Math.max(...registrations) - startedMs;
    const cpuBefore = await cpuMicrosOf(cluster);
    await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
    const idleCpuPercent = ((await cpuMicrosOf(cluster)) - cpuBefore) / (IDLE_WINDOW_MS * 10);
    // The site's memory at the end of the idle window, not at the last registration: the
    // processes have left start-up (parsing, compiling, the heap's first growth) behind.
    const rssMiB = cluster.nodes.reduce((sum, node) => sum + rssKiB(node.pid), 0) / 1024;
    const pssMiB = cluster.nodes.reduce((sum, node) => sum + pssKiB(node.pid), 0) / 1024;
    const run = await measureCommitAtLeader(cluster, measureCommit, 1);
    const run64 = await measureCommitAtLeader(cluster, measureCommit, 64);
    const costs = perCommand(run);
    const acceptors = (
      JSON.parse(fs.readFileSync(path.join(dir, 'cluster.json'), 'utf8')) as {
        acceptors: string[];
      }
    ).acceptors.length;
    return {
      build: build.label,
      chargePoints,
      acceptors,
      processes: cluster.nodes.length,
      bootMs,
      firstDecidedMs,
      allRegisteredMs,
      rssMiB: Math.round(rssMiB),
      pssMiB: Math.round(pssMiB),
      idleCpuPercent: Math.round(idleCpuPercent * 10) / 10,
      commitP50Ms: Number.isFinite(run.p50Ms) ? run.p50Ms : null,
      commitP99Ms: Number.isFinite(run.p99Ms) ? run.p99Ms : null,
      commitOperations: run.operations,
      commitErrors: run.errors,
      commitCpuMicros: typeof costs?.cpuMicros === 'number' ? Math.round(costs.cpuMicros) : null,
      commitMessages: costs ? Math.round(costs.messages * 10) / 10 : null,
      elections: electionsIn(dir),
      throughput64PerSecond: run64.operations > 0 ? Math.round(run64.operationsPerSecond) : null,
      loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 10) / 10,
    };
  } finally {
    await cluster.down();
  }
}

/** One Markdown table row per size, for docs/BENCHMARKS.md. */
export function renderSiteSizes(rows: readonly SiteSizeRow[]): string {
  const header =
    '| build | charge points (acceptors) | processes | boot, ms | first decided, ms | all registered, ms | RSS / PSS, MiB | idle CPU, % of a core | commit p50 / p99 at c=1, ms | site CPU µs / messages per command at c=1 | cmds/s at c=64 | elections | load avg (1 min) |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|';
  const lines = rows.map(
    (r) =>
      `| ${r.build} | ${r.chargePoints} (${r.acceptors}) | ${r.processes} | ${r.bootMs} | ${r.firstDecidedMs} | ${r.allRegisteredMs} | ${r.rssMiB} / ${r.pssMiB} | ${r.idleCpuPercent} | ${r.commitP50Ms === null || r.commitP99Ms === null ? `none (${r.commitErrors} errors)` : `${r.commitP50Ms.toFixed(1)} / ${r.commitP99Ms.toFixed(1)}`} | ${r.commitCpuMicros ?? '—'} / ${r.commitMessages ?? '—'} | ${r.throughput64PerSecond ?? 'none'} | ${r.elections} | ${r.loadAverage1m} |`,
  );
  return [header, ...lines].join('\n');
}

import * as fs from 'node:fs';
import * as path from 'node:path';

/** What one `npm run bench` does. */
export interface Settings {
  readonly quick: boolean;
  readonly warmupMs: number;
  /** The warm-up also lasts until this many operations completed (see closed-loop.ts). */
  readonly warmupOperationsMin: number;
  readonly measureMs: number;
  readonly concurrencies: readonly number[];
  readonly acceptorCounts: readonly number[];
  readonly failoverTrials: number;
  readonly valueBytes: number;
  /**
   * Every system's rows are measured this many times, in an order that changes every round, and
   * the table shows the median of each row (the machine is noisy, and the first build measured
   * in a run gets a small head start: docs/BENCHMARKS.md).
   */
  readonly rounds: number;
  /** Another build's bin/evpaxos.js, measured in the same run (before/after). */
  readonly compareBin: string | null;
  /** The --compare build understands array frames on /client (built after they came). */
  readonly compareArrays: boolean;
  /**
   * `--compare-v8-flags`: the V8 flags the --compare build's nodes run with (the same bin twice
   * with different flags measures a flag). Null: as before, Node's defaults in --idle and --sizes
   * (the build as it shipped: glibc's defaults too, not the launcher's MALLOC_* environment) and
   * this launcher's flags and environment in the throughput rows.
   */
  readonly compareV8Flags: readonly string[] | null;
  /**
   * `--compare-same-launch` (with --sizes): the --compare build's nodes run with this launcher's
   * V8 flags (the learners' too) and environment, so the rows differ by the code alone; with
   * --compare-v8-flags, this environment and those flags for every node.
   */
  readonly compareSameLaunch: boolean;
  readonly etcd: boolean;
  /**
   * Measure the bare commit path (bare-commit.ts) beside the cluster: on by default, off with
   * --quick (it would take the quick run past a minute) unless --bare asks for it.
   */
  readonly bare: boolean;
  readonly failover: boolean;
  /** Only the floor and the failover trials (a quick check of failover alone). */
  readonly failoverOnly: boolean;
  /**
   * `--failover-trace`: trace the centrals' messages during the trials, so each trial's line
   * shows its pre-vote and Prepare too. Off by default: a traced message is a log line, and the
   * lines slow the standby down a little.
   */
  readonly failoverTrace: boolean;
  readonly outDir: string;
  /**
   * `--sizes 5,9,15,31`: measure only sites of these many charge points (2 centrals each; site-size.ts):
   * boot, first decision, RSS, idle CPU, commit latency at concurrency 1. Null: the usual run.
   */
  readonly siteSizes: readonly number[] | null;
  /**
   * `--idle`: measure only the idle footprint per process (idle-footprint.ts) of a default cluster
   * of this build, and of the --compare build at the same time.
   */
  readonly idle: boolean;
  /** The idle window, ms (`--idle-seconds`, default 20). */
  readonly idleWindowMs: number;
  /**
   * `--cpu-prof DIR`: this build's nodes in the throughput rows run under `node --cpu-prof` and
   * write their profiles (`.cpuprofile`, for Chrome's DevTools or `scripts/cpu-profile.mjs`) here.
   */
  readonly cpuProfDir: string | null;
}

export class BenchArgsError extends Error {}

/** The largest value the bench sends: well under the central's 1 MiB body limit. */
export const BENCH_VALUE_BYTES_MAX = 512 * 1024;
/** Rounds at most: a full round takes ~1 min per system. */
export const BENCH_ROUNDS_MAX = 20;

export const benchUsage = `Usage: npm run bench [-- options]

  --quick                 warm-up 0.5 s and 1,500 commands, 2 s per row (under a minute in all);
                          default: 2 s and 4,000 commands, 8 s per row
  --acceptors LIST        charge-point acceptors, e.g. 3,5 (default 3,5)
  --concurrency LIST      closed-loop lanes, e.g. 1,64,256 (default 1,64,256)
  --rounds N              measure every row N times, order changing per round; report medians
                          (default 1, at most ${BENCH_ROUNDS_MAX})
  --compare BIN           also measure another build's packages/cli/bin/evpaxos.js ('baseline')
  --compare-arrays        that build reads array frames on /client
  --compare-v8-flags LIST that build's nodes run with these V8 flags, without their dashes, e.g.
                          max-semi-space-size=1,optimize-for-size ('none': no flag); --compare
                          may name this build's own bin to measure a flag alone
  --compare-same-launch   with --sizes: that build's nodes run with this launcher's V8 flags and
                          environment (the rows then differ by the code alone); with
                          --compare-v8-flags, those flags for every node, learners too
  --value-bytes N         bytes per value (default 100, at most ${BENCH_VALUE_BYTES_MAX})
  --failover-trials N     kill -9 trials (default 10; --quick 3)
  --failover-only         only the floor and the failover trials
  --failover-trace        trace the centrals' messages in the failover trials (pre-vote and
                          Prepare times in each trial's line; the trace's log lines cost a little)
  --no-etcd               skip etcd
  --bare, --no-bare       measure the bare commit path (this stack's floor for the same process
                          layout) or not (default: yes, except with --quick)
  --no-failover           skip the failover trials
  --sizes LIST            only measure whole sites of these many charge points, e.g. 5,9,15,31
                          (2 centrals; boot, first decision, RSS, idle CPU, commit p50 at
                          concurrency 1); writes site-sizes-<date>.json
  --idle                  only measure every process of an idle default cluster (CPU, RSS,
                          wake-ups per second), this build and the --compare build side by side
  --idle-seconds N        the idle window (default 20)
  --out DIR               where JSON and SVG go (default bench-results/)
  --cpu-prof DIR          this build's nodes run under node --cpu-prof in the throughput rows
                          and write one .cpuprofile per process into DIR when the row's cluster
                          stops
  --help                  this text`;

const switches = new Set([
  '--quick',
  '--compare-arrays',
  '--compare-same-launch',
  '--idle',
  '--no-etcd',
  '--bare',
  '--no-bare',
  '--no-failover',
  '--failover-only',
  '--failover-trace',
  '--help',
]);
const valued = new Set([
  '--acceptors',
  '--concurrency',
  '--rounds',
  '--compare',
  '--compare-v8-flags',
  '--value-bytes',
  '--failover-trials',
  '--out',
  '--sizes',
  '--idle-seconds',
  '--cpu-prof',
]);

/**
 * Reads the command line; throws BenchArgsError, with a sentence saying what is wrong, for an
 * unknown flag, a flag without its value or a value out of range. `null`: --help was asked for.
 */
export function parseBenchArgs(argv: readonly string[], defaultOutDir: string): Settings | null {
  const values = new Map<string, string>();
  const seen = new Set<string>();
  for (let index = 0; index < argv.length; index += 1) {
    const flag = argv[index] as string;
    if (switches.has(flag)) {
      seen.add(flag);
      continue;
    }
    if (!valued.has(flag)) {
      throw new BenchArgsError(`unknown option "${flag}" (--help lists them)`);
    }
    const value = argv[index + 1];
    if (value === undefined || value.startsWith('--')) {
      throw new BenchArgsError(`${flag} needs a value`);
    }
    values.set(flag, value);
    index += 1;
  }
  if (seen.has('--help')) return null;
  const quick = seen.has('--quick');
  if (seen.has('--bare') && seen.has('--no-bare')) {
    throw new BenchArgsError('--bare and --no-bare contradict each other');
  }
  const compareBin = values.get('--compare') ?? null;
  if (compareBin !== null && !fs.existsSync(compareBin)) {
    throw new BenchArgsError(`--compare: no such file "${compareBin}"`);
  }
  return {
    quick,
    warmupMs: quick ? 500 : 2_000,
    warmupOperationsMin: quick ? 1_500 : 4_000,
    measureMs: quick ? 2_000 : 8_000,
    concurrencies: listFlag('--concurrency', values.get('--concurrency')) ?? [1, 64, 256],
    acceptorCounts: listFlag('--acceptors', values.get('--acceptors')) ?? [3, 5],
    failoverTrials:
      integerFlag('--failover-trials', values.get('--failover-trials'), 1, 1_000) ??
      (quick ? 3 : 10),
    valueBytes:
      integerFlag('--value-bytes', values.get('--value-bytes'), 1, BENCH_VALUE_BYTES_MAX) ?? 100,
    rounds: integerFlag('--rounds', values.get('--rounds'), 1, BENCH_ROUNDS_MAX) ?? 1,
    compareBin: compareBin === null ? null : path.resolve(compareBin),
    compareArrays: seen.has('--compare-arrays'),
    compareV8Flags: v8FlagsFlag(values.get('--compare-v8-flags')),
    compareSameLaunch: seen.has('--compare-same-launch'),
    etcd: !seen.has('--no-etcd'),
    bare: seen.has('--bare') || (!quick && !seen.has('--no-bare')),
    failover: !seen.has('--no-failover'),
    failoverOnly: seen.has('--failover-only'),
    failoverTrace: seen.has('--failover-trace'),
    outDir: path.resolve(values.get('--out') ?? defaultOutDir),
    siteSizes: listFlag('--sizes', values.get('--sizes')),
    idle: seen.has('--idle'),
    idleWindowMs:
      (integerFlag('--idle-seconds', values.get('--idle-seconds'), 1, 600) ?? 20) * 1000,
    cpuProfDir: values.has('--cpu-prof') ? path.resolve(values.get('--cpu-prof') as string) : null,
  };
}

/** `--compare-v8-flags optimize-for-size,max-semi-space-size=1` → the flags with their dashes. */
function v8FlagsFlag(value: string | undefined): string[] | null {
  if (value === undefined) return null;
  if (value === 'none') return [];
  const flags = value.split(',');
  if (flags.some((flag) => !/^[a-z][a-z0-9_-]*(=[A-Za-z0-9._-]+)?$/.test(flag))) {
    throw new BenchArgsError(
      `--compare-v8-flags: expected V8 flags without dashes like optimize-for-size,max-semi-space-size=1, got "${value}"`,
    );
  }
  return flags.map((flag) => `--${flag}`);
}

/** `--acceptors 5` or `--concurrency 1,256`: a comma-separated list of positive integers. */
function listFlag(flag: string, value: string | undefined): number[] | null {
  if (value === undefined) return null;
  const numbers = value.split(',').map(Number);
  if (numbers.some((n) => !Number.isSafeInteger(n) || n < 1)) {
    throw new BenchArgsError(`${flag}: expected positive integers like 1,64,256, got "${value}"`);
  }
  return numbers;
}

function integerFlag(
  flag: string,
  value: string | undefined,
  minimum: number,
  maximum: number,
): number | null {
  if (value === undefined) return null;
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < minimum || number > maximum) {
    throw new BenchArgsError(
      `${flag}: expected an integer from ${minimum} to ${maximum}, got "${value}"`,
    );
  }
  return number;
}

/** The launcher's options and defaults, shared by cluster-up, cluster-down and the handle. */
import * as path from 'node:path';

/** Options of `clusterUp`; each default is the one `evpaxos cluster up` documents. */
export interface ClusterUpOptions {
  /** The cluster's directory: cluster.json, processes.json, logs/, data/. */
  readonly dir: string;
  /** Central systems (proposers), 1..9. Default 2: central-a, central-b. */
  readonly centrals?: number;
  /** Charge points, 1..90. Default 5: cp1..cp5. */
  readonly chargePoints?: number;
  /**
   * Spare charge points (cp<N+1>…) listed in cluster.json with their ports but not started: a
   * running site can start one (`evpaxos cluster add-node`) and make it vote (`evpaxos member add`)
   * (docs/CLUSTER.md, "Membership"). Default 0.
   */
  readonly spares?: number;
  /**
   * The charge points that vote (cluster.json `acceptors`). Default: every charge point up to 7,
   * beyond that cp1..cp5; the others are learners (docs/CLUSTER.md, "Acceptors and learners").
   */
  readonly acceptors?: readonly string[];
  /**
   * How many charge points the site is built for (cluster.json `site.chargePointsMax`, the
   * fail-safe divisor). Default: the number of charge points.
   */
  readonly chargePointsMax?: number;
  /**
   * 0 (the default here) picks free ports; N gives cluster ports N+i, HTTP ports N+100+i and
   * service ports (OCPP-J on a central, the EV link on a charge point) N+200+i.
   */
  readonly basePort?: number;
  /** The site's grid connection limit, W: cluster.json `site.siteLimitW`. Default 44 000. */
  readonly siteLimitW?: number;
  /** How long a charge point's power allocation lasts without renewal: cluster.json `site.leaseMs`. Default: the site's (30 000). */
  readonly leaseMs?: number;
  /** Charge points skip fsync: only for tests that are not about durability. Default false. */
  readonly unsafeNoFsync?: boolean;
  /** Milliseconds per Paxos tick. Default 10. */
  readonly tickMs?: number;
  /** Where every node binds and is reached. Default 127.0.0.1. */
  readonly host?: string;
  /** Default 'info' (the "decided" record `evpaxos verify` reads is info). */
  readonly logLevel?: string;
  /** How long every node has to answer /status and a leader to be elected. Default 15 000. */
  readonly readyTimeoutMs?: number;
  readonly clusterId?: string;
  readonly phase1Quorum?: number;
  readonly phase2Quorum?: number;
  /**
   * Lab mode: every node gets EVPAXOS_LAB=1 (POST /admin/kill answers; the centrals' dashboard shows
   * kill/restart/partition/heal buttons) and EVPAXOS_CLUSTER_DIR (where the dashboard finds
   * processes.json to restart a node). Default false.
   */
  readonly lab?: boolean;
  /** Every node starts with --trace: it logs each Prepare … Decide (docs/CLUSTER.md). Default false. */
  readonly trace?: boolean;
  /** The evpaxos entry point each node runs. Default: this package's bin/evpaxos.js. */
  readonly bin?: string;
  /**
   * V8 options for every node's Node process, before the entry point. Default `NODE_V8_FLAGS`
   * (docs/CLUSTER.md, "Memory"); `[]` runs Node's defaults (the bench's --compare build).
   */
  readonly v8Flags?: readonly string[];
  /**
   * V8 options added for the charge points that only learn (not in the file's acceptors, not
   * spares). Default `LEARNER_V8_FLAGS` (docs/CLUSTER.md, "Memory"); `[]` adds none.
   */
  readonly learnerV8Flags?: readonly string[];
  /**
   * Environment for every node's process (kept in processes.json for restarts). Default
   * `nodeMallocEnv()` (docs/CLUSTER.md, "Memory"); `{}` runs glibc's defaults.
   */
  readonly nodeEnv?: Readonly<Record<string, string>>;
  /**
   * Every node runs under `node --cpu-prof` and writes its CPU profile into this dir when it
   * exits (`cluster down`): how the bench's `--cpu-prof` finds where a loaded node spends its time
   * (docs/BENCHMARKS.md). `--cpu-prof` is a Node option, refused in NODE_OPTIONS, so it goes on the
   * command line. Default none.
   */
  readonly cpuProfDir?: string;
}

/** The evpaxos entry point (packages/cli/bin/evpaxos.js): what every node and helper process runs. */
export const EVPAXOS_BIN = path.resolve(__dirname, '../../../bin/evpaxos.js');

/**
 * A node's young generation: 1 MiB semi-spaces instead of V8's 16 MiB on 64-bit. An idle node
 * allocates little and a busy one keeps few objects alive across a scavenge, so the big nursery
 * only held garbage in resident memory: ~12 MiB less RSS per charge point. V8's
 * `--optimize-for-size` was here too until it was measured under load: ~2 MiB less per idle
 * process, but 1.8× the CPU per command at concurrency 256 (its heap grows in small steps, so a
 * busy node runs a full GC far more often; docs/BENCHMARKS.md, "Issue 21: the V8 flags under load").
 */
export const NODE_V8_FLAGS: readonly string[] = Object.freeze([
  '--max-semi-space-size=1',
  // `gc` for the node's one collection of its start-up garbage (runtime `startupGcDelayMs`).
  '--expose-gc',
]);

/**
 * Added for a charge point that only learns (docs/CLUSTER.md, "Memory"): `--jitless`, V8's
 * interpreter only, for JavaScript and regular expressions alike (no Sparkplug, Maglev or TurboFan
 * code, no irregexp machine code: uri-js's IPv6 pattern, which Ajv runs while it compiles the OCPP
 * schemas, alone compiled to ~0.5 MiB). A learner votes in no slot and, with its Decides paced
 * (docs/LIMITS.md, "Learners' Decide pace"), applies the site's commands in batches off every
 * commit's path: ~8 MiB less RSS per learner than the full compilers, and ~0.7–1.8 MiB less than
 * `--no-opt --no-sparkplug` (before it), at the same CPU per applied command (docs/BENCHMARKS.md,
 * "Issue 21: the 31 site's memory, sixth session"). It also turns WebAssembly off: no node loads
 * any (the dashboard reads the nodes over node:http, not `fetch`). `--no-expose-wasm` says so to
 * V8, which otherwise prints a warning about the two flags at every start.
 */
export const LEARNER_V8_FLAGS: readonly string[] = Object.freeze(['--jitless', '--no-expose-wasm']);

/**
 * glibc's allocator for a node process (docs/CLUSTER.md, "Memory"), each measured side by side in
 * docs/BENCHMARKS.md ("Idle footprint", third pass): V8 parses and compiles in malloc'd zones that
 * it frees at once, and glibc kept those pages resident.
 * - `MALLOC_ARENA_MAX=2`: at most two arenas instead of eight per core, one per thread that
 *   mallocs (V8's platform workers, libuv's pool): fewer half-empty arenas held.
 * - `MALLOC_MMAP_THRESHOLD_=131072`: a block of 128 KiB or more is its own mapping, given back to
 *   the system on free (glibc's default threshold grows up to 32 MiB with the blocks it sees, so
 *   V8's big parse zones ended up in the heap and stayed).
 * - `MALLOC_TRIM_THRESHOLD_=131072`: the free top of the heap goes back at 128 KiB, not 2× the
 *   grown threshold.
 * A variable already set in the launcher's own environment wins.
 */
export function nodeMallocEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const defaults: Record<string, string> = {
    MALLOC_ARENA_MAX: '2',
    MALLOC_MMAP_THRESHOLD_: '131072',
    MALLOC_TRIM_THRESHOLD_: '131072',
  };
  return Object.fromEntries(
    Object.entries(defaults).map(([name, value]) => [name, env[name] ?? value]),
  );
}

export const clusterDefaults: Readonly<{
  centrals: number;
  chargePoints: number;
  basePort: number;
  tickMs: number;
  host: string;
  logLevel: string;
  readyTimeoutMs: number;
  clusterId: string;
  siteLimitW: number;
}> = Object.freeze({
  centrals: 2,
  chargePoints: 5,
  basePort: 0,
  tickMs: 10,
  host: '127.0.0.1',
  logLevel: 'info',
  readyTimeoutMs: 15_000,
  clusterId: 'evpaxos-local',
  // docs/DESIGN.md's example site: a 44 kW grid connection (two 22 kW chargers at full power).
  siteLimitW: 44_000,
});

/** Grace between SIGTERM and SIGKILL on `down`. */
export const DOWN_GRACE_MS = 3_000;
/** A status request to one node, at most; a paused or wedged node must not stall `status`. */
export const STATUS_TIMEOUT_MS = 1_000;
export const POLL_INTERVAL_MS = 25;

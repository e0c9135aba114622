/** A process is one of the two cluster roles (docs/DESIGN.md, Processes). */
export type NodeRole = 'central' | 'charge-point';

/**
 * A cluster file without an `acceptors` list makes every charge point an acceptor while there are
 * at most this many (docs/CLUSTER.md, "Acceptors and learners"): 7 tolerate 3 failures.
 */
export const ACCEPTORS_ALL_MAX = 7;
/** Beyond ACCEPTORS_ALL_MAX charge points, the first this many vote; the rest are learners. */
export const ACCEPTORS_DEFAULT_LARGE = 5;

export const logLevels = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof logLevels)[number];

/**
 * Requests in one /client WebSocket frame (an array of request maps), at most; answers sent
 * together are split into frames of at most this many too. A protocol bound rather than an option:
 * a client must know it without asking the server. It keeps the work done for one frame, and the
 * invalid-request warnings one frame can cause, bounded independently of its byte size
 * (`httpBodyBytesMax`). docs/LIMITS.md.
 */
export const clientFrameRequestsMax = 4096;

/**
 * Bounded logging (docs/LIMITS.md, "Logging"): warn or error lines of one message written per
 * interval, at most; the rest are counted in one summary line. A protocol of the log, not an
 * option: a few lines a second per cause is what an operator reads, whatever the load.
 */
export const logRepeatLimits = Object.freeze({
  warningsPerCauseMax: 5,
  intervalMs: 1_000,
  causesMax: 256,
});

/**
 * Traced messages one node keeps for GET /trace (docs/LIMITS.md): a few seconds of an election or
 * of a busy leader's Accepts; a reader that polls less often is told how many it missed.
 */
export const traceEventsKeptMax = 2_000;
/**
 * How often at most a node writes its "decided" record of the slots it applied (docs/CLUSTER.md,
 * "The decided record"): a line per slot cost ~10 % of throughput at concurrency 256; a kill -9
 * loses at most this much of the record.
 */
export const decidedRecordIntervalMs = 1_000;
/** Slots in one "decided" line at most: a catching-up node's line stays under ~1 MB. */
export const decidedRecordSlotsMax = 4_096;
/** Events one GET /trace answer returns, at most. */
export const traceReadEventsMax = 1_000;

/**
 * Every limit of the process layer, each an option with the same name everywhere (flag, env,
 * config file). Written down in docs/LIMITS.md.
 */
export interface RuntimeLimits {
  /** Client calls waiting for their command to be applied, at most; past it: 503 overloaded. */
  readonly pendingClientCallsMax: number;
  /** A client call not applied after this long answers 504 timeout (docs/CLUSTER.md: 10 s). */
  readonly clientCallTimeoutMs: number;
  /** Applied entries kept in memory for GET /log (docs/CLUSTER.md: the last 100,000 slots). */
  readonly appliedEntriesKeptMax: number;
  /**
   * Commands in the entries kept for GET /log, at most: the oldest slots go first past it. A slot
   * holds up to 64 commands, so the slot bound alone let a busy node keep 6.4 million commands
   * (~1 GB), and the garbage collector marked them all again and again: at concurrency 256 that
   * cost ~20 % of the throughput (docs/BENCHMARKS.md, change 19). At one command per slot the
   * slot bound comes first, as before.
   */
  readonly appliedCommandsKeptMax: number;
  /** Bytes in one HTTP request body or one /client WebSocket frame, at most (docs/CLUSTER.md: 1 MiB). */
  readonly httpBodyBytesMax: number;
  /** Entries one GET /log answer returns, at most, whatever `limit` asks for. */
  readonly logReadEntriesMax: number;
}

export const defaultRuntimeLimits: RuntimeLimits = Object.freeze({
  pendingClientCallsMax: 10_000,
  clientCallTimeoutMs: 10_000,
  appliedEntriesKeptMax: 100_000,
  appliedCommandsKeptMax: 100_000,
  httpBodyBytesMax: 1024 * 1024,
  logReadEntriesMax: 10_000,
});

/**
 * A node process's leader heartbeat to the acceptors and the standby, ticks (10 ms each): every
 * 250 ms, a quarter of T (the core's default of 3 ticks is what the simulator's thresholds were
 * tuned on). The heartbeat is the failure detector's evidence and every acceptor and standby wakes
 * for each one; the leader sends one frame per watcher. With T = 100 ticks a leader that sends one
 * every 25 ticks survives a stall of 750 ms (900 ms at 10 ticks), and a paused leader is still
 * replaced 1–1.5 s after its last heartbeat; each watcher wakes 4 times a second for it instead of
 * 10 (docs/LIMITS.md, "Ticks on demand", has the trade-off and its numbers).
 */
export const nodeHeartbeatTicks = 25;

/**
 * A node process's leader sends the slots it decided to the nodes that only learn (the charge
 * points beyond a large site's acceptors) at most once every this many ticks: 50 ms. They are on
 * no commit's path, and each Decide woke every one of them (26 in a 31-charge-point site) on every
 * commit; a learner now applies a slot up to 50 ms later (docs/LIMITS.md, "Learners' Decide pace").
 */
export const nodeLearnerDecideTicks = 5;

/**
 * How long after "ready" a node process collects its start-up garbage once, where Node exposes
 * `gc` (`--expose-gc`, which the launcher and the Docker image give every node; docs/CLUSTER.md,
 * "Memory"). Parsing and compiling the bundle, Ajv compiling the OCPP schemas and the OCPP boot
 * leave garbage that an idle node, allocating little, would otherwise keep until its first full
 * collection, tens of seconds later: ~1 MiB of RSS per process at rest. 5 s, not later: that is
 * past its start-up and, in a site started at once, before the clients' load (measured against
 * 10 s: as much saved; docs/BENCHMARKS.md, "Issue 21: the 31 site's memory, sixth session").
 */
export const startupGcDelayMs = 5_000;

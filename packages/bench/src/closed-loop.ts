import { Samples, nowMs, type LatencySummary } from './latency';

export interface ClosedLoopOptions {
  /** Operations in flight at once: each lane issues its next one when the previous ends. */
  readonly concurrency: number;
  /** Run, but do not count, for at least this long first (connections, JIT, the leader's window). */
  readonly warmupMs: number;
  /**
   * …and until at least this many operations completed (default 0). Time alone is not enough at
   * concurrency 1: a fresh cluster's per-slot path takes ~3,000 slots to reach its steady state
   * (docs/BENCHMARKS.md), a few seconds at one command per slot and a fraction of one at 256.
   */
  readonly warmupOperationsMin?: number;
  /** The warm-up ends after this long whatever the count (default 30 s): a slow system is measured slow. */
  readonly warmupMsMax?: number;
  readonly measureMs: number;
  /** Called once when the measured window opens and once when it closes. */
  readonly onWindow?: (edge: 'start' | 'end') => void;
}

export interface ClosedLoopResult extends LatencySummary {
  /** Operations completed inside the measured window. */
  readonly operations: number;
  readonly operationsPerSecond: number;
  /** Operations that ended in an error (counted in the window only). */
  readonly errors: number;
  readonly concurrency: number;
  readonly measureMs: number;
}

/**
 * A closed loop of `concurrency` lanes. The measured window opens once the warm-up has lasted
 * `warmupMs` and seen `warmupOperationsMin` operations complete (or has lasted `warmupMsMax`), and
 * lasts `measureMs`. An operation counts if it completes inside the window; its latency is from its
 * own start. Lanes stop issuing when the window closes.
 */
export async function runClosedLoop(
  options: ClosedLoopOptions,
  operation: (lane: number) => Promise<boolean>,
): Promise<ClosedLoopResult> {
  const samples = new Samples();
  const startMs = nowMs();
  const warmupOperationsMin = options.warmupOperationsMin ?? 0;
  const warmupEndMaxMs = startMs + Math.max(options.warmupMs, options.warmupMsMax ?? 30_000);
  let warmupOperations = 0;
  let windowStartMs = Number.POSITIVE_INFINITY;
  let windowEndMs = Number.POSITIVE_INFINITY;
  let errors = 0;
  let closeWindow: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (closeWindow = resolve));
  const openWindow = (atMs: number) => {
    windowStartMs = atMs;
    windowEndMs = atMs + options.measureMs;
    options.onWindow?.('start');
    setTimeout(() => {
      options.onWindow?.('end');
      closeWindow();
    }, options.measureMs);
  };
  // Opens the window at warmupMs even if no operation completes then (a stalled system).
  const warmupTimer = setTimeout(function check() {
    if (windowStartMs !== Number.POSITIVE_INFINITY) return;
    const now = nowMs();
    if (warmupOperations >= warmupOperationsMin || now >= warmupEndMaxMs) openWindow(now);
    else setTimeout(check, 50);
  }, options.warmupMs);
  const lane = async (index: number) => {
    for (;;) {
      const beganMs = nowMs();
      if (beganMs >= windowEndMs) return;
      const ok = await operation(index);
      const endedMs = nowMs();
      if (windowStartMs === Number.POSITIVE_INFINITY) {
        warmupOperations += 1;
        continue;
      }
      if (endedMs >= windowStartMs && endedMs < windowEndMs) {
        if (ok) samples.add(endedMs - beganMs);
        else errors += 1;
      }
    }
  };
  const lanes: Promise<void>[] = [];
  for (let index = 0; index < options.concurrency; index += 1) lanes.push(lane(index));
  await Promise.all([...lanes, closed]);
  clearTimeout(warmupTimer);
  const summary = samples.summary();
  return {
    ...summary,
    operations: summary.count,
    operationsPerSecond: (summary.count * 1000) / options.measureMs,
    errors,
    concurrency: options.concurrency,
    measureMs: options.measureMs,
  };
}

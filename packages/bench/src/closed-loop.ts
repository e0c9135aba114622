import { Samples, nowMs, type LatencySummary } from './latency';

export interface ClosedLoopOptions {
  /** Operations in flight at once: each lane issues its next one when the previous ends. */
  readonly concurrency: number;
  /** Run, but do not count, for this long first (connections, JIT, the leader's window). */
  readonly warmupMs: number;
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
 * A closed loop of `concurrency` lanes. An operation counts if it completes inside the measured
 * window; its latency is from its own start. Lanes stop issuing when the window closes.
 */
export async function runClosedLoop(
  options: ClosedLoopOptions,
  operation: (lane: number) => Promise<boolean>,
): Promise<ClosedLoopResult> {
  const samples = new Samples();
  const startMs = nowMs();
  const windowStartMs = startMs + options.warmupMs;
  const windowEndMs = windowStartMs + options.measureMs;
  let errors = 0;
  let windowOpen = false;
  const lane = async (index: number) => {
    for (;;) {
      const beganMs = nowMs();
      if (beganMs >= windowEndMs) return;
      const ok = await operation(index);
      const endedMs = nowMs();
      if (!windowOpen && endedMs >= windowStartMs) {
        windowOpen = true;
        options.onWindow?.('start');
      }
      if (endedMs >= windowStartMs && endedMs < windowEndMs) {
        if (ok) samples.add(endedMs - beganMs);
        else errors += 1;
      }
    }
  };
  const lanes: Promise<void>[] = [];
  for (let index = 0; index < options.concurrency; index += 1) lanes.push(lane(index));
  const closer = new Promise<void>((resolve) =>
    setTimeout(
      () => {
        options.onWindow?.('end');
        resolve();
      },
      Math.max(0, windowEndMs - nowMs()),
    ),
  );
  await Promise.all([...lanes, closer]);
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

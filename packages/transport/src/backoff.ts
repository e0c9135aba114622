/**
 * The delay before reconnect attempt number `attempt` (0 for the first after a loss):
 * exponential from `minMs`, capped at `maxMs`, with "equal jitter" — half fixed, half random —
 * so the delay never collapses to zero yet peers that lost a link together do not redial in
 * lockstep (AWS Architecture Blog, "Exponential Backoff and Jitter", 2015).
 */
export function reconnectDelayMs(
  attempt: number,
  minMs: number,
  maxMs: number,
  random: () => number,
): number {
  // 2^30 already exceeds any sane cap; clamping the exponent keeps the arithmetic finite.
  const ceilingMs = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceilingMs / 2 + (random() * ceilingMs) / 2);
}

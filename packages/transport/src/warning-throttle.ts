import type { Logger } from './types';

interface Window {
  readonly startedAtMs: number;
  logged: number;
  suppressed: number;
  timer: NodeJS.Timeout | null;
}

export interface WarningThrottleLimits {
  /** Warning lines per cause in one interval, at most; the rest are counted. */
  readonly warningsPerCauseMax: number;
  readonly intervalMs: number;
}

/**
 * Bounded logging (docs/LIMITS.md): each cause (a rejection code) may write a few warning lines an
 * interval; past that the lines are counted, and one summary line with the count is written when
 * the interval ends. So no client, however many connections it opens, can fill the disk through
 * our log, and an operator still sees that it tried and how often.
 */
export class WarningThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly logger: Logger,
    private readonly limits: WarningThrottleLimits,
    private readonly nowMs: () => number,
  ) {}

  warn(cause: string, message: string, meta: Record<string, unknown>): void {
    const nowMs = this.nowMs();
    let window = this.windows.get(cause);
    if (window && nowMs - window.startedAtMs >= this.limits.intervalMs) {
      this.summarize(cause, window);
      window = undefined;
    }
    if (!window) {
      window = { startedAtMs: nowMs, logged: 0, suppressed: 0, timer: null };
      this.windows.set(cause, window);
    }
    if (window.logged < this.limits.warningsPerCauseMax) {
      window.logged += 1;
      this.logger.warn(message, meta);
      return;
    }
    window.suppressed += 1;
    if (window.timer === null) {
      const open = window;
      const remainingMs = Math.max(0, open.startedAtMs + this.limits.intervalMs - nowMs);
      open.timer = setTimeout(() => this.summarize(cause, open), remainingMs);
      open.timer.unref();
    }
  }

  /** Writes the pending summaries now (at close) and stops their timers. */
  flush(): void {
    for (const [cause, window] of [...this.windows]) this.summarize(cause, window);
  }

  private summarize(cause: string, window: Window): void {
    if (window.timer) clearTimeout(window.timer);
    window.timer = null;
    if (this.windows.get(cause) === window) this.windows.delete(cause);
    if (window.suppressed === 0) return;
    this.logger.warn(`transport: ${window.suppressed} more '${cause}' warnings not written`, {
      code: cause,
      suppressed: window.suppressed,
      intervalMs: this.limits.intervalMs,
    });
    window.suppressed = 0;
  }
}

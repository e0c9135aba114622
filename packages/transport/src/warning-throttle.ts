import type { Logger } from './types';

/** The levels a throttle bounds: the lines a misbehaving client can make a process write. */
export type ThrottledLevel = 'warn' | 'error';

interface Window {
  readonly level: ThrottledLevel;
  readonly cause: string;
  readonly startedAtMs: number;
  logged: number;
  suppressed: number;
  timer: NodeJS.Timeout | null;
}

export interface WarningThrottleLimits {
  /** Lines per cause in one interval, at most; the rest are counted. */
  readonly warningsPerCauseMax: number;
  readonly intervalMs: number;
  /**
   * Causes tracked at once, at most (default 256): past it, new causes share one window, so
   * causes made of client input cannot grow the table without bound.
   */
  readonly causesMax?: number;
}

const CAUSES_MAX_DEFAULT = 256;
const OTHER_CAUSES = '(other causes)';

/**
 * Bounded logging (docs/LIMITS.md, "Logging"): each cause (a rejection code, a log message) may
 * write a few lines an interval; past that the lines are counted, and one summary line with the
 * count is written when the interval ends. So no client, however many connections or requests it
 * makes, can fill the disk through our log, and an operator still sees that it tried and how
 * often. One mechanism for every process: the transport's rejections use it by code, and every
 * node's logger (runtime, OCPP, transport, roles: packages/runtime/src/logger.ts) by message.
 */
export class WarningThrottle {
  private readonly windows = new Map<string, Window>();
  private readonly causesMax: number;

  /** @param summaryPrefix starts each summary line, e.g. 'transport: '. */
  constructor(
    private readonly logger: Pick<Logger, ThrottledLevel>,
    private readonly limits: WarningThrottleLimits,
    private readonly nowMs: () => number,
    private readonly summaryPrefix = 'transport: ',
  ) {
    this.causesMax = limits.causesMax ?? CAUSES_MAX_DEFAULT;
  }

  warn(cause: string, message: string, meta: Record<string, unknown>): void {
    this.log('warn', cause, message, meta);
  }

  log(level: ThrottledLevel, cause: string, message: string, meta: Record<string, unknown>): void {
    const nowMs = this.nowMs();
    let key = `${level} ${cause}`;
    if (!this.windows.has(key) && this.windows.size >= this.causesMax) {
      key = `${level} ${OTHER_CAUSES}`;
      cause = OTHER_CAUSES;
    }
    let window = this.windows.get(key);
    if (window && nowMs - window.startedAtMs >= this.limits.intervalMs) {
      this.summarize(key, window);
      window = undefined;
    }
    if (!window) {
      window = { level, cause, startedAtMs: nowMs, logged: 0, suppressed: 0, timer: null };
      this.windows.set(key, window);
    }
    if (window.logged < this.limits.warningsPerCauseMax) {
      window.logged += 1;
      this.logger[level](message, meta);
      return;
    }
    window.suppressed += 1;
    if (window.timer === null) {
      const open = window;
      const remainingMs = Math.max(0, open.startedAtMs + this.limits.intervalMs - nowMs);
      open.timer = setTimeout(() => this.summarize(key, open), remainingMs);
      open.timer.unref();
    }
  }

  /** Writes the pending summaries now (at close) and stops their timers. */
  flush(): void {
    for (const [key, window] of [...this.windows]) this.summarize(key, window);
  }

  private summarize(key: string, window: Window): void {
    if (window.timer) clearTimeout(window.timer);
    window.timer = null;
    if (this.windows.get(key) === window) this.windows.delete(key);
    if (window.suppressed === 0) return;
    const what = window.level === 'warn' ? 'warnings' : 'errors';
    this.logger[window.level](
      `${this.summaryPrefix}${window.suppressed} more '${window.cause}' ${what} not written`,
      { code: window.cause, suppressed: window.suppressed, intervalMs: this.limits.intervalMs },
    );
    window.suppressed = 0;
  }
}

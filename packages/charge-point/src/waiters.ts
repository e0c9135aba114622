/**
 * Conditions the charge point waits for with a deadline: "the Started event reached the CSMS",
 * "the replica holds the EV's needs". They depend on the replica and the queue, so they are checked
 * again whenever either changes (`recheck`), not polled; the deadline is a timer.
 */
interface Waiter {
  readonly check: () => boolean;
  readonly resolve: (ok: boolean) => void;
}

export class Waiters {
  private readonly waiting = new Set<Waiter>();
  private closed = false;

  constructor(private readonly nowMs: () => number) {}

  /** How many conditions are waited for now. */
  get size(): number {
    return this.waiting.size;
  }

  /**
   * Resolves true as soon as `check()` holds (now, or at a later `recheck`), else with `check()`'s
   * value at `deadlineMs` by this clock; false at once after close().
   */
  until(check: () => boolean, deadlineMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      let done = false;
      const finish = (ok: boolean): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.waiting.delete(waiter);
        resolve(ok);
      };
      const waiter: Waiter = { check, resolve: finish };
      const timer = setTimeout(() => finish(check()), Math.max(0, deadlineMs - this.nowMs()));
      this.waiting.add(waiter);
    });
  }

  /** Something the conditions read changed: resolve those that hold now. */
  recheck(): void {
    for (const waiter of [...this.waiting]) {
      if (waiter.check()) waiter.resolve(true);
    }
  }

  /** Every pending wait answers false (the process is stopping); later waits too. */
  close(): void {
    this.closed = true;
    for (const waiter of [...this.waiting]) waiter.resolve(false);
  }
}

/**
 * A token bucket per station connection: `burst` calls at once, refilled at `perSecond`. A call
 * over the limit is answered with a CALLERROR at once (docs/OCPP.md, "Bad input"), so a flooding
 * station costs the CSMS a parse and a reply, never a consensus round.
 */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly nowMs: () => number,
  ) {
    this.tokens = burst;
    this.lastMs = nowMs();
  }

  /** Takes one token; false when none is left. */
  take(): boolean {
    const now = this.nowMs();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastMs) * this.perSecond) / 1000);
    this.lastMs = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** How long until the next token, ms. */
  retryAfterMs(): number {
    return Math.ceil(((1 - this.tokens) * 1000) / this.perSecond);
  }
}

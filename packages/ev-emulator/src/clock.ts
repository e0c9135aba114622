/**
 * The scenario clock: scenario time runs `speed` times faster than real time
 * (scenario ms = real ms × speed). Only the scenario's timeline is scaled — when an EV arrives,
 * how much energy a limit delivers. Protocol timeouts (the EV link's request timeouts, Paxos ticks,
 * leases) stay in real milliseconds: a faster demo must not make the system look broken.
 */

/** Real time and timers, injected so tests can drive a fake one. */
export interface RealClock {
  /** Wall-clock ms since the epoch (Date.now). */
  nowMs(): number;
  /** setTimeout; returns a cancel function. */
  setTimer(callback: () => void, delayMs: number): () => void;
}

export const systemClock: RealClock = Object.freeze({
  nowMs: () => Date.now(),
  setTimer: (callback: () => void, delayMs: number) => {
    const timer = setTimeout(callback, delayMs);
    return () => clearTimeout(timer);
  },
});

/** The fastest allowed speed: minute 10 after 60 ms real, already faster than any protocol step. */
export const SPEED_MAX = 1_000;

export class ScenarioClock {
  /** Wall-clock ms at scenario time 0. */
  readonly startRealMs: number;

  constructor(
    readonly speed: number,
    private readonly real: RealClock = systemClock,
  ) {
    if (!(Number.isFinite(speed) && speed > 0 && speed <= SPEED_MAX)) {
      throw new RangeError(
        `speed must be a number above 0 and at most ${SPEED_MAX} (got ${speed}).`,
      );
    }
    this.startRealMs = real.nowMs();
  }

  /** Scenario ms elapsed since the start. */
  nowMs(): number {
    return (this.real.nowMs() - this.startRealMs) * this.speed;
  }

  /** Real ms until scenario time `scenarioMs` (0 if it is past). */
  realDelayUntilMs(scenarioMs: number): number {
    return Math.max(0, (scenarioMs - this.nowMs()) / this.speed);
  }

  /** The wall-clock time (ms since the epoch) at which scenario time `scenarioMs` comes. */
  wallClockAtMs(scenarioMs: number): number {
    return Math.round(this.startRealMs + scenarioMs / this.speed);
  }

  /** Real time now (for protocol fields that are wall-clock times). */
  realNowMs(): number {
    return this.real.nowMs();
  }

  /** Resolves once scenario time `scenarioMs` has come, or early (false) when `signal` aborts. */
  sleepUntil(scenarioMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.sleepReal(this.realDelayUntilMs(scenarioMs), signal);
  }

  /** Resolves after `delayMs` real ms, or early (false) when `signal` aborts. */
  sleepReal(delayMs: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => {
        cancel();
        resolve(false);
      };
      const cancel = this.real.setTimer(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      }, delayMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

export const MS_PER_MINUTE = 60_000;

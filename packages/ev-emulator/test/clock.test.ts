import { expect } from 'chai';
import { ScenarioClock, type RealClock } from '../src';

/** A clock that moves only when told, with timers that fire as it passes them. */
class ManualClock implements RealClock {
  private timers: { atMs: number; callback: () => void }[] = [];
  constructor(public now = 1_000_000) {}
  nowMs(): number {
    return this.now;
  }
  setTimer(callback: () => void, delayMs: number): () => void {
    const timer = { atMs: this.now + delayMs, callback };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }
  advance(ms: number): void {
    this.now += ms;
    const due = this.timers.filter((t) => t.atMs <= this.now);
    this.timers = this.timers.filter((t) => t.atMs > this.now);
    for (const timer of due) timer.callback();
  }
}

describe('ScenarioClock', () => {
  it('runs scenario time speed times faster than real time (scenario ms = real ms × speed)', () => {
    const real = new ManualClock();
    const clock = new ScenarioClock(10, real);
    expect(clock.nowMs()).to.equal(0);
    real.advance(6_000);
    expect(clock.nowMs()).to.equal(60_000);
    expect(clock.realDelayUntilMs(120_000)).to.equal(6_000);
    expect(clock.realDelayUntilMs(30_000)).to.equal(0);
  });

  it('maps scenario time to wall-clock time for protocol fields (minute 60 at speed 10: +6 real minutes)', () => {
    const real = new ManualClock(5_000);
    const clock = new ScenarioClock(10, real);
    expect(clock.wallClockAtMs(60 * 60_000)).to.equal(5_000 + 360_000);
  });

  it('sleeps until a scenario time, in scaled real time', async () => {
    const real = new ManualClock();
    const clock = new ScenarioClock(4, real);
    let woke = false;
    const sleeping = clock.sleepUntil(8_000).then((value) => (woke = value));
    real.advance(1_999);
    await Promise.resolve();
    expect(woke).to.equal(false);
    real.advance(1);
    expect(await sleeping).to.equal(true);
  });

  it('wakes early with false when aborted', async () => {
    const real = new ManualClock();
    const clock = new ScenarioClock(1, real);
    const abort = new AbortController();
    const sleeping = clock.sleepUntil(60_000, abort.signal);
    abort.abort();
    expect(await sleeping).to.equal(false);
  });

  it('refuses a speed of 0, a negative one, or one above the maximum', () => {
    expect(() => new ScenarioClock(0)).to.throw(RangeError, /speed must be/);
    expect(() => new ScenarioClock(-1)).to.throw(RangeError);
    expect(() => new ScenarioClock(1e6)).to.throw(RangeError);
  });
});

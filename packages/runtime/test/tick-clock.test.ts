import { expect } from 'chai';
import { TickClock } from '../src/tick-clock';

/**
 * A core with one deadline: `deadlineTicks` ticks after it was last reset, like a follower's
 * election timeout or an acceptor's leader lease. It records every tick.
 */
class FakeCore {
  elapsedTicks = 0;
  ticks = 0;
  constructor(public deadlineTicks: number) {}
  ticksUntilDue(): number {
    return Math.max(1, this.deadlineTicks - this.elapsedTicks);
  }
  tick(): void {
    this.ticks += 1;
    this.elapsedTicks += 1;
  }
  get crossed(): boolean {
    return this.elapsedTicks >= this.deadlineTicks;
  }
}

function clockFor(core: FakeCore, time: { nowMs: number }, afterWake: () => void = () => {}) {
  return new TickClock(10, core, {
    afterWake,
    edgeDeadlineMs: () => Number.POSITIVE_INFINITY,
    nowMs: () => time.nowMs,
  });
}

describe('TickClock: ticks on demand (docs/LIMITS.md, "Ticks on demand")', () => {
  it('an arrival credits the whole ticks that passed, stopping one short of the next deadline', () => {
    const core = new FakeCore(5);
    const time = { nowMs: 0 };
    const clock = clockFor(core, time);
    time.nowMs = 34;
    clock.catchUp();
    expect(core.ticks).to.equal(3);
    time.nowMs = 200;
    clock.catchUp();
    // The fifth tick crosses the deadline: only the timer's wake-up may take it.
    expect(core.ticks).to.equal(4);
    expect(core.crossed).to.equal(false);
  });

  it('a stall (its armed timer overdue by more than a tick) counts no ticks past the deadline, so messages queued during it are stepped first', () => {
    const core = new FakeCore(20);
    const time = { nowMs: 0 };
    const clock = clockFor(core, time);
    clock.arm(); // for 200 ms
    try {
      time.nowMs = 1_000; // the process did not run for a second
      clock.catchUp();
      expect(core.crossed).to.equal(false);
      // The arrival that came with the stall (a heartbeat) resets the deadline: nothing lapsed,
      // and of the second of stall at most the ticks up to the deadline and one more are still
      // owed (a fixed-rate timer fires one tick after a stall), not the 80 past it.
      core.elapsedTicks = 0;
      time.nowMs = 1_005;
      clock.catchUp();
      expect(core.elapsedTicks).to.be.at.most(2);
      time.nowMs = 1_009;
      clock.catchUp();
      expect(core.elapsedTicks).to.be.at.most(2);
    } finally {
      clock.stop();
    }
  });

  it('the timer wakes for the deadline and crosses it, then the edge runs its own work', async () => {
    const core = new FakeCore(2);
    let wakes = 0;
    const start = performance.now();
    const clock = new TickClock(
      1,
      {
        ticksUntilDue: () => (core.crossed ? Number.POSITIVE_INFINITY : core.ticksUntilDue()),
        tick: () => core.tick(),
      },
      { afterWake: () => (wakes += 1), edgeDeadlineMs: () => Number.POSITIVE_INFINITY },
    );
    try {
      clock.arm();
      while (!core.crossed) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(wakes).to.be.at.least(1);
      expect(clock.wakeups).to.equal(wakes);
      // Never ahead of wall time: no more ticks than whole milliseconds passed.
      expect(core.ticks).to.be.at.most(Math.floor(performance.now() - start));
    } finally {
      clock.stop();
    }
  });

  it('a deadline that an arrival moved later re-arms the timer, a small move keeps it (an idle acceptor wakes only when something is due)', () => {
    const core = new FakeCore(100); // a leader lease of T = 100 ticks
    const time = { nowMs: 0 };
    const clock = clockFor(core, time);
    try {
      clock.arm();
      expect(clock.armedAtMs).to.equal(1_000);
      // A heartbeat 250 ms later renews the lease: the timer follows it instead of waking at 1 s.
      time.nowMs = 250;
      clock.catchUp();
      core.elapsedTicks = 0;
      clock.arm();
      expect(clock.armedAtMs).to.equal(1_250);
      // An arrival 50 ms later (under load: every fraction of a millisecond) keeps the armed timer.
      time.nowMs = 300;
      clock.catchUp();
      core.elapsedTicks = 0;
      clock.arm();
      expect(clock.armedAtMs).to.equal(1_250);
      expect(clock.wakeups).to.equal(0);
    } finally {
      clock.stop();
    }
  });

  it('a timer replaced between its firing and its wake-up (an arrival in that I/O poll) wakes nobody: one timer chain, never two', async () => {
    const core = new FakeCore(5);
    let wakes = 0;
    const clock = new TickClock(10, core, {
      afterWake: () => (wakes += 1),
      edgeDeadlineMs: () => Number.POSITIVE_INFINITY,
    });
    try {
      clock.arm(); // due in 50 ms
      const wakesAfterReplace = await new Promise<number>((resolve) => {
        // Armed after the clock's timer with the same delay: runs right after it fired, before the
        // setImmediate that would cross the deadline, as an arrival in the next poll would.
        setTimeout(() => {
          core.deadlineTicks = 1_000;
          core.elapsedTicks = 0;
          clock.arm(); // the deadline moved ~10 s later: re-armed
          setImmediate(() => resolve(wakes));
        }, 50);
      });
      expect(wakesAfterReplace).to.equal(0);
      expect(clock.wakeups).to.equal(0);
    } finally {
      clock.stop();
    }
  });

  it('stop() cancels the armed timer: no wake-up after it', async () => {
    const core = new FakeCore(1);
    let wakes = 0;
    const time = { nowMs: 0 };
    const clock = clockFor(core, time, () => (wakes += 1));
    clock.arm();
    clock.stop();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(wakes).to.equal(0);
  });
});

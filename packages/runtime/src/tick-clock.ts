/**
 * Ticks on demand (docs/LIMITS.md, "Ticks on demand"; docs/STYLE.md rule 2: ticks inside,
 * milliseconds at the edge). The core counts logical ticks; instead of a fixed-rate timer that
 * wakes every process 1000 / tickMs times a second whether or not anything is due, the clock arms
 * one timer for the next deadline the core reports (`ticksUntilDue`) or the edge has (a client
 * call's timeout), and credits the core with the ticks that passed whenever the process wakes.
 *
 * What a fixed-rate tick guaranteed, and this keeps: a stalled process counts no ticks while
 * stalled (docs/LIMITS.md, "Election timing"). A deadline is crossed (an election timeout, a
 * leader lease that lapses) only by the timer's callback, and only after one I/O poll has run
 * since the timer fired: messages that queued up during a stall (the leader's heartbeats) are
 * stepped before the tick that would judge the leader silent. An arrival credits ticks only up to
 * one short of the next deadline. Time during which the armed timer was overdue by more than a tick
 * (the process did not run) is dropped, as a fixed-rate timer drops the ticks it could not fire.
 */

/**
 * The longest the clock sleeps when the core reports nothing due (a learner-only charge point with
 * nothing to catch up): 100 ticks, 1 s at the default tickMs, the election timeout's T. A bound,
 * not a deadline: it only limits how late a deadline the core failed to report would be noticed
 * (docs/STYLE.md rule 3). A learner hears its leader once per T, and each arrival moves the
 * sleep's end (see `arm`), so an idle learner's timer seldom fires at all.
 */
export const TICK_SLEEP_TICKS_MAX = 100;

/**
 * A deadline that moved later by at least this many ticks re-arms the timer (docs/LIMITS.md,
 * "Ticks on demand"): an idle acceptor's leader lease and a standby's election timeout move T
 * ticks ahead with each heartbeat, so the timer armed for the old deadline would wake the process
 * for nothing once per heartbeat interval or sleep cap. Moves shorter than this keep the armed
 * timer: under load arrivals come every fraction of a millisecond, and re-arming for each would
 * cost more than the rare early wake-up it saves.
 */
export const TICK_REARM_LATER_TICKS_MIN = 10;

/** The core's side: PaxosNode. */
export interface TickedCore {
  /** ≥ 1, or Infinity. */
  ticksUntilDue(): number;
  tick(): void;
}

export interface TickClockCollaborators {
  /** After a timer's ticks: the edge's own timeouts and the flush of what the ticks produced. */
  readonly afterWake: () => void;
  /** The edge's earliest deadline of its own, in `nowMs` milliseconds (Infinity: none). */
  readonly edgeDeadlineMs: () => number;
  /** Default performance.now. */
  readonly nowMs?: () => number;
}

export class TickClock {
  /** Wall time up to which ticks have been credited, on the grid of tickMs. */
  private creditedMs: number;
  private timer: NodeJS.Timeout | undefined;
  private armedForMs = Number.POSITIVE_INFINITY;
  /** The stall behind the armed timer's lateness was dropped already (see credit). */
  private overdueDropped = false;
  private stopped = false;
  /** Counts the timers armed: a wake-up of a timer since replaced is recognised as stale. */
  private generation = 0;
  /** Wake-ups of the timer, for GET /stats (docs/BENCHMARKS.md, "Idle footprint"). */
  wakeups = 0;

  private readonly nowMs: () => number;

  constructor(
    private readonly tickMs: number,
    private readonly core: TickedCore,
    private readonly collaborators: TickClockCollaborators,
    private readonly sleepTicksMax = TICK_SLEEP_TICKS_MAX,
  ) {
    this.nowMs = collaborators.nowMs ?? (() => performance.now());
    this.creditedMs = this.nowMs();
  }

  /** When the armed timer is due, in `nowMs` milliseconds (Infinity: none armed). */
  get armedAtMs(): number {
    return this.armedForMs;
  }

  /**
   * Before an arrival is handled: the ticks that passed since the last credit, at most one short
   * of the next deadline (crossing it is the timer's, after a poll).
   */
  catchUp(): void {
    this.credit(false);
  }

  /**
   * After handling anything: arms the timer for the next deadline when it is earlier than the armed
   * one, or later by at least TICK_REARM_LATER_TICKS_MIN (a heartbeat moved a lease or an election
   * timeout): the process then wakes only when something is due.
   */
  arm(): void {
    if (this.stopped) return;
    const { tickMs, sleepTicksMax } = this;
    const ticks = Math.min(this.core.ticksUntilDue(), sleepTicksMax);
    const deadlineMs = Math.min(
      this.creditedMs + ticks * tickMs,
      this.collaborators.edgeDeadlineMs(),
    );
    const movedLater =
      this.timer !== undefined &&
      deadlineMs !== Number.POSITIVE_INFINITY &&
      deadlineMs - this.armedForMs >= TICK_REARM_LATER_TICKS_MIN * tickMs;
    if (deadlineMs >= this.armedForMs && !movedLater) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedForMs = deadlineMs;
    this.overdueDropped = false;
    const delayMs = Math.max(1, Math.ceil(deadlineMs - this.nowMs()));
    // setImmediate: one I/O poll runs between the timer and the ticks it credits, so that what a
    // stall held back is stepped first (see the file comment). An arrival in that poll may re-arm
    // (its deadline moved): the wake-up of the timer it replaced is then stale and does nothing.
    const generation = ++this.generation;
    this.timer = setTimeout(
      () => setImmediate(() => generation === this.generation && this.wake()),
      delayMs,
    );
  }

  stop(): void {
    this.stopped = true;
    this.generation += 1;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private wake(): void {
    this.timer = undefined;
    if (this.stopped) return;
    this.wakeups += 1;
    this.credit(true);
    this.armedForMs = Number.POSITIVE_INFINITY;
    this.collaborators.afterWake();
    this.arm();
  }

  /**
   * Ticks the core for the whole ticks since the last credit, up to its next deadline (or one short
   * of it). Time the cap holds back stays owed, for the timer armed at that deadline.
   */
  private credit(mayReachDeadline: boolean): void {
    const { tickMs } = this;
    const nowMs = this.nowMs();
    // The armed timer overdue by more than a tick: this process did not run meanwhile (a stall, or
    // a starved CPU). That time counts no ticks, once, as a fixed-rate timer never fires the ticks
    // it missed (docs/LIMITS.md, "Election timing").
    const overdueTicks = Math.floor((nowMs - this.armedForMs) / tickMs) - 1;
    if (overdueTicks > 0 && !this.overdueDropped) {
      this.overdueDropped = true;
      this.creditedMs = Math.min(this.creditedMs + overdueTicks * tickMs, nowMs);
    }
    const wholeTicks = Math.floor((nowMs - this.creditedMs) / tickMs);
    if (wholeTicks <= 0) return;
    const due = this.core.ticksUntilDue();
    const ticks = Math.min(wholeTicks, mayReachDeadline ? due : due - 1);
    if (ticks <= 0) return;
    this.creditedMs += ticks * tickMs;
    for (let tick = 0; tick < ticks; tick += 1) this.core.tick();
  }
}

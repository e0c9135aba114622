import { type AppliedEntry, type Ballot, type Command, type NodeId } from '@evpaxos/paxos';

/** How a client call ends: applied, or a typed refusal with a stable code. */
export type CallOutcome =
  | {
      readonly ok: true;
      readonly slot: number;
      readonly ballot: Ballot;
      readonly result: unknown;
      readonly duplicate: boolean;
    }
  | { readonly ok: false; readonly code: 'not-leader'; readonly leaderId: NodeId | null }
  | { readonly ok: false; readonly code: 'timeout' }
  | { readonly ok: false; readonly code: 'overloaded' }
  | { readonly ok: false; readonly code: 'closed' }
  /**
   * The role's validator refused the payload before it was proposed: it took no slot.
   * `commandCode` is the validator's stable code (a site's, e.g. `power-out-of-range`).
   */
  | {
      readonly ok: false;
      readonly code: 'invalid-command';
      readonly commandCode: string;
      readonly reason: string;
    };

/** A role's verdict on a client payload: fine to propose, or why not (a stable code, a sentence). */
export type CommandCheck =
  { readonly ok: true } | { readonly ok: false; readonly code: string; readonly reason: string };

/**
 * Checks a client payload before it is proposed (RoleExtension.createCommandValidator): pure, never
 * throws. Only what needs no replicated state; the state machine judges the rest when it applies.
 */
export type CommandValidator = (payload: unknown) => CommandCheck;

/** Called once with a call's outcome. */
export type SettleCall = (outcome: CallOutcome) => void;

/** A call handed to the core: its command, who to answer, and when the client submitted it. */
export interface Proposal {
  readonly command: Command;
  readonly settle: SettleCall;
  /** performance.now() at submit: the commit-time metric's start. */
  readonly startedAtMs: number;
}

interface Waiter {
  readonly clientId: string;
  readonly seq: number;
  readonly settle: SettleCall;
  /** When it times out, in performance.now() milliseconds. */
  readonly deadlineMs: number;
  readonly startedAtMs: number;
  /** The next waiter of the same key (a retry joined it): a chain, not an array per command. */
  next: Waiter | undefined;
}

export interface ClientCallsOptions {
  readonly pendingMax: number;
  readonly timeoutMs: number;
  /** Called with submit → applied milliseconds of each call answered with a first application. */
  readonly observeCommitMs?: (ms: number) => void;
}

/**
 * The first waiter of each (clientId, seq), found without building a key string per lookup (two
 * per command, at wait and at settle: ~3 % of the central's samples at 256): by clientId, then —
 * only for a client with several seqs waiting at once — by seq. A lane of the bench, like most
 * clients, has one command in flight at a time.
 */
class FirstWaiters {
  private readonly byClient = new Map<string, Waiter | Map<number, Waiter>>();

  get(clientId: string, seq: number): Waiter | undefined {
    const found = this.byClient.get(clientId);
    if (found === undefined || found instanceof Map) return found?.get(seq);
    return found.seq === seq ? found : undefined;
  }

  /** Makes `waiter` the first of (clientId, seq), or forgets the key (undefined). */
  set(clientId: string, seq: number, waiter: Waiter | undefined): void {
    const found = this.byClient.get(clientId);
    if (found instanceof Map) {
      if (waiter !== undefined) found.set(seq, waiter);
      else if (found.delete(seq) && found.size === 0) this.byClient.delete(clientId);
    } else if (found === undefined || found.seq === seq) {
      if (waiter !== undefined) this.byClient.set(clientId, waiter);
      else if (found !== undefined) this.byClient.delete(clientId);
    } else if (waiter !== undefined) {
      this.byClient.set(
        clientId,
        new Map([
          [found.seq, found],
          [seq, waiter],
        ]),
      );
    }
  }

  clear(): void {
    this.byClient.clear();
  }
}

/**
 * Client calls waiting for their command to be applied, keyed by (clientId, seq). A retry of a
 * pending command joins the same key, and every waiter of a key gets the one result.
 * Bounded: past `pendingMax` waiters a call is refused as overloaded. Callbacks, not promises, and
 * one sweep for every timeout (`expire`, when the tick clock wakes) instead of a timer per call: at concurrency
 * 256 the promise chains and timers were a few µs of the central's ~15 µs per command. One object
 * per call (the waiters of a key chained, the commit time measured here rather than by a wrapper
 * callback per call): allocation per command was the central's garbage (docs/BENCHMARKS.md,
 * "Issue 21: concurrency 256, sixth session").
 */
export class ClientCalls {
  /** The first waiter of each key; the others follow its `next`. */
  private readonly byKey = new FirstWaiters();
  /** Every waiter, oldest first: with one timeout for all, also in deadline order. */
  private readonly byAge = new Set<Waiter>();

  constructor(private readonly options: ClientCallsOptions) {}

  get pending(): number {
    return this.byAge.size;
  }

  isFull(): boolean {
    return this.byAge.size >= this.options.pendingMax;
  }

  /** Waits for (clientId, seq) to be applied; the caller checked `isFull()` and proposed it. */
  wait(
    clientId: string,
    seq: number,
    settle: SettleCall,
    nowMs = performance.now(),
    startedAtMs = nowMs,
  ): void {
    const waiter: Waiter = {
      clientId,
      seq,
      settle,
      deadlineMs: nowMs + this.options.timeoutMs,
      startedAtMs,
      next: undefined,
    };
    let last = this.byKey.get(clientId, seq);
    if (last === undefined) this.byKey.set(clientId, seq, waiter);
    else {
      while (last.next !== undefined) last = last.next;
      last.next = waiter;
    }
    this.byAge.add(waiter);
  }

  /** Answers the waiters of every command in these entries. */
  settleApplied(entries: readonly AppliedEntry[]): void {
    if (this.byAge.size === 0) return;
    const observe = this.options.observeCommitMs;
    let nowMs = Number.NaN;
    for (const entry of entries) {
      for (const { command, result, duplicate } of entry.commands) {
        let waiter = this.byKey.get(command.clientId, command.seq);
        if (waiter === undefined) continue;
        this.byKey.set(command.clientId, command.seq, undefined);
        const outcome: CallOutcome = {
          ok: true,
          slot: entry.slot,
          ballot: entry.ballot,
          result,
          duplicate,
        };
        for (; waiter !== undefined; waiter = waiter.next) {
          this.byAge.delete(waiter);
          if (observe !== undefined && !duplicate) {
            if (Number.isNaN(nowMs)) nowMs = performance.now();
            observe(nowMs - waiter.startedAtMs);
          }
          waiter.settle(outcome);
        }
      }
    }
  }

  /** When the oldest call times out (performance.now() ms; Infinity when none waits). */
  nextDeadlineMs(): number {
    for (const waiter of this.byAge) return waiter.deadlineMs;
    return Number.POSITIVE_INFINITY;
  }

  /** Times out every call whose deadline has passed (called at each wake-up of the tick clock). */
  expire(nowMs = performance.now()): void {
    for (const waiter of this.byAge) {
      if (waiter.deadlineMs > nowMs) return;
      this.byAge.delete(waiter);
      this.unchain(waiter);
      waiter.settle({ ok: false, code: 'timeout' });
    }
  }

  /** Takes a waiter out of its key's chain. */
  private unchain(waiter: Waiter): void {
    const first = this.byKey.get(waiter.clientId, waiter.seq);
    if (first === waiter) {
      this.byKey.set(waiter.clientId, waiter.seq, waiter.next);
      return;
    }
    for (let before = first; before !== undefined; before = before.next) {
      if (before.next === waiter) {
        before.next = waiter.next;
        return;
      }
    }
  }

  /**
   * Refuses every pending call (on step-down: this node no longer leads, so it cannot promise an
   * answer; the client retries with the same seq at the new leader, which applies it exactly once).
   */
  rejectAll(outcome: CallOutcome): void {
    const waiters = [...this.byAge];
    this.byKey.clear();
    this.byAge.clear();
    for (const waiter of waiters) waiter.settle(outcome);
  }
}

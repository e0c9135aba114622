import { commandKey, type AppliedEntry, type Ballot, type NodeId } from '@evpaxos/paxos';

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
  | { readonly ok: false; readonly code: 'closed' };

type Resolve = (outcome: CallOutcome) => void;

interface Waiter {
  readonly resolve: Resolve;
  readonly timer: NodeJS.Timeout;
}

export interface ClientCallsOptions {
  readonly pendingMax: number;
  readonly timeoutMs: number;
}

/**
 * Client calls waiting for their command to be applied, keyed by (clientId, seq). A retry of a
 * pending command joins the same key, and every waiter of a key gets the one result.
 * Bounded: past `pendingMax` waiters a call is refused as overloaded.
 */
export class ClientCalls {
  private readonly byKey = new Map<string, Waiter[]>();
  private count = 0;

  constructor(private readonly options: ClientCallsOptions) {}

  get pending(): number {
    return this.count;
  }

  isFull(): boolean {
    return this.count >= this.options.pendingMax;
  }

  /** Waits for (clientId, seq) to be applied; the caller checked `isFull()` and proposed it. */
  wait(clientId: string, seq: number): Promise<CallOutcome> {
    const key = commandKey({ clientId, seq });
    return new Promise<CallOutcome>((resolve) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(
          () => this.remove(key, waiter, { ok: false, code: 'timeout' }),
          this.options.timeoutMs,
        ),
      };
      const waiters = this.byKey.get(key);
      if (waiters) waiters.push(waiter);
      else this.byKey.set(key, [waiter]);
      this.count += 1;
    });
  }

  /** Answers the waiters of every command in these entries. */
  settleApplied(entries: readonly AppliedEntry[]): void {
    if (this.count === 0) return;
    for (const entry of entries) {
      for (const { command, result, duplicate } of entry.commands) {
        const key = commandKey(command);
        const waiters = this.byKey.get(key);
        if (!waiters) continue;
        this.byKey.delete(key);
        for (const waiter of waiters) {
          clearTimeout(waiter.timer);
          this.count -= 1;
          waiter.resolve({ ok: true, slot: entry.slot, ballot: entry.ballot, result, duplicate });
        }
      }
    }
  }

  /**
   * Refuses every pending call (on step-down: this node no longer leads, so it cannot promise an
   * answer; the client retries with the same seq at the new leader, which applies it exactly once).
   */
  rejectAll(outcome: CallOutcome): void {
    for (const waiters of this.byKey.values()) {
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.resolve(outcome);
      }
    }
    this.byKey.clear();
    this.count = 0;
  }

  private remove(key: string, waiter: Waiter, outcome: CallOutcome): void {
    const waiters = this.byKey.get(key);
    const index = waiters?.indexOf(waiter) ?? -1;
    if (!waiters || index < 0) return;
    waiters.splice(index, 1);
    if (waiters.length === 0) this.byKey.delete(key);
    this.count -= 1;
    waiter.resolve(outcome);
  }
}

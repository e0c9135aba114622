import { defaultPaxosOptions, type NodeId, type ProposeResult } from '@evpaxos/paxos';
import type { ClientCalls, Proposal } from './client-calls';

/**
 * How long a call is held: a standby's whole election timeout (T plus its jitter, 1.5 s at the
 * default tickMs), so an election that starts by timeout, not by a closed link, still ends within
 * it; past it the client hears "no leader" and looks elsewhere.
 */
export function electionHoldMs(tickMs: number): number {
  const { electionTimeoutTicks, electionJitterTicks } = defaultPaxosOptions;
  return (electionTimeoutTicks + electionJitterTicks) * tickMs;
}

interface HeldCall extends Proposal {
  /** When the hold ends, in performance.now() milliseconds. */
  readonly untilMs: number;
}

/**
 * Client calls that reached a central while no leader is known — an election is on: the leader's
 * link closed and this standby is pre-voting, or it campaigns, or it has just started
 * (docs/CLUSTER.md, "During an election"). Answering them `not-leader` with no leader to name
 * sends every client into a retry loop against the very process that is busy electing itself
 * (measured: a client retried a submit every few ms through a failover, and took a turn of its own
 * after the new leader's first commit). Held instead, they are proposed in the turn this node
 * becomes leader, or answered `not-leader` naming the leader it hears of, or — after `holdMs`, an
 * election that did not end here — `not-leader` with no leader, as before.
 *
 * Bounded: the held calls count against `pendingClientCallsMax` with the others (the caller
 * checks), and none is held longer than `holdMs`.
 */
export class ElectionHold {
  /** Oldest first: with one hold time for all, also in deadline order. */
  private held: HeldCall[] = [];

  constructor(private readonly holdMs: number) {}

  get size(): number {
    return this.held.length;
  }

  hold({ command, settle, startedAtMs }: Proposal, nowMs = performance.now()): void {
    this.held.push({ command, settle, startedAtMs, untilMs: nowMs + this.holdMs });
  }

  /** This node leads now: every held call, to be proposed. */
  takeAll(): Proposal[] {
    const held = this.held;
    this.held = [];
    return held;
  }

  /** A leader is known (`leaderId`), or none will be (closing): answers every held call. */
  answerAll(leaderId: NodeId | null, code: 'not-leader' | 'closed' = 'not-leader'): void {
    const held = this.takeAll();
    for (const { settle } of held) {
      settle(code === 'closed' ? { ok: false, code } : { ok: false, code, leaderId });
    }
  }

  /** When the oldest hold ends (performance.now() ms; Infinity when none is held). */
  nextDeadlineMs(): number {
    return this.held[0]?.untilMs ?? Number.POSITIVE_INFINITY;
  }

  /** Answers `not-leader` (no leader known) to every call held past its time. */
  expire(nowMs = performance.now()): void {
    let ended = 0;
    while (ended < this.held.length && (this.held[ended] as HeldCall).untilMs <= nowMs) ended += 1;
    if (ended === 0) return;
    const expired = this.held.splice(0, ended);
    for (const { settle } of expired) settle({ ok: false, code: 'not-leader', leaderId: null });
  }
}

/**
 * Each proposed call's fate once the core answered: it waits to be applied, it is held through an
 * election (`hold` given: a central, and the core knows no leader to name), or it is refused.
 */
export function settleProposed(
  proposals: readonly Proposal[],
  results: readonly ProposeResult[],
  calls: ClientCalls,
  hold: ElectionHold | undefined,
): void {
  const nowMs = performance.now();
  proposals.forEach((proposal, index) => {
    const { command, settle } = proposal;
    const result = results[index];
    if (result === undefined || result.ok) {
      // Registered synchronously after propose: the command cannot be delivered before this,
      // since delivery goes through the pipeline's promise chain.
      calls.wait(command.clientId, command.seq, settle, nowMs, proposal.startedAtMs);
    } else if (result.code === 'not-leader' && result.leaderId === undefined && hold) {
      hold.hold(proposal, nowMs);
    } else if (result.code === 'not-leader') {
      settle({ ok: false, code: 'not-leader', leaderId: result.leaderId ?? null });
    } else {
      settle({ ok: false, code: 'overloaded' });
    }
  });
}

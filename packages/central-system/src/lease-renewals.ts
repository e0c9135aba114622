/**
 * docs/SITE.md, "Leases": a cluster member asks for renewal by DataTransfer, naming the expiry its
 * own replica holds (lease.ts R2); a third-party station has no replica, so its Heartbeat asks and
 * the expiry is read from the replica of the central it is on. No central decides one command
 * per ask: a standby forwards the asks of the stations it holds to the leader (POST
 * /lease-renewals/asks, several in one request), and the leader submits every ask it gathered as
 * one RenewLeases per renewal interval (leaseMs / 3), so an idle site decides one renewal slot per
 * interval whatever its size and wherever its stations are connected. When no leader takes the
 * asks, the standby submits them itself (its command is forwarded to the leader like any other).
 *
 * Why every leaseMs / 3 and not only near the end of a lease: a renewal keeps the expiry it named
 * as the lease the charge point proved it holds (lease.ts R2), and the charge point is counted at
 * its grant only until that expiry (chargePointMode). Two renewals per lease are the least that keep
 * a charge point leased; a third leaves room for one lost round (a leader change, a lost ask).
 */
import type { Logger } from '@evpaxos/runtime';
import type { LeaseRenewal, LeaseRenewalResult, SiteState } from '@evpaxos/site';
import type { CommandDraft, SubmitOutcome } from './central-service';
import { LEASE_RENEWAL_RETRY_MS, RENEWALS_PER_LEASE } from './constants';

/** A third-party station's ask: the expiry is read from the leader's replica when submitted. */
const FROM_REPLICA = 'from-replica';

type Ask = number | null | typeof FROM_REPLICA;

/** One station's ask as a standby forwards it (POST /lease-renewals/asks). */
export interface ForwardedAsk {
  readonly chargePointId: string;
  /** The expiry the station named, or null; absent with `fromReplica`. */
  readonly heldLeaseExpiresAtMs?: number | null;
  /** A third-party station: the leader reads the expiry from its own replica. */
  readonly fromReplica?: true;
}

export interface LeaseRenewalsCollaborators {
  readonly memberIds: readonly string[];
  readonly readState: () => SiteState;
  readonly nowMs: () => number;
  readonly submit: (draft: CommandDraft) => Promise<SubmitOutcome>;
  readonly logger: Logger;
  /** Whether this central leads now (it gathers the site's asks). */
  readonly isLeader: () => boolean;
  /** Hands asks to the leader; true once the leader took them (lease-asks-route.ts). */
  readonly forward: (asks: readonly ForwardedAsk[]) => Promise<boolean>;
  /** Timers (default the process's setTimeout / clearTimeout): injected by tests. */
  readonly setTimer?: (callback: () => void, delayMs: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
}

export class LeaseRenewals {
  /**
   * Asks since the last RenewLeases was submitted, by charge point: the expiry the station names
   * (its latest ask wins), or FROM_REPLICA. At most one per registered charge point.
   */
  private readonly asks = new Map<string, Ask>();
  private readonly members: ReadonlySet<string>;
  /** When the last RenewLeases was submitted, ms. */
  private lastSubmitAtMs = -Infinity;
  /** After a RenewLeases that was not agreed: none before this, ms. */
  private retryNotBeforeMs = -Infinity;
  private inFlight = false;
  /** On a standby: asks not yet handed to the leader, and whether a forward is under way. */
  private readonly toForward = new Map<string, Ask>();
  private forwarding = false;
  private timer: unknown = null;
  private closed = false;

  constructor(private readonly collaborators: LeaseRenewalsCollaborators) {
    this.members = new Set(collaborators.memberIds);
  }

  isClusterMember(chargePointId: string): boolean {
    return this.members.has(chargePointId);
  }

  /** A cluster member asks, naming the expiry of the lease its replica holds (or null). */
  ask(chargePointId: string, heldLeaseExpiresAtMs: number | null): void {
    this.record(chargePointId, heldLeaseExpiresAtMs);
  }

  /** A third-party station talks to us: renew the lease our replica shows it. */
  askFromReplica(chargePointId: string): void {
    this.record(chargePointId, FROM_REPLICA);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) (this.collaborators.clearTimer ?? clearTimeout)(this.timer as never);
    this.timer = null;
  }

  /**
   * Asks a standby forwarded (POST /lease-renewals/asks): gathered as if the stations were ours.
   * False when this central does not lead (the standby then submits them itself).
   */
  receive(asks: readonly ForwardedAsk[]): boolean {
    if (this.closed || !this.collaborators.isLeader()) return false;
    for (const ask of asks) {
      this.record(
        ask.chargePointId,
        ask.fromReplica ? FROM_REPLICA : (ask.heldLeaseExpiresAtMs ?? null),
      );
    }
    return true;
  }

  private record(chargePointId: string, ask: Ask): void {
    if (this.closed) return;
    if (this.collaborators.readState().chargePoints[chargePointId] === undefined) return;
    if (!this.collaborators.isLeader()) {
      this.toForward.set(chargePointId, ask);
      this.forwardAsks();
      return;
    }
    this.asks.set(chargePointId, ask);
    this.schedule();
  }

  /**
   * A standby hands its stations' asks to the leader, several per request, one request at a time
   * (asks that come meanwhile go in the next). Those no leader took it submits itself.
   */
  private forwardAsks(): void {
    if (this.forwarding || this.closed || this.toForward.size === 0) return;
    const batch = new Map(this.toForward);
    this.toForward.clear();
    this.forwarding = true;
    const asks: ForwardedAsk[] = [...batch].map(([chargePointId, ask]) =>
      ask === FROM_REPLICA
        ? { chargePointId, fromReplica: true }
        : { chargePointId, heldLeaseExpiresAtMs: ask },
    );
    void this.collaborators.forward(asks).then((taken) => {
      this.forwarding = false;
      for (const [chargePointId, ask] of batch) {
        if (taken) this.asks.delete(chargePointId);
        else if (!this.asks.has(chargePointId)) this.asks.set(chargePointId, ask);
      }
      this.schedule();
      this.forwardAsks();
    });
  }

  /**
   * Arms the one timer for the next RenewLeases: at once when a station asking has no live lease on
   * our replica (a lease to start, not one to keep), else one interval after the last submit.
   */
  private schedule(): void {
    if (this.closed || this.inFlight || this.timer !== null || this.asks.size === 0) return;
    const state = this.collaborators.readState();
    const now = this.collaborators.nowMs();
    const starting = [...this.asks.keys()].some((chargePointId) => {
      const lease = state.chargePoints[chargePointId]?.lease ?? null;
      return lease === null || lease.expiresAtMs <= now;
    });
    const dueAtMs = starting
      ? this.retryNotBeforeMs
      : Math.max(this.lastSubmitAtMs + this.intervalMs(state), this.retryNotBeforeMs);
    const delayMs = Math.max(0, dueAtMs - now);
    this.timer = (this.collaborators.setTimer ?? setTimeout)(() => {
      this.timer = null;
      this.submitAsks();
    }, delayMs);
  }

  private intervalMs(state: SiteState): number {
    return state.config.leaseMs / RENEWALS_PER_LEASE;
  }

  /** One RenewLeases with every ask gathered; the asks that come meanwhile wait for the next. */
  private submitAsks(): void {
    const { readState, nowMs, submit } = this.collaborators;
    const state = readState();
    const asked = new Map(this.asks);
    this.asks.clear();
    const renewals: LeaseRenewal[] = [...asked].map(([chargePointId, ask]) => ({
      chargePointId,
      heldLeaseExpiresAtMs:
        ask === FROM_REPLICA
          ? (state.chargePoints[chargePointId]?.lease?.expiresAtMs ?? null)
          : ask,
    }));
    if (renewals.length === 0 || this.closed) return;
    this.inFlight = true;
    this.lastSubmitAtMs = nowMs();
    void submit({ type: 'RenewLeases', renewals }).then((outcome) => {
      this.inFlight = false;
      this.settle(asked, renewals, outcome);
      this.schedule();
    });
  }

  private settle(
    asked: ReadonlyMap<string, Ask>,
    renewals: readonly LeaseRenewal[],
    outcome: SubmitOutcome,
  ): void {
    const { logger, nowMs } = this.collaborators;
    if (!outcome.ok) {
      // Not agreed (no leader, timeout, overload): ask again after a pause, unless a station
      // asked anew meanwhile (its newer ask wins).
      for (const [chargePointId, ask] of asked) {
        if (!this.asks.has(chargePointId)) this.asks.set(chargePointId, ask);
      }
      this.retryNotBeforeMs = nowMs() + LEASE_RENEWAL_RETRY_MS;
      return;
    }
    const result = outcome.result;
    if (!result.ok) {
      // None renewed (lease.ts R2: every station named a lease it does not hold, e.g. cut off from
      // the Paxos mesh): each one's next ask names what its replica holds then.
      const chargePointIds = renewals.map((renewal) => renewal.chargePointId);
      logger.info('lease-renewal-rejected', {
        chargePointIds,
        code: result.code,
        reason: result.reason,
      });
      return;
    }
    (result.renewals ?? []).forEach((renewal, i) => this.settleOne(renewal, renewals[i]));
  }

  private settleOne(result: LeaseRenewalResult, submitted: LeaseRenewal | undefined): void {
    if (result.ok) {
      // An ask that came while this was in flight, naming the lease just replaced, is answered.
      const named = submitted?.heldLeaseExpiresAtMs;
      if (this.asks.get(result.chargePointId) === named) this.asks.delete(result.chargePointId);
      return;
    }
    // A stale lease named (a station cut off from the Paxos mesh, lease.ts R2), or a renewal that
    // raced another one: its next ask names what its replica holds then.
    this.collaborators.logger.info('lease-renewal-rejected', {
      chargePointIds: [result.chargePointId],
      code: result.code,
      reason: result.reason,
    });
  }
}

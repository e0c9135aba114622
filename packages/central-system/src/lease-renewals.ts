/**
 * docs/SITE.md, "Leases": a cluster member asks for renewal by DataTransfer, naming the expiry its
 * own replica holds (lease.ts R2); a third-party station has no replica, so its Heartbeat asks and
 * the expiry is read from the replica of the central it is on. A central does not decide one
 * command per ask: it gathers the asks of the stations it holds and submits them as one
 * RenewLeases per renewal interval (leaseMs / 3), so an idle site decides one renewal slot per
 * interval whatever its size. A standby's command is forwarded to the leader like any other.
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

/** A third-party station's ask: the expiry is read from this central's replica when submitted. */
const FROM_REPLICA = 'from-replica';

type Ask = number | null | typeof FROM_REPLICA;

export interface LeaseRenewalsCollaborators {
  readonly memberIds: readonly string[];
  readonly readState: () => SiteState;
  readonly nowMs: () => number;
  readonly submit: (draft: CommandDraft) => Promise<SubmitOutcome>;
  readonly logger: Logger;
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

  private record(chargePointId: string, ask: Ask): void {
    if (this.closed) return;
    if (this.collaborators.readState().chargePoints[chargePointId] === undefined) return;
    this.asks.set(chargePointId, ask);
    this.schedule();
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

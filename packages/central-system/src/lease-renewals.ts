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
import type { LeaseRenewal, LeaseState, SiteState } from '@evpaxos/site';
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

/**
 * Whether a renewal naming `heldLeaseExpiresAtMs` was already answered, so that proposing it
 * changes nothing but a refusal (lease-not-held): the station's live lease was granted by a renewal
 * naming that same lease (lease.ts R2, R3 keep what it replaced in `previousExpiresAtMs`: null for
 * a station's first lease), or it is confirmed and so the station has since named a later lease
 * than this one (R2: only the station names its lease, from its own replica). Such an ask left
 * before the station learned its renewal (a slow OCPP link, a loaded host), or it waited in a
 * command through a leader change; the station names its new lease once it learns it. A station
 * cut off from the mesh is not answered: once the lease it last proved lapses, what it is granted
 * is unconfirmed (R3), and its stale name is refused. (Expiries stamped by two centrals may go
 * back by their clock skew along a chain; that only makes an old name look newer: refused.)
 */
function renewalAnswered(
  lease: LeaseState | null,
  heldLeaseExpiresAtMs: number | null,
  nowMs: number,
): boolean {
  if (lease === null || nowMs >= lease.expiresAtMs) return false;
  const replaced = lease.previousExpiresAtMs;
  if (heldLeaseExpiresAtMs === lease.expiresAtMs) return false;
  if (heldLeaseExpiresAtMs === replaced) return true;
  return (
    lease.confirmed &&
    replaced !== null &&
    heldLeaseExpiresAtMs !== null &&
    heldLeaseExpiresAtMs < replaced
  );
}

export class LeaseRenewals {
  /**
   * Asks since the last RenewLeases was submitted, by charge point: the expiry the station names
   * (its latest ask wins), or FROM_REPLICA. At most one per registered charge point.
   */
  private readonly asks = new Map<string, Ask>();
  private readonly members: ReadonlySet<string>;
  /**
   * Per charge point whose last renewal was refused: it does not make a command fall due before
   * this, ms (a station cut off from the Paxos mesh names a stale lease at every ask).
   */
  private readonly refusedUntilMs = new Map<string, number>();
  /** After a RenewLeases that was not agreed: none before this, ms. */
  private retryNotBeforeMs = -Infinity;
  private inFlight = false;
  /** On a standby: asks not yet handed to the leader, and whether a forward is under way. */
  private readonly toForward = new Map<string, Ask>();
  private forwarding = false;
  private timer: unknown = null;
  private timerDueAtMs = Infinity;
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
    this.cancelTimer();
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
   * Arms the one timer for the next RenewLeases: when the first station that asked is due, one
   * interval after its lease was granted (at once if it has no live lease on our replica: a lease
   * to start, not one to keep). The stations renewed together are due together, so an idle site
   * makes one command per interval; a station whose ask came too late for it is renewed on its
   * own, in time, and joins the others at the next. A retry pause holds everything back.
   */
  private schedule(): void {
    if (this.closed || this.inFlight) return;
    const state = this.collaborators.readState();
    const now = this.collaborators.nowMs();
    this.dropAnswered(state, now);
    if (this.asks.size === 0) {
      this.cancelTimer();
      return;
    }
    let dueAtMs = Infinity;
    for (const chargePointId of this.asks.keys()) {
      dueAtMs = Math.min(dueAtMs, this.dueAtMs(state, chargePointId, now));
    }
    dueAtMs = Math.max(dueAtMs, this.retryNotBeforeMs);
    if (this.timer !== null && this.timerDueAtMs <= dueAtMs) return;
    this.cancelTimer();
    this.timerDueAtMs = dueAtMs;
    this.timer = (this.collaborators.setTimer ?? setTimeout)(
      () => {
        this.timer = null;
        this.submitAsks();
      },
      Math.max(0, dueAtMs - now),
    );
  }

  /** When a station's renewal falls due, ms (see schedule). */
  private dueAtMs(state: SiteState, chargePointId: string, now: number): number {
    const lease = state.chargePoints[chargePointId]?.lease ?? null;
    const dueAtMs =
      lease === null || lease.expiresAtMs <= now
        ? -Infinity
        : lease.expiresAtMs - state.config.leaseMs + this.intervalMs(state);
    return Math.max(dueAtMs, this.refusedUntilMs.get(chargePointId) ?? -Infinity);
  }

  /**
   * Drops the asks already answered (renewalAnswered): the reducer would refuse them (lease.ts R2);
   * the station asks again once it learns its lease.
   */
  private dropAnswered(state: SiteState, now: number): void {
    for (const [chargePointId, ask] of this.asks) {
      const lease = state.chargePoints[chargePointId]?.lease ?? null;
      if (ask !== FROM_REPLICA && renewalAnswered(lease, ask, now)) this.asks.delete(chargePointId);
    }
  }

  private cancelTimer(): void {
    if (this.timer !== null) (this.collaborators.clearTimer ?? clearTimeout)(this.timer as never);
    this.timer = null;
  }

  private intervalMs(state: SiteState): number {
    return state.config.leaseMs / RENEWALS_PER_LEASE;
  }

  /** One RenewLeases with every ask gathered; the asks that come meanwhile wait for the next. */
  private submitAsks(): void {
    const { readState, nowMs, submit } = this.collaborators;
    const state = readState();
    this.dropAnswered(state, nowMs());
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
    this.collaborators.logger.debug('lease-renewals-submitted', { renewals });
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
    const { nowMs } = this.collaborators;
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
      // the Paxos mesh, or each was answered by a renewal decided first).
      this.settleRefused(renewals, result.code, result.reason);
      return;
    }
    const named = new Map(renewals.map((renewal) => [renewal.chargePointId, renewal]));
    for (const renewal of result.renewals ?? []) {
      if (renewal.ok) {
        this.refusedUntilMs.delete(renewal.chargePointId);
        continue;
      }
      const sent = named.get(renewal.chargePointId);
      if (sent !== undefined) this.settleRefused([sent], renewal.code, renewal.reason);
    }
  }

  /**
   * Renewals the reducer refused. A stale lease named (a station cut off from the Paxos mesh,
   * lease.ts R2) is logged and holds the station back; a renewal answered by one decided first
   * (renewalAnswered: two centrals submitted the same ask around a leader change, or a command
   * waited through one) is not: the station is in the site and its next ask names its new lease.
   */
  private settleRefused(renewals: readonly LeaseRenewal[], code: string, reason: string): void {
    const { logger, readState, nowMs } = this.collaborators;
    const state = readState();
    const answered: string[] = [];
    const chargePointIds: string[] = [];
    for (const { chargePointId, heldLeaseExpiresAtMs } of renewals) {
      const lease = state.chargePoints[chargePointId]?.lease ?? null;
      if (renewalAnswered(lease, heldLeaseExpiresAtMs, nowMs())) answered.push(chargePointId);
      else chargePointIds.push(chargePointId);
    }
    if (answered.length > 0) logger.debug('lease-renewal-answered', { chargePointIds: answered });
    if (chargePointIds.length === 0) return;
    for (const chargePointId of chargePointIds) this.refused(chargePointId);
    logger.info('lease-renewal-rejected', { chargePointIds, code, reason });
  }

  /**
   * A refused station makes no command fall due for half an interval: one cut off from the Paxos
   * mesh names a stale lease at every ask, and one that lags gets its retry well within its lease.
   */
  private refused(chargePointId: string): void {
    const state = this.collaborators.readState();
    this.refusedUntilMs.set(chargePointId, this.collaborators.nowMs() + this.intervalMs(state) / 2);
  }
}

/**
 * docs/SITE.md, "Leases": a cluster member renews by DataTransfer, naming the expiry its own
 * replica holds (lease.ts R2); a third-party station has no replica, so its Heartbeat renews from
 * the replica of the central it is on. Either way at most one RenewLease per leaseMs / 3 per
 * charge point, from whichever central holds the station (a standby forwards it to the leader).
 */
import type { Logger } from '@evpaxos/runtime';
import type { SiteState } from '@evpaxos/site';
import type { CommandDraft, SubmitOutcome } from './central-service';
import { RENEWALS_PER_LEASE } from './constants';

export interface LeaseRenewalsCollaborators {
  readonly memberIds: readonly string[];
  readonly readState: () => SiteState;
  readonly nowMs: () => number;
  readonly submit: (draft: CommandDraft) => Promise<SubmitOutcome>;
  readonly logger: Logger;
}

export class LeaseRenewals {
  /** Per charge point: when the last RenewLease was submitted (ms), and whether one is in flight. */
  private readonly renewals = new Map<string, { lastAtMs: number; inFlight: boolean }>();
  private readonly members: ReadonlySet<string>;

  constructor(private readonly collaborators: LeaseRenewalsCollaborators) {
    this.members = new Set(collaborators.memberIds);
  }

  isClusterMember(chargePointId: string): boolean {
    return this.members.has(chargePointId);
  }

  maybeRenew(chargePointId: string, heldLeaseExpiresAtMs: number | null): void {
    const { readState, nowMs, submit, logger } = this.collaborators;
    const state = readState();
    if (state.chargePoints[chargePointId] === undefined) return;
    const now = nowMs();
    const renewal = this.renewals.get(chargePointId) ?? { lastAtMs: -Infinity, inFlight: false };
    this.renewals.set(chargePointId, renewal);
    if (renewal.inFlight || now - renewal.lastAtMs < state.config.leaseMs / RENEWALS_PER_LEASE) {
      return;
    }
    renewal.inFlight = true;
    renewal.lastAtMs = now;
    void submit({ type: 'RenewLease', chargePointId, heldLeaseExpiresAtMs }).then((outcome) => {
      renewal.inFlight = false;
      if (!outcome.ok) {
        renewal.lastAtMs = -Infinity;
      } else if (!outcome.result.ok) {
        // A renewal raced another one: retry with the expiry now in the replica.
        renewal.lastAtMs = -Infinity;
        logger.info('lease-renewal-rejected', { chargePointId, reason: outcome.result.reason });
      }
    });
  }
}

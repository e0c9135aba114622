/**
 * The station's side of lease renewal (docs/SITE.md, "Leases"): it asks its central to renew,
 * naming the expiry its own replica holds (lease.ts R2). A station cut off from the Paxos mesh
 * names a stale lease, its renewal is refused, and the others count it at fail-safe power — even
 * when its OCPP link to the leader still works.
 */
import type { Logger, RunningNode } from '@evpaxos/runtime';
import type { SiteStateMachine } from '@evpaxos/site';
import type { CsmsLink } from './csms-link';

/** A station asks this many times per lease (one lost ask is then harmless). */
const LEASE_ASKS_PER_LEASE = 4;
/** …but not more often than this, ms. */
const LEASE_ASK_INTERVAL_MS_MIN = 200;

/**
 * Asks every leaseMs / 4, and at once when this replica learns a new lease of ours: the leader
 * renews every station in one command per leaseMs / 3 with the expiry each last named, so a valid
 * name is waiting for the next command however late the periodic ask would come. One ask at a
 * time, the expiry read when it goes: an ask queued behind slow calls on the OCPP link (a
 * TransactionEvent waits for agreement) would name a lease already replaced. Returns the stop.
 */
export function startLeaseAsks(
  chargePointId: string,
  collaborators: {
    readonly node: RunningNode['node'];
    readonly replica: SiteStateMachine;
    readonly csms: CsmsLink;
    readonly logger: Logger;
  },
): () => void {
  const { node, replica, csms, logger } = collaborators;
  const heldLease = () => replica.state.chargePoints[chargePointId]?.lease?.expiresAtMs ?? null;
  let asking = false;
  let askAgain = false;
  const ask = (): void => {
    if (asking) {
      askAgain = true;
      return;
    }
    asking = true;
    void (csms.renewLease?.(heldLease()) ?? Promise.resolve())
      .catch((error: unknown) =>
        logger.debug('lease-renewal-failed', { chargePointId, error: String(error) }),
      )
      .finally(() => {
        asking = false;
        if (askAgain) {
          askAgain = false;
          ask();
        }
      });
  };
  const askEveryMs = Math.max(
    LEASE_ASK_INTERVAL_MS_MIN,
    Math.floor(replica.state.config.leaseMs / LEASE_ASKS_PER_LEASE),
  );
  const timer = setInterval(ask, askEveryMs);
  let askedFor = heldLease();
  const unsubscribe = node.onApplied(() => {
    const held = heldLease();
    if (held === askedFor) return;
    askedFor = held;
    ask();
  });
  return () => {
    clearInterval(timer);
    unsubscribe();
  };
}

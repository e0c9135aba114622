/** RenewLease: a charge point renews its lease ("I still hear the leader and a quorum"). */
import type { RenewLease } from '../commands';
import { grantLease, renewedBounds } from '../lease';
import type { SiteState } from '../state';
import type { SiteTransition } from './kit';
import { accept, begin, refuse, unknownChargePoint } from './kit';

/**
 * Grants the lease the lease rules allow (lease.ts, R2 and R3) and starts the charge point's new
 * lease epoch (R5). The answer tells the charge point the expiry to name in its next renewal.
 */
export function handleRenewLease(state: SiteState, command: RenewLease, t: number): SiteTransition {
  const chargePoint = state.chargePoints[command.chargePointId];
  if (chargePoint === undefined) return unknownChargePoint(state, command.chargePointId);
  const lease = grantLease(chargePoint, command, t, state.config.leaseMs);
  if ('code' in lease) return refuse(state, lease);
  const draft = begin(state, t);
  const target = draft.chargePoints[command.chargePointId];
  if (target !== undefined) {
    target.lease = lease;
    target.bounds = renewedBounds(state, chargePoint, lease, t);
  }
  return accept(draft, {
    ok: true,
    type: command.type,
    leaseExpiresAtMs: lease.expiresAtMs,
    leaseConfirmed: lease.confirmed,
  });
}

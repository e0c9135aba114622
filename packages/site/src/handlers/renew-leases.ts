/**
 * RenewLeases: charge points renew their leases ("I still hear the leader and a quorum"), several
 * in one command (docs/SITE.md, "Leases").
 */
import type { RenewLeases } from '../commands';
import { grantLease, renewedBounds } from '../lease';
import type { SiteState } from '../state';
import type { LeaseRenewalResult, SiteTransition } from './kit';
import { accept, begin, reject } from './kit';

/**
 * Grants each renewal the lease the lease rules allow (lease.ts, R2 and R3) and starts that charge
 * point's new lease epoch (R5). Each renewal is judged on the state before the command, exactly as
 * a command of its own would be: a renewal reads and writes only its own charge point, and the
 * shape admits each charge point once (commands.ts), so the order within the command changes
 * nothing. The grants of the new state are then recorded once for all (reducer.ts, R1 and R5), as
 * after any command. Refused renewals change nothing; if none renews, the command is refused and
 * the state stays the very same object. Each answer tells its charge point the expiry to name next.
 */
export function handleRenewLeases(
  state: SiteState,
  command: RenewLeases,
  t: number,
): SiteTransition {
  const results: LeaseRenewalResult[] = [];
  let draft: SiteState | null = null;
  for (const renewal of command.renewals) {
    const { chargePointId } = renewal;
    const chargePoint = state.chargePoints[chargePointId];
    if (chargePoint === undefined) {
      const reason = `charge point ${chargePointId} is not registered`;
      results.push({ chargePointId, ok: false, code: 'unknown-charge-point', reason });
      continue;
    }
    const lease = grantLease(chargePoint, renewal, t, state.config.leaseMs);
    if ('code' in lease) {
      results.push({ chargePointId, ok: false, code: lease.code, reason: lease.reason });
      continue;
    }
    draft ??= begin(state, t);
    const target = draft.chargePoints[chargePointId];
    if (target !== undefined) {
      target.lease = lease;
      target.bounds = renewedBounds(state, chargePoint, lease, t);
    }
    results.push({
      chargePointId,
      ok: true,
      leaseExpiresAtMs: lease.expiresAtMs,
      leaseConfirmed: lease.confirmed,
    });
  }
  if (draft === null) {
    const [first] = results;
    const reason = results.map((result) => (result.ok ? '' : result.reason)).join('; ');
    return reject(state, first !== undefined && !first.ok ? first.code : 'invalid-command', reason);
  }
  return accept(draft, { ok: true, type: command.type, renewals: results });
}

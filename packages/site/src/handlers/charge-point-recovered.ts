/** ChargePointRecovered: a faulted connector (or all of them) works again (StatusNotification). */
import type { ChargePointRecovered } from '../commands';
import type { SiteState } from '../state';
import type { SiteTransition } from './kit';
import { accept, begin, reject, unknownChargePoint } from './kit';

/** Clears the fault of one connector, or of every faulted one; recovering a healthy one is rejected. */
export function handleChargePointRecovered(
  state: SiteState,
  command: ChargePointRecovered,
  t: number,
): SiteTransition {
  const chargePoint = state.chargePoints[command.chargePointId];
  if (chargePoint === undefined) return unknownChargePoint(state, command.chargePointId);
  const recovering =
    command.connectorId === undefined
      ? chargePoint.faultedConnectorIds
      : chargePoint.faultedConnectorIds.filter((id) => id === command.connectorId);
  if (recovering.length === 0) {
    return reject(
      state,
      'not-faulted',
      command.connectorId === undefined
        ? `charge point ${command.chargePointId} has no faulted connector`
        : `connector ${command.chargePointId}/${command.connectorId} is not faulted`,
    );
  }
  const draft = begin(state, t);
  const target = draft.chargePoints[command.chargePointId];
  if (target !== undefined) {
    target.faultedConnectorIds = target.faultedConnectorIds.filter(
      (id) => !recovering.includes(id),
    );
  }
  return accept(draft, { ok: true, type: command.type });
}

/** RecordProfileRefused: a station refused a TxProfile (OCPP 2.0.1 K01; Smart Charging is optional). */
import type { RecordProfileRefused } from '../commands';
import type { SiteState } from '../state';
import type { SiteTransition } from './kit';
import { accept, begin, unknownChargePoint } from './kit';

/**
 * Marks the charge point as one that does not follow profiles: the scheduler then counts each of
 * its sessions at the charge point's maximum power (or gives it nothing, and StartSession refuses
 * it, when that does not fit). Recording it twice changes nothing and is accepted.
 */
export function handleRecordProfileRefused(
  state: SiteState,
  command: RecordProfileRefused,
  t: number,
): SiteTransition {
  if (state.chargePoints[command.chargePointId] === undefined) {
    return unknownChargePoint(state, command.chargePointId);
  }
  const draft = begin(state, t);
  const chargePoint = draft.chargePoints[command.chargePointId];
  if (chargePoint !== undefined) chargePoint.profilesRefused = true;
  return accept(draft, { ok: true, type: command.type });
}

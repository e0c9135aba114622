/**
 * The deterministic reducer: (state, command) → (state, result). It reads no clock and draws no
 * randomness; a rejected command returns the very same state object, so every replica rejects it
 * identically and nothing changes. One handler per command (handlers/), dispatched by an exhaustive
 * switch over the catalogue (commands.ts), as 500lines' cluster has one handler per message.
 */
import type { SiteCommand } from './commands';
import { handleCancelReservation } from './handlers/cancel-reservation';
import { handleChargePointFaulted } from './handlers/charge-point-faulted';
import { handleChargePointRecovered } from './handlers/charge-point-recovered';
import { reject, type SiteTransition } from './handlers/kit';
import { handleNoop } from './handlers/noop';
import { handleRegisterChargePoint } from './handlers/register-charge-point';
import { handleRecordMeterValues } from './handlers/record-meter-values';
import { handleRecordProfileRefused } from './handlers/record-profile-refused';
import { handleRenewLeases } from './handlers/renew-leases';
import { handleReserve } from './handlers/reserve';
import { handleSetSiteLimit } from './handlers/set-site-limit';
import { handleStartSession } from './handlers/start-session';
import { handleStopSession } from './handlers/stop-session';
import { handleUpdateNeeds } from './handlers/update-needs';
import { recordDrawBounds } from './lease';
import { planAllocations } from './scheduler';
import type { SiteState } from './state';

/**
 * Applies one command. `state` is never mutated. Rejections return `state` itself.
 * The command's time is clamped to the replicated clock: a proposer whose clock is behind its
 * predecessor's cannot make time run backwards (leases and reservations depend on it).
 * Every accepted command then records the grants (lease.ts, R1 and R5): the plan is computed at the
 * command's time, and each charge point's epoch bounds take in what it may now draw.
 */
export function applySiteCommand(state: SiteState, command: SiteCommand): SiteTransition {
  const transition = handle(state, command, Math.max(state.clockMs, command.atMs));
  if (!transition.result.ok) return transition;
  const draft = transition.state;
  for (const [transactionId, planned] of planAllocations(draft, draft.clockMs)) {
    const session = draft.sessions[transactionId];
    if (session === undefined) continue;
    session.allocatedW = planned.powerW;
    session.allocationStatus = planned.status;
  }
  const started = command.type === 'StartSession' ? draft.sessions[command.transactionId] : null;
  if (
    started !== null &&
    started !== undefined &&
    started.allocationStatus === 'below-minimum' &&
    draft.chargePoints[started.chargePointId]?.profilesRefused === true
  ) {
    // A station that ignores profiles draws its maximum once started: start it only if that fits
    // (docs/OCPP.md, "Stations that do not do everything").
    return reject(
      state,
      'no-headroom',
      `charge point ${started.chargePointId} follows no charging profile and its maximum power does not fit under the site limit now`,
    );
  }
  recordDrawBounds(draft);
  return transition;
}

/** The command's own handler, at time t (never before the replicated clock). */
function handle(state: SiteState, command: SiteCommand, t: number): SiteTransition {
  switch (command.type) {
    case 'RegisterChargePoint':
      return handleRegisterChargePoint(state, command, t);
    case 'Reserve':
      return handleReserve(state, command, t);
    case 'CancelReservation':
      return handleCancelReservation(state, command, t);
    case 'StartSession':
      return handleStartSession(state, command, t);
    case 'UpdateNeeds':
      return handleUpdateNeeds(state, command, t);
    case 'StopSession':
      return handleStopSession(state, command, t);
    case 'ChargePointFaulted':
      return handleChargePointFaulted(state, command, t);
    case 'ChargePointRecovered':
      return handleChargePointRecovered(state, command, t);
    case 'SetSiteLimit':
      return handleSetSiteLimit(state, command, t);
    case 'RenewLeases':
      return handleRenewLeases(state, command, t);
    case 'RecordMeterValues':
      return handleRecordMeterValues(state, command, t);
    case 'RecordProfileRefused':
      return handleRecordProfileRefused(state, command, t);
    case 'Noop':
      return handleNoop(state, command, t);
  }
}

/** UpdateNeeds: the EV's charging needs (ISO 15118 ChargeParameterDiscovery, OCPP K15). */
import type { UpdateNeeds } from '../commands';
import { DEPARTURE_HORIZON_MS_MAX, ENERGY_REQUESTED_WH_MAX, POWER_W_MAX } from '../constants';
import type { SiteState } from '../state';
import type { Refusal, SiteTransition } from './kit';
import { accept, begin, refuse, reject, unknownTransaction } from './kit';

/** The energy and the power range are within the site's limits, min <= max. */
function needsCheck(command: UpdateNeeds): Refusal | null {
  if (command.energyRequestedWh > ENERGY_REQUESTED_WH_MAX) {
    return {
      code: 'needs-out-of-range',
      reason: `energyRequestedWh ${command.energyRequestedWh} is above ${ENERGY_REQUESTED_WH_MAX}`,
    };
  }
  if (command.maxPowerW > POWER_W_MAX || command.minPowerW > command.maxPowerW) {
    return {
      code: 'needs-out-of-range',
      reason: `power range ${command.minPowerW} … ${command.maxPowerW} W is not within 0 … ${POWER_W_MAX} W with min <= max`,
    };
  }
  return null;
}

/**
 * What needs no state: the needs are in range and the departure is after the command's own time.
 * (How far ahead it may be is judged against the replicated clock, which may be later than atMs.)
 */
export function checkUpdateNeeds(command: UpdateNeeds): Refusal | null {
  const refusal = needsCheck(command);
  if (refusal !== null) return refusal;
  if (command.departureAtMs <= command.atMs) {
    return {
      code: 'departure-out-of-range',
      reason: `departure ${command.departureAtMs} is not after the command's time ${command.atMs}`,
    };
  }
  return null;
}

/** Records the needs of a session in progress, with the time they were stated (for urgency). */
export function handleUpdateNeeds(
  state: SiteState,
  command: UpdateNeeds,
  t: number,
): SiteTransition {
  if (state.sessions[command.transactionId] === undefined) {
    return unknownTransaction(state, command.transactionId);
  }
  const refusal = needsCheck(command);
  if (refusal !== null) return refuse(state, refusal);
  if (command.departureAtMs <= t || command.departureAtMs - t > DEPARTURE_HORIZON_MS_MAX) {
    return reject(
      state,
      'departure-out-of-range',
      `departure ${command.departureAtMs} is not within (${t}, ${t + DEPARTURE_HORIZON_MS_MAX}]`,
    );
  }
  const draft = begin(state, t);
  const target = draft.sessions[command.transactionId];
  if (target !== undefined) {
    target.needs = {
      energyRequestedWh: command.energyRequestedWh,
      minPowerW: command.minPowerW,
      maxPowerW: command.maxPowerW,
      departureAtMs: command.departureAtMs,
      statedAtMs: t,
    };
  }
  return accept(draft, { ok: true, type: command.type });
}

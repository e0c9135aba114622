/**
 * NotifyEVChargingNeedsRequest (OCPP 2.0.1 K15) → the fields of the site's UpdateNeeds command.
 * Pure: no clock (`nowMs` is passed in).
 */
import type { NotifyEVChargingNeedsRequest } from '@evpaxos/ocpp';
import { DEPARTURE_MS_DEFAULT } from './constants';

export interface NeedsFields {
  readonly energyRequestedWh: number;
  readonly minPowerW: number;
  readonly maxPowerW: number;
  readonly departureAtMs: number;
}

/** Phases of an AC transfer mode; DC has none (power is V × A directly). */
const phasesOf: Record<string, number> = {
  AC_single_phase: 1,
  AC_two_phase: 2,
  AC_three_phase: 3,
};

/**
 * AC: W = A × evMaxVoltage × phases (evMaxVoltage is the phase voltage the charge point declares,
 * e.g. 230 V; the charge point converts the same way). DC: evMaxPower, else evMaxCurrent × evMaxVoltage.
 * Without departureTime, DEPARTURE_MS_DEFAULT from now. Returns a reason string if the request
 * carries no usable parameters.
 */
export function needsFromRequest(
  request: NotifyEVChargingNeedsRequest,
  nowMs: number,
): NeedsFields | string {
  const needs = request.chargingNeeds;
  const parsedDeparture =
    needs.departureTime === undefined ? Number.NaN : Date.parse(needs.departureTime);
  const departureAtMs = Number.isFinite(parsedDeparture)
    ? parsedDeparture
    : nowMs + DEPARTURE_MS_DEFAULT;
  const ac = needs.acChargingParameters;
  const dc = needs.dcChargingParameters;
  if (needs.requestedEnergyTransfer !== 'DC' && ac !== undefined) {
    const wattsPerAmpere = ac.evMaxVoltage * (phasesOf[needs.requestedEnergyTransfer] ?? 1);
    return {
      energyRequestedWh: Math.round(ac.energyAmount),
      minPowerW: Math.ceil(ac.evMinCurrent * wattsPerAmpere),
      maxPowerW: Math.max(1, Math.floor(ac.evMaxCurrent * wattsPerAmpere)),
      departureAtMs,
    };
  }
  if (dc !== undefined) {
    return {
      energyRequestedWh: Math.round(dc.energyAmount ?? 0),
      minPowerW: 0,
      maxPowerW: Math.max(1, Math.floor(dc.evMaxPower ?? dc.evMaxCurrent * dc.evMaxVoltage)),
      departureAtMs,
    };
  }
  return `no ${needs.requestedEnergyTransfer === 'DC' ? 'dcChargingParameters' : 'acChargingParameters'} for ${needs.requestedEnergyTransfer}`;
}

/** RegisterChargePoint: a charge point joins the site (after its BootNotification, OCPP B01). */
import type { RegisterChargePoint } from '../commands';
import { CONNECTORS_PER_CHARGE_POINT_MAX, POWER_W_MAX } from '../constants';
import type { SiteState } from '../state';
import type { Refusal, SiteTransition } from './kit';
import { accept, begin, refuse, reject } from './kit';

/** What needs no state: the connector count and the power are within the site's limits. */
export function checkRegisterChargePoint(command: RegisterChargePoint): Refusal | null {
  if (command.connectorCount > CONNECTORS_PER_CHARGE_POINT_MAX) {
    return {
      code: 'connector-count-out-of-range',
      reason: `connectorCount ${command.connectorCount} is above ${CONNECTORS_PER_CHARGE_POINT_MAX}`,
    };
  }
  if (command.maxPowerW > POWER_W_MAX) {
    return {
      code: 'power-out-of-range',
      reason: `maxPowerW ${command.maxPowerW} is above ${POWER_W_MAX}`,
    };
  }
  return null;
}

/**
 * Adds the charge point with no lease and no faults. Until one lease after it registered it may
 * not draw fail-safe power (lease.ts, R4), so that is where its failSafeFromMs starts (R5).
 */
export function handleRegisterChargePoint(
  state: SiteState,
  command: RegisterChargePoint,
  t: number,
): SiteTransition {
  const config = state.config;
  if (state.chargePoints[command.chargePointId] !== undefined) {
    return reject(
      state,
      'charge-point-exists',
      `charge point ${command.chargePointId} is already registered`,
    );
  }
  if (Object.keys(state.chargePoints).length >= config.chargePointsMax) {
    return reject(
      state,
      'charge-points-full',
      `the site is built for ${config.chargePointsMax} charge points`,
    );
  }
  const refusal = checkRegisterChargePoint(command);
  if (refusal !== null) return refuse(state, refusal);
  const draft = begin(state, t);
  draft.chargePoints[command.chargePointId] = {
    chargePointId: command.chargePointId,
    connectorCount: command.connectorCount,
    maxPowerW: command.maxPowerW,
    faultedConnectorIds: [],
    lease: null,
    registeredAtMs: t,
    bounds: {
      drawW: 0,
      holdW: 0,
      previousDrawW: 0,
      previousHoldW: 0,
      failSafeFromMs: t + config.leaseMs,
    },
  };
  return accept(draft, { ok: true, type: command.type });
}

import { expect } from 'chai';
import { createSiteState } from '../../src';
import type { RegisterChargePoint } from '../../src';
import {
  checkRegisterChargePoint,
  handleRegisterChargePoint,
} from '../../src/handlers/register-charge-point';
import { T0, register, run } from '../helpers';

const command = (overrides: Partial<RegisterChargePoint> = {}): RegisterChargePoint => ({
  type: 'RegisterChargePoint',
  atMs: T0,
  chargePointId: 'cp1',
  connectorCount: 2,
  maxPowerW: 22_000,
  ...overrides,
});

describe('handlers: RegisterChargePoint', () => {
  it('adds the charge point with no lease, no faults, and fail-safe power one lease away (R4, R5)', () => {
    const state = createSiteState({ leaseMs: 30_000 });
    const { state: next, result } = handleRegisterChargePoint(state, command(), T0 + 5);
    expect(result).to.deep.equal({ ok: true, type: 'RegisterChargePoint' });
    expect(next.clockMs).to.equal(T0 + 5);
    expect(next.chargePoints['cp1']).to.deep.include({
      lease: null,
      faultedConnectorIds: [],
      registeredAtMs: T0 + 5,
    });
    expect(next.chargePoints['cp1']?.bounds.failSafeFromMs).to.equal(T0 + 5 + 30_000);
  });

  it('refuses an id already registered before judging the command itself', () => {
    const state = run(createSiteState(), [register('cp1')]);
    const { state: next, result } = handleRegisterChargePoint(
      state,
      command({ connectorCount: 99 }),
      T0,
    );
    expect(result).to.include({ ok: false, code: 'charge-point-exists' });
    expect(next).to.equal(state);
  });

  it('refuses a charge point beyond chargePointsMax', () => {
    const state = run(createSiteState({ chargePointsMax: 1 }), [register('cp0')]);
    const { result } = handleRegisterChargePoint(state, command(), T0);
    expect(result).to.include({ ok: false, code: 'charge-points-full' });
  });

  it('needs no state to refuse too many connectors or too much power', () => {
    expect(checkRegisterChargePoint(command({ connectorCount: 9 }))).to.include({
      code: 'connector-count-out-of-range',
    });
    expect(checkRegisterChargePoint(command({ maxPowerW: 400_001 }))).to.include({
      code: 'power-out-of-range',
    });
    expect(checkRegisterChargePoint(command())).to.equal(null);
  });
});

// Seeded property tests over random command histories (fast-check prints the failing seed and the
// shrunk history). Checkers are named after the guarantees (docs/DESIGN.md properties 5 and 6).
import { expect } from 'chai';
import fc from 'fast-check';
import type { LeaseState, PowerLimit, SiteCommand, SiteState } from '../src';
import { applySiteCommand, computeSchedule, createSiteState, powerLimitAt } from '../src';
import { T0 } from './helpers';

const CHARGE_POINTS = ['cp1', 'cp2', 'cp3', 'cp4'];
const LEASE_MS = 30_000;

/** One random step; turned into a command against the current state so most are meaningful. */
const stepArbitrary = fc.record({
  kind: fc.constantFrom(
    'register',
    'renew',
    'renew',
    'renew',
    'renew',
    'renew',
    'renewStale',
    'renewBatch',
    'renewBatch',
    'reserve',
    'cancel',
    'start',
    'start',
    'needs',
    'needs',
    'stop',
    'fault',
    'recover',
    'limit',
    'noop',
  ),
  chargePoint: fc.nat({ max: CHARGE_POINTS.length - 1 }),
  connector: fc.integer({ min: 1, max: 2 }),
  transaction: fc.nat({ max: 5 }),
  token: fc.nat({ max: 2 }),
  /** renewBatch: which charge points the one RenewLeases renews (bit i: CHARGE_POINTS[i]). */
  batch: fc.nat({ max: (1 << CHARGE_POINTS.length) - 1 }),
  elapsedMs: fc.integer({ min: -2_000, max: 25_000 }),
  energyWh: fc.integer({ min: 0, max: 80_000 }),
  minPowerW: fc.integer({ min: 0, max: 12_000 }),
  maxPowerW: fc.integer({ min: 1, max: 60_000 }),
  horizonMs: fc.integer({ min: -60_000, max: 4 * 3_600_000 }),
  siteLimitW: fc.integer({ min: 5_000, max: 80_000 }),
  maxChargePointW: fc.constantFrom(7_400, 11_000, 22_000, 50_000),
});
type Step = typeof stepArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** An expiry the charge point does not hold: what a renewal that raced another one names. */
function stale(held: number | null): number {
  return held === null ? 1 : held - 1;
}

/**
 * The charge points of `step.batch` (at least `chargePointId`) in one RenewLeases, each naming the
 * lease it holds, except `chargePointId` on token 0: it names a stale one.
 */
function batchRenewals(state: SiteState, step: Step, chargePointId: string) {
  const ids = CHARGE_POINTS.filter(
    (id, i) => id === chargePointId || ((step.batch >> i) & 1) === 1,
  );
  return ids.map((id) => {
    const held = state.chargePoints[id]?.lease?.expiresAtMs ?? null;
    return {
      chargePointId: id,
      heldLeaseExpiresAtMs: id === chargePointId && step.token === 0 ? stale(held) : held,
    };
  });
}

function toCommand(state: SiteState, step: Step): SiteCommand {
  const atMs = Math.max(0, state.clockMs + step.elapsedMs);
  const chargePointId = CHARGE_POINTS[step.chargePoint] ?? 'cp1';
  const transactionId = `tx${step.transaction}`;
  const held = state.chargePoints[chargePointId]?.lease?.expiresAtMs ?? null;
  switch (step.kind) {
    case 'register':
      return {
        type: 'RegisterChargePoint',
        atMs,
        chargePointId,
        connectorCount: 2,
        maxPowerW: step.maxChargePointW,
      };
    case 'renew':
      return {
        type: 'RenewLeases',
        atMs,
        renewals: [{ chargePointId, heldLeaseExpiresAtMs: held }],
      };
    case 'renewStale':
      return {
        type: 'RenewLeases',
        atMs,
        renewals: [{ chargePointId, heldLeaseExpiresAtMs: stale(held) }],
      };
    case 'renewBatch':
      return { type: 'RenewLeases', atMs, renewals: batchRenewals(state, step, chargePointId) };
    case 'reserve':
      return {
        type: 'Reserve',
        atMs,
        reservationId: step.transaction,
        chargePointId,
        connectorId: step.connector,
        idToken: `T${step.token}`,
        expiresAtMs: atMs + step.horizonMs,
      };
    case 'cancel':
      return { type: 'CancelReservation', atMs, reservationId: step.transaction };
    case 'start':
      return {
        type: 'StartSession',
        atMs,
        transactionId,
        chargePointId,
        connectorId: step.connector,
        idToken: `T${step.token}`,
      };
    case 'needs':
      return {
        type: 'UpdateNeeds',
        atMs,
        transactionId,
        energyRequestedWh: step.energyWh,
        minPowerW: step.minPowerW,
        maxPowerW: step.maxPowerW,
        departureAtMs: atMs + step.horizonMs,
      };
    case 'stop':
      return { type: 'StopSession', atMs, transactionId };
    case 'fault':
      return step.connector === 1
        ? { type: 'ChargePointFaulted', atMs, chargePointId }
        : { type: 'ChargePointFaulted', atMs, chargePointId, connectorId: step.connector };
    case 'recover':
      return { type: 'ChargePointRecovered', atMs, chargePointId };
    case 'limit':
      return { type: 'SetSiteLimit', atMs, siteLimitW: step.siteLimitW };
    default:
      return { type: 'Noop', atMs };
  }
}

/** Property 5: one session per connector, and never a live reservation beside a session. */
function checkNoDoubleBooking(state: SiteState): void {
  const occupied = new Set<string>();
  for (const session of Object.values(state.sessions)) {
    const key = `${session.chargePointId}/${session.connectorId}`;
    expect(occupied.has(key), `two sessions on ${key}`).to.equal(false);
    occupied.add(key);
    const chargePoint = state.chargePoints[session.chargePointId];
    expect(chargePoint?.faultedConnectorIds ?? [], `session on faulted ${key}`).to.not.include(
      session.connectorId,
    );
  }
  const reserved = new Set<string>();
  for (const reservation of Object.values(state.reservations)) {
    if (reservation.expiresAtMs <= state.clockMs) continue;
    const key = `${reservation.chargePointId}/${reservation.connectorId}`;
    expect(reserved.has(key), `two reservations on ${key}`).to.equal(false);
    expect(occupied.has(key), `reservation beside a session on ${key}`).to.equal(false);
    reserved.add(key);
  }
}

/** Property 6 on the accounting, and every EV's and charge point's bounds. */
function checkSchedule(state: SiteState, atMs: number, limitW: number): void {
  const schedule = computeSchedule(state, atMs);
  expect(schedule.reservedW, `counted power at ${atMs}`).to.be.at.most(limitW);
  const perChargePoint = new Map<string, number>();
  for (const allocation of schedule.allocations) {
    expect(allocation.powerW).to.be.at.least(0);
    expect(Number.isInteger(allocation.powerW)).to.equal(true);
    expect(allocation.powerW).to.be.at.most(allocation.maxPowerW);
    if (allocation.status === 'scheduled')
      expect(allocation.powerW).to.be.at.least(allocation.minPowerW);
    else expect(allocation.powerW).to.equal(0);
    perChargePoint.set(
      allocation.chargePointId,
      (perChargePoint.get(allocation.chargePointId) ?? 0) + allocation.powerW,
    );
  }
  for (const [chargePointId, powerW] of perChargePoint) {
    expect(powerW).to.be.at.most(state.chargePoints[chargePointId]?.maxPowerW ?? 0);
  }
}

/**
 * Property 6 as drawn: every charge point applies powerLimitAt on its own replica. `missed` is a
 * charge point that never learned the result of its latest renewal: its replica holds its previous
 * lease (lease.ts, rule R2 allows no more than that).
 */
type LimitFunction = (
  state: SiteState,
  chargePointId: string,
  nowMs: number,
) => Pick<PowerLimit, 'powerW'>;

function checkDrawn(
  state: SiteState,
  atMs: number,
  limitW: number,
  missed?: { chargePointId: string; lease: LeaseState | null },
  limitAt: LimitFunction = powerLimitAt,
): void {
  let drawnW = 0;
  for (const chargePointId of Object.keys(state.chargePoints)) {
    let replica = state;
    if (missed?.chargePointId === chargePointId) {
      replica = structuredClone(state);
      const chargePoint = replica.chargePoints[chargePointId];
      if (chargePoint !== undefined) chargePoint.lease = missed.lease;
    }
    drawnW += limitAt(replica, chargePointId, atMs).powerW;
  }
  expect(drawnW, `drawn at ${atMs} (missed: ${missed?.chargePointId ?? 'none'})`).to.be.at.most(
    limitW,
  );
}

function siteLimitProperty(limitAt: LimitFunction = powerLimitAt) {
  return fc.property(
    fc.array(fc.constantFrom(7_400, 11_000, 22_000, 50_000), {
      minLength: 1,
      maxLength: CHARGE_POINTS.length,
    }),
    fc.array(stepArbitrary, { minLength: 20, maxLength: 80 }),
    fc.nat({ max: 3 * LEASE_MS }),
    (chargePointPowersW, steps, probeMs) => {
      let state = createSiteState({ chargePointsMax: CHARGE_POINTS.length, leaseMs: LEASE_MS });
      // Some charge points registered up front, so most random steps have something to act on.
      chargePointPowersW.forEach((maxPowerW, i) => {
        const chargePointId = CHARGE_POINTS[i] ?? 'cp1';
        state = applySiteCommand(state, {
          type: 'RegisterChargePoint',
          atMs: T0,
          chargePointId,
          connectorCount: 2,
          maxPowerW,
        }).state;
      });
      const previousLease = new Map<string, LeaseState | null>();
      // A lowered limit binds drawn power 2 leases + 2 skews after it is decided; the counted
      // reserve may fold epochs conservatively and lag one lease more (lease.ts, A3).
      const lowered: { limitW: number; atMs: number }[] = [];
      for (const step of steps) {
        const command = toCommand(state, step);
        const before = state;
        const next = applySiteCommand(state, command);
        if (!next.result.ok) {
          expect(next.state, `${command.type} rejected but changed the state`).to.equal(before);
          continue;
        }
        if (command.type === 'SetSiteLimit' && command.siteLimitW < before.siteLimitW) {
          lowered.push({ limitW: before.siteLimitW, atMs: next.state.clockMs });
        }
        // Every renewal that renewed: its charge point's replica may still hold the lease before.
        for (const renewal of next.result.renewals ?? []) {
          if (!renewal.ok) continue;
          previousLease.set(
            renewal.chargePointId,
            before.chargePoints[renewal.chargePointId]?.lease ?? null,
          );
        }
        state = next.state;
        checkNoDoubleBooking(state);
        for (const atMs of [
          state.clockMs,
          state.clockMs + probeMs,
          state.clockMs + LEASE_MS + 1_000,
        ]) {
          const limitWithin = (windowMs: number): number =>
            lowered.reduce(
              (max, entry) => (atMs < entry.atMs + windowMs ? Math.max(max, entry.limitW) : max),
              state.siteLimitW,
            );
          const skewMs = state.config.clockSkewMsMax;
          const limitW = limitWithin(2 * LEASE_MS + 2 * skewMs);
          checkSchedule(state, atMs, limitWithin(3 * LEASE_MS + 2 * skewMs));
          checkDrawn(state, atMs, limitW, undefined, limitAt);
          for (const [chargePointId, lease] of previousLease) {
            checkDrawn(state, atMs, limitW, { chargePointId, lease }, limitAt);
          }
        }
      }
    },
  );
}

describe('site properties over random histories', () => {
  it('never exceeds the site limit and never double-books a connector (leases, expiry, fail-safe)', () => {
    fc.assert(siteLimitProperty(), { numRuns: 150 });
  });

  it('is deterministic: the same history gives the same states and results', () => {
    fc.assert(
      fc.property(fc.array(stepArbitrary, { maxLength: 40 }), (steps) => {
        const replay = (): string => {
          let state = createSiteState();
          const results: unknown[] = [];
          for (const step of steps) {
            const next = applySiteCommand(state, toCommand(state, step));
            results.push(next.result);
            state = next.state;
          }
          return JSON.stringify({ state, results });
        };
        expect(replay()).to.equal(replay());
      }),
      { numRuns: 50 },
    );
  });
});

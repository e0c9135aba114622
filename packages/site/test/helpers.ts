// Builders shared by the site tests: commands with readable defaults and a way to apply many.
import type { SiteCommand, SiteResult, SiteState } from '../src';
import { applySiteCommand, createSiteState } from '../src';

export const MINUTE_MS = 60_000;
export const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);

export function register(chargePointId: string, atMs = T0, maxPowerW = 22_000): SiteCommand {
  return { type: 'RegisterChargePoint', atMs, chargePointId, connectorCount: 2, maxPowerW };
}

/** A RenewLeases of one charge point, naming the lease it holds in `state`. */
export function renew(
  state: SiteState,
  chargePointId: string,
  atMs: number,
): Extract<SiteCommand, { type: 'RenewLeases' }> {
  return renewOne(
    atMs,
    chargePointId,
    state.chargePoints[chargePointId]?.lease?.expiresAtMs ?? null,
  );
}

/** A RenewLeases of one charge point naming `heldLeaseExpiresAtMs`. */
export function renewOne(
  atMs: number,
  chargePointId: string,
  heldLeaseExpiresAtMs: number | null,
): Extract<SiteCommand, { type: 'RenewLeases' }> {
  return { type: 'RenewLeases', atMs, renewals: [{ chargePointId, heldLeaseExpiresAtMs }] };
}

export function start(
  transactionId: string,
  chargePointId: string,
  connectorId = 1,
  atMs = T0,
  idToken = 'TOKEN-' + transactionId,
): SiteCommand {
  return { type: 'StartSession', atMs, transactionId, chargePointId, connectorId, idToken };
}

export function reserve(
  reservationId: number,
  chargePointId: string,
  connectorId: number,
  idToken: string,
  expiresAtMs: number,
  atMs = T0,
): Extract<SiteCommand, { type: 'Reserve' }> {
  return { type: 'Reserve', atMs, reservationId, chargePointId, connectorId, idToken, expiresAtMs };
}

export function needs(
  transactionId: string,
  atMs: number,
  energyRequestedWh: number,
  minPowerW: number,
  maxPowerW: number,
  departureAtMs: number,
): SiteCommand {
  return {
    type: 'UpdateNeeds',
    atMs,
    transactionId,
    energyRequestedWh,
    minPowerW,
    maxPowerW,
    departureAtMs,
  };
}

/** Applies commands in order; fails the test if one is rejected. */
export function run(state: SiteState, commands: readonly SiteCommand[]): SiteState {
  let current = state;
  for (const command of commands) {
    const next = applySiteCommand(current, command);
    if (!next.result.ok) {
      throw new Error(`${command.type} rejected: ${next.result.code}: ${next.result.reason}`);
    }
    current = next.state;
  }
  return current;
}

/** Applies one command and returns its result with the new state. */
export function step(state: SiteState, command: SiteCommand): [SiteState, SiteResult] {
  const next = applySiteCommand(state, command);
  return [next.state, next.result];
}

/**
 * Registers chargePointIds and gives each a confirmed lease at T0: a renewal at T0 (unconfirmed),
 * one at T0 + 1 (confirmed), and a second at T0 + 1 that leaves the lease ending at T0 + 1 + leaseMs
 * but closes the probation epoch, in which the charge point may still have been at fail-safe power
 * (lease.ts, R5). So the whole budget is free for grants from T0 + 1.
 */
export function siteWithLeases(
  chargePointIds: readonly string[],
  options: Parameters<typeof createSiteState>[0] = {},
  maxPowerW = 22_000,
): SiteState {
  let state = createSiteState(options);
  for (const id of chargePointIds) state = run(state, [register(id, T0, maxPowerW)]);
  for (const id of chargePointIds) state = run(state, [renew(state, id, T0)]);
  for (const id of chargePointIds) state = run(state, [renew(state, id, T0 + 1)]);
  for (const id of chargePointIds) state = run(state, [renew(state, id, T0 + 1)]);
  return state;
}

/**
 * Two rounds of renewals, at atMs and atMs + 10 s: after them no charge point's replica can still
 * be in an epoch from before atMs, so every lowered grant has freed its budget (lease.ts, R5) and the
 * grants reach their targets. Returns the state and the time of the last round.
 */
export function settle(
  state: SiteState,
  chargePointIds: readonly string[],
  atMs: number,
): [SiteState, number] {
  let current = state;
  for (const roundMs of [atMs, atMs + 10_000]) {
    for (const id of chargePointIds) current = run(current, [renew(current, id, roundMs)]);
  }
  return [current, atMs + 10_000];
}

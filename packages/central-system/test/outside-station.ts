/* eslint-disable @typescript-eslint/no-explicit-any -- the third-party station hands back untyped JSON, asserted field by field by the tests. */
import * as ocppRpc from 'ocpp-rpc';
import type { ProcessCluster } from './process-cluster';

/**
 * What the central-system tests with outside stations share: the third-party station (plain
 * ocpp-rpc, not our wrapper, so a bug shared with our code is not masked), the stations'
 * passwords, and a leader that stays.
 */

export interface RawStation {
  connect(): Promise<unknown>;
  call(method: string, params: unknown): Promise<any>;
  handle(method: string, handler: (context: { params: any }) => unknown): void;
  on(event: string, listener: (event: any) => void): void;
  close(options?: { force?: boolean }): Promise<unknown>;
}

/**
 * Outside stations' passwords (Security Profile 1, the default; docs/OCPP.md): each test's cluster
 * lists them all, and each test's stations use the identities it needs.
 */
export const stationPasswords: Readonly<Record<string, string>> = {
  'cs-ext': 'cs-ext-password-0123456789',
  'cs-res': 'cs-res-password-0123456789',
  'cs-bad': 'cs-bad-password-0123456789',
  'cs-sb': 'cs-sb-password-0123456789',
  'cs-flood': 'cs-flood-password-01234567',
  'cs-dup': 'cs-dup-password-0123456789',
};

/** A station for `identity` at a central's OCPP-J URL, with its listed password; not connected yet. */
export function rawStation(url: string, identity: string, strictMode = true): RawStation {
  const RpcClient = ocppRpc.RPCClient as unknown as new (options: object) => RawStation;
  return new RpcClient({
    endpoint: url,
    identity,
    password: stationPasswords[identity],
    protocols: ['ocpp2.0.1'],
    strictMode,
    reconnect: false,
  });
}

/**
 * NotifyEVChargingNeeds for EVSE 1 (K15): 20 kWh, AC three-phase at 6–16 A and 230 V, leaving in an
 * hour; `extra` adds fields of the request (maxScheduleTuples).
 */
export function acChargingNeeds(extra: Record<string, unknown> = {}) {
  return {
    evseId: 1,
    ...extra,
    chargingNeeds: {
      requestedEnergyTransfer: 'AC_three_phase',
      departureTime: new Date(Date.now() + 3_600_000).toISOString(),
      acChargingParameters: {
        energyAmount: 20_000,
        evMinCurrent: 6,
        evMaxCurrent: 16,
        evMaxVoltage: 230,
      },
    },
  };
}

/** The leader once two answers in a row name it: two centrals can both win round 1 for a moment. */
export async function stableLeader(cluster: ProcessCluster): Promise<string> {
  for (let leader = await cluster.waitForLeader(); ;) {
    const again = await cluster.waitForLeader();
    if (again === leader) return leader;
    leader = again;
  }
}

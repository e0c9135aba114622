/**
 * How a standby hands its stations' lease renewal asks to the leader (docs/SITE.md, "Leases"), so
 * the leader renews the whole site in one RenewLeases per interval: `POST /lease-renewals/asks`
 * `{asks: [{chargePointId, heldLeaseExpiresAtMs} | {chargePointId, fromReplica: true}]}` on the
 * leader's HTTP API, with the cluster's API token like every state-changing route (docs/CLUSTER.md,
 * "Authentication"). Answers: 200 `{taken: n}`; 421 `not-leader` (the standby submits them
 * itself); 400 `invalid-request` naming the bad field.
 */
import {
  apiToken,
  httpJson,
  type ClusterNode,
  type ExtraRouteResponse,
  type ExtraRoutes,
  type Logger,
} from '@evpaxos/runtime';
import { ID_LENGTH_MAX, RENEWALS_PER_COMMAND_MAX } from '@evpaxos/site';
import { FORWARD_ATTEMPT_MS } from './constants';
import type { ForwardedAsk, LeaseRenewals } from './lease-renewals';

export const LEASE_ASKS_PATH = '/lease-renewals/asks';

/** The route the leader serves (every central serves it; only the leader takes asks). */
export function leaseAsksRoutes(renewals: LeaseRenewals): ExtraRoutes {
  return async (request) => {
    if (request.path !== LEASE_ASKS_PATH) return undefined;
    if (request.method !== 'POST') {
      return invalid(405, 'method-not-allowed', `POST ${LEASE_ASKS_PATH}.`);
    }
    const asks = readAsks(await request.readJson());
    if (typeof asks === 'string') return invalid(400, 'invalid-request', asks);
    if (!renewals.receive(asks)) {
      return invalid(421, 'not-leader', 'This central does not lead: submit the renewals.');
    }
    return { status: 200, body: { taken: asks.length } };
  };
}

function invalid(status: number, error: string, reason: string): ExtraRouteResponse {
  return { status, body: { error, reason } };
}

/** The asks of a request body, or why it is not one. */
function readAsks(body: unknown): ForwardedAsk[] | string {
  const asks = (body as { asks?: unknown } | null)?.asks;
  if (!Array.isArray(asks) || asks.length === 0 || asks.length > RENEWALS_PER_COMMAND_MAX) {
    return `asks must be an array of 1 to ${RENEWALS_PER_COMMAND_MAX} asks`;
  }
  const read: ForwardedAsk[] = [];
  for (const [i, ask] of asks.entries()) {
    const { chargePointId, heldLeaseExpiresAtMs, fromReplica } = (ask ?? {}) as Record<
      string,
      unknown
    >;
    if (
      typeof chargePointId !== 'string' ||
      chargePointId.length === 0 ||
      chargePointId.length > ID_LENGTH_MAX
    ) {
      return `asks[${i}].chargePointId must be a string of 1 to ${ID_LENGTH_MAX} characters`;
    }
    if (fromReplica === true) {
      read.push({ chargePointId, fromReplica: true });
    } else if (
      heldLeaseExpiresAtMs === null ||
      (typeof heldLeaseExpiresAtMs === 'number' &&
        Number.isSafeInteger(heldLeaseExpiresAtMs) &&
        heldLeaseExpiresAtMs >= 0)
    ) {
      read.push({ chargePointId, heldLeaseExpiresAtMs });
    } else {
      return `asks[${i}].heldLeaseExpiresAtMs must be a time in ms or null`;
    }
  }
  return read;
}

/** A standby's forward: true once the leader took the asks; false if none did (or none is known). */
export function leaseAsksForwarder(
  node: ClusterNode,
  logger: Logger,
): (asks: readonly ForwardedAsk[]) => Promise<boolean> {
  const token = apiToken(node.config.secret, node.config.clusterId);
  return async (asks) => {
    const leaderUrl = node.isLeader ? null : node.urlOf(node.leaderId);
    if (leaderUrl === null) return false;
    try {
      const reply = await httpJson(
        `${leaderUrl}${LEASE_ASKS_PATH}`,
        'POST',
        { asks },
        FORWARD_ATTEMPT_MS,
        token,
      );
      return reply.status === 200;
    } catch (error) {
      logger.debug('lease-asks-forward-failed', { leaderUrl, reason: (error as Error).message });
      return false;
    }
  };
}

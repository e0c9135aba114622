/**
 * CSMS-initiated calls go out through whichever central holds the station's connection
 * (docs/OCPP.md, "Failover"): every central serves stations, so the one that wants to call a
 * station (the leader pushing a profile, the API answering POST /reservations) may not hold it.
 * `callStation` calls locally when it can, else relays the call to the other centrals'
 * `POST /ocpp/relay` and takes the answer of the one that holds the connection (the others say
 * 404). Like every state-changing route it needs the cluster's API token (docs/CLUSTER.md,
 * "Authentication"), which every central derives from the secret.
 */
import {
  OcppError,
  type CsmsAction,
  type CsmsServer,
  type CsmsToChargingStation,
} from '@evpaxos/ocpp';
import {
  apiToken,
  httpJson,
  type ClusterNode,
  type ExtraRoutes,
  type Logger,
} from '@evpaxos/runtime';
import { CSMS_CALL_TIMEOUT_MS, RELAY_CALL_MARGIN_MS } from './constants';

const relayPath = '/ocpp/relay';

interface RelayBody {
  readonly chargePointId: string;
  readonly action: CsmsAction;
  readonly request: unknown;
}

interface RelayAnswer {
  readonly response?: unknown;
  readonly error?: string;
  readonly rpcErrorCode?: string;
  readonly reason?: string;
}

export class StationCalls {
  private readonly token: string;

  constructor(
    private readonly server: CsmsServer,
    private readonly node: ClusterNode,
    private readonly logger: Logger,
  ) {
    this.token = apiToken(node.config.secret, node.config.clusterId);
  }

  /** A typed call to a station connected to any central. Rejects with an OcppError. */
  async call<Action extends CsmsAction>(
    chargePointId: string,
    action: Action,
    request: CsmsToChargingStation[Action][0],
  ): Promise<CsmsToChargingStation[Action][1]> {
    if (this.server.isConnected(chargePointId)) {
      return this.server.call(chargePointId, action, request);
    }
    const others = this.node.config.nodes.filter(
      (member) => member.role === 'central' && member.id !== this.node.config.id,
    );
    const answers = await Promise.all(
      others.map((member) =>
        this.relay(`http://${member.host}:${member.httpPort}`, chargePointId, action, request),
      ),
    );
    const held = answers.find((answer) => answer !== null);
    if (held === undefined || held === null) {
      throw new OcppError(
        'OCPP_NOT_CONNECTED',
        `${action}: ${chargePointId} is not connected to any central`,
      );
    }
    if (held.error !== undefined) {
      throw new OcppError(
        held.error as OcppError['code'],
        held.reason ?? `${action}: relayed call failed`,
        held.rpcErrorCode,
      );
    }
    return held.response as CsmsToChargingStation[Action][1];
  }

  /** The relay route every central serves. */
  routes(): ExtraRoutes {
    return async (request) => {
      if (request.path !== relayPath) return undefined;
      if (request.method !== 'POST') {
        return { status: 405, body: { error: 'method-not-allowed', reason: `POST ${relayPath}.` } };
      }
      const body = (await request.readJson()) as Partial<RelayBody> | null;
      if (typeof body?.chargePointId !== 'string' || typeof body.action !== 'string') {
        return {
          status: 400,
          body: { error: 'invalid-request', reason: 'chargePointId and action required' },
        };
      }
      if (!this.server.isConnected(body.chargePointId)) {
        return { status: 404, body: { error: 'not-connected' } };
      }
      try {
        const response = await this.server.call(
          body.chargePointId,
          body.action,
          body.request as never,
        );
        return { status: 200, body: { response } };
      } catch (error) {
        const failure =
          error instanceof OcppError ? error : new OcppError('OCPP_CLOSED', String(error));
        return {
          status: 200,
          body: {
            error: failure.code,
            rpcErrorCode: failure.rpcErrorCode,
            reason: failure.message,
          },
        };
      }
    };
  }

  /** The holder's answer, or null when that central does not hold the station (or is down). */
  private async relay(
    baseUrl: string,
    chargePointId: string,
    action: CsmsAction,
    request: unknown,
  ): Promise<RelayAnswer | null> {
    const body: RelayBody = { chargePointId, action, request };
    try {
      const reply = await httpJson(
        `${baseUrl}${relayPath}`,
        'POST',
        body,
        CSMS_CALL_TIMEOUT_MS + RELAY_CALL_MARGIN_MS,
        this.token,
      );
      return reply.status === 200 ? (reply.body as RelayAnswer) : null;
    } catch (error) {
      this.logger.debug('relay-failed', {
        baseUrl,
        chargePointId,
        action,
        reason: (error as Error).message,
      });
      return null;
    }
  }
}

/**
 * The operator's CSMS → station operations on the central's httpPort (docs/OCPP.md, "Operator
 * operations"; `evpaxos ocpp <operation> <station>` and the dashboard call it):
 *   POST /ocpp/stations/:chargePointId/:action  body: the OCPP request payload
 *   GET  /ocpp/stations → the stations connected here and the agreed sessions, meters, refusals
 *
 * Two kinds (docs/OCPP.md says which and why):
 * - by consensus: RequestStartTransaction / RequestStopTransaction answer once the transaction the
 *   station starts or ends is agreed (its TransactionEvent became StartSession / StopSession), and
 *   ChangeAvailability records the EVSE out of service (or back) in the replicated state once the
 *   station accepted it. What every replica must know goes through the log.
 * - direct calls: the rest (Reset, UnlockConnector, TriggerMessage, the device model, the smart-
 *   charging queries) change nothing the site agrees on, so the answer is the station's response.
 */
import {
  OcppError,
  operatorActions,
  type ChangeAvailabilityRequest,
  type CsmsAction,
  type OperatorOperations,
} from '@evpaxos/ocpp';
import type { ClusterNode, ExtraRouteResponse, ExtraRoutes } from '@evpaxos/runtime';
import type { SiteState } from '@evpaxos/site';
import type { CentralService } from './central-service';
import { OPERATION_AGREEMENT_WAIT_MS } from './constants';

const operationPath = /^\/ocpp\/stations\/([^/]{1,48})\/([A-Za-z]{1,40})$/;

type OperatorAction = keyof OperatorOperations;

/** Resolves when `done(state)` holds after an applied batch, or false after waitMs. */
function waitForState(
  node: ClusterNode,
  readState: () => SiteState,
  done: (state: SiteState) => boolean,
  waitMs: number,
): Promise<boolean> {
  if (done(readState())) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(false), waitMs);
    const unsubscribe = node.onApplied(() => {
      if (done(readState())) finish(true);
    });
    function finish(result: boolean): void {
      clearTimeout(timer);
      unsubscribe();
      resolve(result);
    }
  });
}

function objectBody(body: unknown): Record<string, unknown> | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return 'The body must be a JSON object: the OCPP 2.0.1 request payload.';
  }
  return body as Record<string, unknown>;
}

/** A CALLERROR, validation failure or timeout as the HTTP answer. */
function callFailed(action: string, error: unknown): ExtraRouteResponse {
  if (!(error instanceof OcppError)) throw error;
  const status =
    error.code === 'OCPP_VALIDATION'
      ? 400
      : error.code === 'OCPP_TIMEOUT'
        ? 504
        : error.code === 'OCPP_NOT_CONNECTED'
          ? 404
          : 502;
  return {
    status,
    body: {
      error: error.code,
      rpcErrorCode: error.rpcErrorCode ?? null,
      reason: `${action}: ${error.message}`,
    },
  };
}

class Operations {
  constructor(
    private readonly service: CentralService,
    private readonly node: ClusterNode,
    private readonly readState: () => SiteState,
  ) {}

  private call<A extends CsmsAction>(
    chargePointId: string,
    action: A,
    payload: unknown,
  ): Promise<unknown> {
    // Through whichever central holds the station (station-calls.ts); none: OCPP_NOT_CONNECTED → 404.
    return this.service.callStation(chargePointId, action, payload as never) as Promise<unknown>;
  }

  async startTransaction(
    chargePointId: string,
    payload: Record<string, unknown>,
  ): Promise<ExtraRouteResponse> {
    const evseId = typeof payload.evseId === 'number' ? payload.evseId : 1;
    const busy = Object.values(this.readState().sessions).find(
      (session) => session.chargePointId === chargePointId && session.connectorId === evseId,
    );
    if (busy !== undefined) {
      return {
        status: 409,
        body: {
          error: 'connector-occupied',
          reason: `${chargePointId}/${evseId} is in transaction ${busy.transactionId}`,
          transactionId: busy.transactionId,
        },
      };
    }
    const response = (await this.call(chargePointId, 'RequestStartTransaction', payload)) as {
      status: string;
    };
    if (response.status !== 'Accepted') return { status: 409, body: { response } };
    let transactionId: string | null = null;
    const agreed = await waitForState(
      this.node,
      this.readState,
      (state) => {
        const session = Object.values(state.sessions).find(
          (candidate) =>
            candidate.chargePointId === chargePointId && candidate.connectorId === evseId,
        );
        transactionId = session?.transactionId ?? null;
        return session !== undefined;
      },
      OPERATION_AGREEMENT_WAIT_MS,
    );
    return { status: agreed ? 200 : 202, body: { response, agreed, transactionId } };
  }

  async stopTransaction(
    chargePointId: string,
    payload: Record<string, unknown>,
  ): Promise<ExtraRouteResponse> {
    const transactionId = payload.transactionId;
    const session =
      typeof transactionId === 'string' ? this.readState().sessions[transactionId] : undefined;
    if (session === undefined || session.chargePointId !== chargePointId) {
      return {
        status: 404,
        body: {
          error: 'unknown-transaction',
          reason: `no agreed transaction ${String(transactionId)} on ${chargePointId}`,
        },
      };
    }
    const response = (await this.call(chargePointId, 'RequestStopTransaction', payload)) as {
      status: string;
    };
    if (response.status !== 'Accepted') return { status: 409, body: { response } };
    const agreed = await waitForState(
      this.node,
      this.readState,
      (state) => state.sessions[session.transactionId] === undefined,
      OPERATION_AGREEMENT_WAIT_MS,
    );
    return { status: agreed ? 200 : 202, body: { response, agreed } };
  }

  async changeAvailability(
    chargePointId: string,
    payload: Record<string, unknown>,
  ): Promise<ExtraRouteResponse> {
    const response = (await this.call(chargePointId, 'ChangeAvailability', payload)) as {
      status: string;
    };
    if (response.status !== 'Accepted') {
      return { status: response.status === 'Scheduled' ? 202 : 409, body: { response } };
    }
    const request = payload as unknown as ChangeAvailabilityRequest;
    const connectorId = request.evse?.connectorId ?? request.evse?.id ?? 0;
    const chargePoint = this.readState().chargePoints[chargePointId];
    const faulted =
      connectorId > 0
        ? (chargePoint?.faultedConnectorIds.includes(connectorId) ?? false)
        : (chargePoint?.faultedConnectorIds.length ?? 0) > 0;
    const inoperative = request.operationalStatus === 'Inoperative';
    if (chargePoint === undefined || inoperative === faulted) {
      return { status: 200, body: { response, slot: null } };
    }
    const outcome = await this.service.submit({
      type: inoperative ? 'ChargePointFaulted' : 'ChargePointRecovered',
      chargePointId,
      ...(connectorId > 0 ? { connectorId } : {}),
    });
    if (!outcome.ok) return { status: 503, body: { response, error: outcome.code } };
    // The station's own StatusNotification may have recorded the change first: already so is done.
    const already =
      !outcome.result.ok &&
      (outcome.result.code === 'not-faulted' || outcome.result.code === 'already-faulted');
    return {
      status: outcome.result.ok || already ? 200 : 409,
      body: { response, slot: outcome.slot, result: outcome.result },
    };
  }

  async operate(
    chargePointId: string,
    action: OperatorAction,
    payload: Record<string, unknown>,
  ): Promise<ExtraRouteResponse> {
    try {
      switch (action) {
        case 'RequestStartTransaction':
          return await this.startTransaction(chargePointId, payload);
        case 'RequestStopTransaction':
          return await this.stopTransaction(chargePointId, payload);
        case 'ChangeAvailability':
          return await this.changeAvailability(chargePointId, payload);
        default:
          return {
            status: 200,
            body: { response: await this.call(chargePointId, action, payload) },
          };
      }
    } catch (error) {
      return callFailed(action, error);
    }
  }

  stations(): ExtraRouteResponse {
    const state = this.readState();
    return {
      status: 200,
      body: {
        connected: this.service.server.connectedIds(),
        chargePoints: Object.values(state.chargePoints).map((chargePoint) => ({
          chargePointId: chargePoint.chargePointId,
          maxPowerW: chargePoint.maxPowerW,
          faultedConnectorIds: chargePoint.faultedConnectorIds,
          profilesRefused: chargePoint.profilesRefused === true,
        })),
        sessions: Object.values(state.sessions),
        deliveredWh: state.deliveredWh ?? 0,
      },
    };
  }
}

export function operationRoutes(
  service: CentralService,
  node: ClusterNode,
  readState: () => SiteState,
): ExtraRoutes {
  const operations = new Operations(service, node, readState);
  return async (request) => {
    if (request.path === '/ocpp/stations' && request.method === 'GET') {
      return operations.stations();
    }
    const match = operationPath.exec(request.path);
    if (match === null) return undefined;
    if (request.method !== 'POST') {
      return {
        status: 405,
        body: { error: 'method-not-allowed', reason: 'POST /ocpp/stations/:id/:action.' },
      };
    }
    let chargePointId: string;
    try {
      chargePointId = decodeURIComponent(match[1] ?? '');
    } catch {
      return { status: 400, body: { error: 'invalid-request', reason: 'Malformed station id.' } };
    }
    const action = match[2] ?? '';
    if (!(operatorActions as readonly string[]).includes(action)) {
      return {
        status: 404,
        body: {
          error: 'unknown-operation',
          reason: `${action} is not an operation; one of ${operatorActions.join(', ')}`,
        },
      };
    }
    const payload = objectBody(await request.readJson());
    if (typeof payload === 'string') {
      return { status: 400, body: { error: 'invalid-request', reason: payload } };
    }
    return operations.operate(chargePointId, action as OperatorAction, payload);
  };
}

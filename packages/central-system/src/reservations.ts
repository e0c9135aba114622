/**
 * The reservations API on the central's httpPort (docs/SITE.md), added to the runtime's HTTP API:
 *   POST   /reservations {chargePointId, connectorId?, idToken, startsAtMs?, expiresAtMs, reservationId?}
 *          → Reserve agreed, then ReserveNow (H01) to the station when the window opens → 201
 *   DELETE /reservations/:id → CancelReservation agreed, then CancelReservation (H02) → 200
 *   GET    /reservations → the agreed reservations (any central)
 * A standby answers 421 with the leader's URL, like POST /submit.
 */
import { OcppError } from '@evpaxos/ocpp';
import type {
  ClusterNode,
  ExtraRouteRequest,
  ExtraRouteResponse,
  ExtraRoutes,
} from '@evpaxos/runtime';
import type { ReservationState, SiteRejection, SiteState } from '@evpaxos/site';
import type { ReserveNowNotifier } from './reserve-now';
import type { CentralService, SubmitOutcome } from './central-service';

const reservationPath = /^\/reservations\/(\d{1,10})$/;

export function reservationRoutes(
  service: CentralService,
  node: ClusterNode,
  readState: () => SiteState,
  notifier: ReserveNowNotifier,
  nowMs: () => number = Date.now,
): ExtraRoutes {
  /** Increases within a term; seconds since 2023-11 keep ids increasing across leaders too (int32 for ~60 years). */
  let lastIssued = 0;
  const nextReservationId = (): number => {
    const ids = Object.values(readState().reservations).map((r) => r.reservationId);
    lastIssued = Math.max(
      lastIssued + 1,
      ...ids.map((id) => id + 1),
      Math.floor(nowMs() / 1000) - 1_700_000_000,
    );
    return lastIssued;
  };

  const notLeader = (): ExtraRouteResponse => notLeaderReply(node);
  const notAgreed = (outcome: Extract<SubmitOutcome, { ok: false }>) =>
    outcome.code === 'not-leader' ? notLeader() : notAgreedReply(outcome.code);

  async function create(request: ExtraRouteRequest): Promise<ExtraRouteResponse> {
    if (!node.isLeader) return notLeader();
    const body = await request.readJson();
    const parsed = parseReservation(body);
    if (typeof parsed === 'string') return invalidRequest(parsed);
    const reservationId = parsed.reservationId ?? nextReservationId();
    const connectorId = parsed.connectorId ?? 1;
    const outcome = await service.submit({
      type: 'Reserve',
      reservationId,
      chargePointId: parsed.chargePointId,
      connectorId,
      idToken: parsed.idToken,
      ...(parsed.startsAtMs === undefined ? {} : { startsAtMs: parsed.startsAtMs }),
      expiresAtMs: parsed.expiresAtMs,
    });
    if (!outcome.ok) return notAgreed(outcome);
    if (!outcome.result.ok) return refused(outcome.slot, outcome.result, 409);
    const reservation = {
      reservationId,
      chargePointId: parsed.chargePointId,
      connectorId,
      idToken: parsed.idToken,
      ...(outcome.result.reservationWindow ?? {
        startsAtMs: parsed.startsAtMs ?? nowMs(),
        expiresAtMs: parsed.expiresAtMs,
      }),
    };
    return {
      status: 201,
      body: {
        reservationId,
        slot: outcome.slot,
        startsAtMs: reservation.startsAtMs,
        expiresAtMs: reservation.expiresAtMs,
        reserveNowStatus: await reserveNowIfOpen(notifier, reservation, nowMs()),
      },
    };
  }

  async function cancel(reservationId: number): Promise<ExtraRouteResponse> {
    if (!node.isLeader) return notLeader();
    const reservation = readState().reservations[String(reservationId)];
    const outcome = await service.submit({ type: 'CancelReservation', reservationId });
    if (!outcome.ok) return notAgreed(outcome);
    if (!outcome.result.ok) return refused(outcome.slot, outcome.result, 404);
    const cancelStatus =
      reservation === undefined
        ? 'unknown-charge-point'
        : await forward(() =>
            service.callStation(reservation.chargePointId, 'CancelReservation', { reservationId }),
          );
    return { status: 200, body: { reservationId, slot: outcome.slot, cancelStatus } };
  }

  return async (request) => {
    if (request.path === '/reservations') {
      if (request.method === 'POST') return create(request);
      if (request.method === 'GET') {
        return { status: 200, body: { reservations: Object.values(readState().reservations) } };
      }
      return {
        status: 405,
        body: { error: 'method-not-allowed', reason: 'GET or POST /reservations.' },
      };
    }
    const match = reservationPath.exec(request.path);
    if (match === null) return undefined;
    if (request.method !== 'DELETE') {
      return {
        status: 405,
        body: { error: 'method-not-allowed', reason: 'DELETE /reservations/:id.' },
      };
    }
    return cancel(Number(match[1]));
  };
}

function invalidRequest(reason: string): ExtraRouteResponse {
  return { status: 400, body: { error: 'invalid-request', reason } };
}

function notLeaderReply(node: ClusterNode): ExtraRouteResponse {
  return {
    status: 421,
    body: { error: 'not-leader', leaderId: node.leaderId, leaderUrl: node.urlOf(node.leaderId) },
  };
}

/** Not agreed (no slot): 504 when it timed out, else 503 (overloaded, closing, …). */
function notAgreedReply(code: string): ExtraRouteResponse {
  return { status: code === 'timeout' ? 504 : 503, body: { error: code } };
}

/**
 * A rejected command: 400 when it was refused before it was proposed (slot null: it broke a rule
 * that needs no state, docs/CLUSTER.md), else `status` for what the replicated state ruled out.
 */
function refused(
  slot: number | null,
  rejection: SiteRejection,
  status: number,
): ExtraRouteResponse {
  return slot === null
    ? {
        status: 400,
        body: { error: 'invalid-command', commandCode: rejection.code, reason: rejection.reason },
      }
    : { status, body: { error: rejection.code, reason: rejection.reason, slot } };
}

/**
 * ReserveNow for a window that is open now; a window that opens later gets its ReserveNow when it
 * opens (reserve-now.ts), and the answer says so.
 */
async function reserveNowIfOpen(
  notifier: ReserveNowNotifier,
  reservation: ReservationState,
  nowMs: number,
): Promise<string> {
  return reservation.startsAtMs <= nowMs ? notifier.send(reservation) : 'at-window-start';
}

/** The station's status, or why it was not asked: the agreement stands either way. */
export async function forward(call: () => Promise<{ status: string }>): Promise<string> {
  try {
    return (await call()).status;
  } catch (error) {
    return error instanceof OcppError ? error.code : 'error';
  }
}

interface ReservationBody {
  readonly chargePointId: string;
  readonly connectorId: number | undefined;
  readonly idToken: string;
  readonly startsAtMs: number | undefined;
  readonly expiresAtMs: number;
  readonly reservationId: number | undefined;
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function parseReservation(body: unknown): ReservationBody | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return 'The body must be a JSON object.';
  const { chargePointId, connectorId, idToken, startsAtMs, expiresAtMs, reservationId } =
    body as Record<string, unknown>;
  if (
    typeof chargePointId !== 'string' ||
    chargePointId.length === 0 ||
    chargePointId.length > 36
  ) {
    return 'chargePointId must be a string of 1 to 36 characters.';
  }
  if (typeof idToken !== 'string' || idToken.length === 0 || idToken.length > 36) {
    return 'idToken must be a string of 1 to 36 characters (OCPP IdTokenType).';
  }
  if (!isTime(expiresAtMs)) return 'expiresAtMs must be a time in ms since the Unix epoch.';
  if (startsAtMs !== undefined && !isTime(startsAtMs)) {
    return 'startsAtMs, when given, must be a time in ms since the Unix epoch.';
  }
  if (
    connectorId !== undefined &&
    (typeof connectorId !== 'number' || !Number.isSafeInteger(connectorId) || connectorId < 1)
  ) {
    return 'connectorId, when given, must be a whole number of at least 1.';
  }
  if (
    reservationId !== undefined &&
    (typeof reservationId !== 'number' ||
      !Number.isSafeInteger(reservationId) ||
      reservationId < 0 ||
      reservationId > 2 ** 31 - 1)
  ) {
    return 'reservationId, when given, must be a whole number from 0 to 2147483647.';
  }
  return {
    chargePointId,
    idToken,
    startsAtMs,
    expiresAtMs,
    connectorId: connectorId as number | undefined,
    reservationId: reservationId as number | undefined,
  };
}

/**
 * The client requests of the HTTP API and the /client protocol (docs/CLUSTER.md): how a submit is
 * validated, and how its outcome is answered on either.
 */
import { defaultWireLimits, isPlainObject, readPlainData } from '@evpaxos/wire';
import type { Ballot, NodeId } from '@evpaxos/paxos';
import type { CallOutcome } from './client-calls';
import type { ClusterNode } from './cluster-node';
import { clientFrameRequestsMax } from './constants';

/** A request we refuse with 400: the reason goes back to the client and into a warn line. */
export class InvalidRequest extends Error {
  readonly code = 'invalid-request';
}

const idLengthMax = defaultWireLimits.idLengthMax;

/** A /client answer (docs/CLUSTER.md), matched to its request by requestId. */
export type ClientAnswer =
  | {
      readonly type: 'result';
      readonly requestId: number;
      readonly slot: number;
      readonly ballot: Ballot;
      readonly result: unknown;
      readonly duplicate: boolean;
    }
  | {
      readonly type: 'error';
      /** null when the refused frame or request had no integer requestId. */
      readonly requestId: number | null;
      readonly code:
        'not-leader' | 'overloaded' | 'timeout' | 'invalid-request' | 'invalid-command';
      /** not-leader: the leader this node knows of, and its http://host:httpPort; null if none. */
      readonly leaderId?: NodeId | null;
      readonly leaderUrl?: string | null;
      /** invalid-request, invalid-command: what is wrong, as a sentence. */
      readonly reason?: string;
      /** invalid-command: the role validator's stable code (e.g. `power-out-of-range`). */
      readonly commandCode?: string;
    };

/** A /client request, validated; or why it is refused, with its requestId when it has one. */
export type ClientRequestRead =
  | {
      readonly ok: true;
      readonly requestId: number;
      readonly payload: unknown;
      readonly client: { clientId: string; seq: number };
    }
  | { readonly ok: false; readonly requestId: number | null; readonly reason: string };

/** Reads one /client request: `{ type: 'submit', requestId, clientId, seq, payload }`. */
export function readClientRequest(
  request: unknown,
  what: 'A frame' | 'A request',
): ClientRequestRead {
  if (!isPlainObject(request)) {
    const reason =
      what === 'A frame'
        ? `A frame must be a map (one request) or an array of 1 to ${clientFrameRequestsMax} maps.`
        : 'A request must be a map.';
    return { ok: false, requestId: null, reason };
  }
  const requestId = Number.isSafeInteger(request.requestId) ? (request.requestId as number) : null;
  try {
    if (request.type !== 'submit') throw new InvalidRequest('The request type must be "submit".');
    if (requestId === null) throw new InvalidRequest('requestId must be an integer.');
    const { payload, client } = readSubmit(request);
    if (!client) throw new InvalidRequest('A /client submit needs clientId and seq.');
    return { ok: true, requestId, payload, client };
  } catch (error) {
    return { ok: false, requestId, reason: errorMessage(error) };
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Validates a submit body (HTTP or /client): payload, and clientId with seq or neither. */
export function readSubmit(body: unknown): {
  payload: unknown;
  client: { clientId: string; seq: number } | undefined;
} {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequest('The body must be a JSON object.');
  }
  const { payload, clientId, seq } = body as Record<string, unknown>;
  if (payload === undefined) throw new InvalidRequest('The body needs a "payload".');
  return readSubmitFields(payload, clientId, seq);
}

/**
 * Validates a submit's fields, however they came (a body or request map, or a version 2 /client
 * request array): payload plain data, and clientId with seq or neither.
 */
export function readSubmitFields(
  payload: unknown,
  clientId: unknown,
  seq: unknown,
): { payload: unknown; client: { clientId: string; seq: number } | undefined } {
  try {
    readPlainData(payload, 'payload', defaultWireLimits.plainDataDepthMax);
  } catch (error) {
    throw new InvalidRequest((error as Error).message);
  }
  if (clientId === undefined && seq === undefined) return { payload, client: undefined };
  if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > idLengthMax) {
    throw new InvalidRequest(`clientId must be a string of 1 to ${idLengthMax} characters.`);
  }
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
    throw new InvalidRequest('seq must be a whole number of at least 1.');
  }
  return { payload, client: { clientId, seq } };
}

export function httpAnswer(outcome: CallOutcome, node: ClusterNode): [number, unknown] {
  if (outcome.ok) {
    const { slot, ballot, result, duplicate } = outcome;
    return [200, { slot, ballot, result, duplicate }];
  }
  switch (outcome.code) {
    case 'not-leader':
      return [
        421,
        {
          error: 'not-leader',
          leaderId: outcome.leaderId,
          leaderUrl: node.urlOf(outcome.leaderId),
        },
      ];
    case 'overloaded':
      return [503, { error: 'overloaded' }];
    case 'timeout':
      return [504, { error: 'timeout' }];
    case 'closed':
      return [503, { error: 'overloaded', reason: 'The node is shutting down.' }];
    case 'invalid-command':
      return [
        400,
        { error: 'invalid-command', commandCode: outcome.commandCode, reason: outcome.reason },
      ];
  }
}

export function clientAnswer(
  requestId: number,
  outcome: CallOutcome,
  node: ClusterNode,
): ClientAnswer {
  if (outcome.ok) {
    const { slot, ballot, result, duplicate } = outcome;
    return { type: 'result', requestId, slot, ballot, result, duplicate };
  }
  switch (outcome.code) {
    case 'not-leader':
      return {
        type: 'error',
        requestId,
        code: 'not-leader',
        leaderId: outcome.leaderId,
        leaderUrl: node.urlOf(outcome.leaderId),
      };
    case 'timeout':
      return { type: 'error', requestId, code: 'timeout' };
    case 'overloaded':
    case 'closed':
      return { type: 'error', requestId, code: 'overloaded' };
    case 'invalid-command':
      return {
        type: 'error',
        requestId,
        code: 'invalid-command',
        commandCode: outcome.commandCode,
        reason: outcome.reason,
      };
  }
}

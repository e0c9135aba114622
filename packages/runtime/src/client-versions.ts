/**
 * The /client protocol's versions (docs/PROTOCOL-WIRE.md, "Client API"): which one a connection
 * speaks, and version 2's positional requests and answers. Version 1 is the map protocol
 * (client-requests.ts); version 2 carries the same fields as arrays, because packing one map of six
 * keys and a ballot map per answer was the central's largest msgpackr cost at concurrency 256
 * (docs/BENCHMARKS.md, "Issue 21: concurrency 256, sixth session").
 */
import type { Ballot, NodeId } from '@evpaxos/paxos';
import type { CallOutcome } from './client-calls';
import type { ClusterNode } from './cluster-node';
import {
  clientAnswer,
  errorMessage,
  InvalidRequest,
  readSubmitFields,
  type ClientAnswer,
  type ClientRequestRead,
} from './client-requests';
import { clientFrameRequestsMax } from './constants';

/** The versions a central speaks; a client asks for one with `/client?version=N`. */
export const clientProtocolVersions: readonly number[] = [1, 2];
export type ClientProtocolVersion = 1 | 2;

/**
 * The upgrade response's header naming the version the connection speaks. A central from before
 * versions ignores the query and sends none: its client then speaks version 1.
 */
export const clientVersionHeader = 'x-evpaxos-client-version';

/** The version a /client upgrade asks for (its `version` query parameter; none: 1), or why not. */
export function readClientVersion(
  url: string | undefined,
):
  | { readonly ok: true; readonly version: ClientProtocolVersion }
  | { readonly ok: false; readonly reason: string } {
  const asked = new URL(url ?? '/', 'http://localhost').searchParams.getAll('version');
  if (asked.length === 0) return { ok: true, version: 1 };
  const text = asked[0] as string;
  if (asked.length === 1 && (text === '1' || text === '2')) {
    return { ok: true, version: Number(text) as ClientProtocolVersion };
  }
  const got = asked.length === 1 ? `"${text}"` : `${asked.length} version parameters`;
  return {
    ok: false,
    reason: `Unsupported /client protocol version (got ${got}): this central speaks versions ${clientProtocolVersions.join(' and ')}.`,
  };
}

/**
 * A version 2 result answer: `[requestId, slot, [round, proposerId], result, duplicate]`, the
 * version 1 map's values in its order without its `type` (an error answer stays a map).
 */
export type PositionalResult = readonly [
  requestId: number,
  slot: number,
  ballot: readonly [round: number, proposerId: NodeId],
  result: unknown,
  duplicate: boolean,
];

/** The last ballot answered and its array: every answer of a slot, and of a term, shares them. */
let lastBallot: Ballot | undefined;
let lastBallotArray: readonly [number, NodeId] = [0, ''];

function ballotArray(ballot: Ballot): readonly [number, NodeId] {
  if (ballot !== lastBallot) {
    lastBallot = ballot;
    lastBallotArray = [ballot.round, ballot.proposerId];
  }
  return lastBallotArray;
}

/** A call's outcome as a version 2 answer: a result positional, an error as version 1's map. */
export function positionalAnswer(
  requestId: number,
  outcome: CallOutcome,
  node: ClusterNode,
): PositionalResult | ClientAnswer {
  if (!outcome.ok) return clientAnswer(requestId, outcome, node);
  return [requestId, outcome.slot, ballotArray(outcome.ballot), outcome.result, outcome.duplicate];
}

/** Why a version 2 frame is refused whole: it must be an array of 1 to 4096 request arrays. */
export function positionalFrameRefusal(frame: unknown): string | undefined {
  if (Array.isArray(frame) && frame.length >= 1 && frame.length <= clientFrameRequestsMax) {
    return undefined;
  }
  const got = Array.isArray(frame) ? `an array of ${frame.length}` : 'not an array';
  return `A version 2 frame is an array of 1 to ${clientFrameRequestsMax} requests [requestId, clientId, seq, payload] (got ${got}).`;
}

/** Reads one version 2 request: `[requestId, clientId, seq, payload]`. */
export function readPositionalRequest(request: unknown): ClientRequestRead {
  if (!Array.isArray(request)) {
    return {
      ok: false,
      requestId: null,
      reason: 'A request must be an array [requestId, clientId, seq, payload].',
    };
  }
  const first: unknown = request[0];
  const requestId = Number.isSafeInteger(first) ? (first as number) : null;
  try {
    if (request.length !== 4) {
      throw new InvalidRequest(
        `A request is an array of 4 items [requestId, clientId, seq, payload] (got ${request.length}).`,
      );
    }
    if (requestId === null) throw new InvalidRequest('requestId must be an integer.');
    const payload: unknown = request[3];
    if (payload === undefined) throw new InvalidRequest('A request needs a payload.');
    const { client } = readSubmitFields(payload, request[1], request[2]);
    if (!client) throw new InvalidRequest('A /client submit needs clientId and seq.');
    return { ok: true, requestId, payload, client };
  } catch (error) {
    return { ok: false, requestId, reason: errorMessage(error) };
  }
}

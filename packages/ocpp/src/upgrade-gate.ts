/**
 * What the CSMS decides from the HTTP upgrade request alone, before ocpp-rpc sees it
 * (docs/OCPP.md, "Security profiles" and "Bad input"):
 * - the identity (last URL segment) must be a valid OCPP identity → else 400;
 * - with Security Profile 1/2 the Basic credentials must be the identity's → else 401 with
 *   `WWW-Authenticate` (RFC 7235 §3.1), nothing else happens and nothing is adopted;
 * - the station must offer `ocpp2.0.1` → else the handshake completes without a subprotocol and the
 *   socket is closed at once with 1002 (OCPP-J §3.1.2, the rule docs/OCPP.md quotes).
 */
import type { IncomingMessage } from 'node:http';
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { closeCodeProtocolError, ocppSubprotocol } from './constants';
import { checkBasicAuth, type StationPasswordLookup } from './station-auth';
import { validateIdentity } from './validation';

export type GateVerdict =
  | { readonly kind: 'pass'; readonly identity: string }
  | {
      readonly kind: 'refuse';
      readonly identity: string;
      readonly status: 400 | 401;
      readonly reason: string;
    }
  | { readonly kind: 'no-subprotocol'; readonly identity: string; readonly reason: string };

/** The identity is the last path segment, percent-decoded (OCPP 2.0.1 Part 4 §3.1.1). */
export function identityOf(request: IncomingMessage): string {
  const pathname = (request.url ?? '/').split('?')[0] ?? '/';
  const last = pathname.split('/').pop() ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

export function judgeUpgrade(
  request: IncomingMessage,
  passwordOf: StationPasswordLookup | undefined,
): GateVerdict {
  const identity = identityOf(request);
  const identityProblem = validateIdentity(identity);
  if (identityProblem !== null) {
    return { kind: 'refuse', identity, status: 400, reason: identityProblem };
  }
  if (passwordOf !== undefined) {
    const authProblem = checkBasicAuth(identity, request.headers.authorization, passwordOf);
    if (authProblem !== null) return { kind: 'refuse', identity, status: 401, reason: authProblem };
  }
  const offered = (request.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((protocol) => protocol.trim());
  if (!offered.includes(ocppSubprotocol)) {
    return {
      kind: 'no-subprotocol',
      identity,
      reason: `subprotocol ${ocppSubprotocol} not offered (offered: ${offered.filter(Boolean).join(', ') || 'none'})`,
    };
  }
  return { kind: 'pass', identity };
}

/**
 * First thing in every 'upgrade' listener. Node takes its own 'error' listener off the socket before
 * it hands it over, and ws adds one only inside handleUpgrade, so a socket answered by hand (a
 * refusal, a 404) has none: a peer that resets it — a client whose handshake timed out, or that
 * dialled a port reused by another cluster — raises an 'error' nobody hears, and Node exits the
 * whole process for it (a charge point died so in a partition test, and its vote with it). The
 * reset is the peer's business: `onError` logs it (debug), the socket is already destroyed.
 */
export function guardUpgradeSocket(socket: Duplex, onError: (error: Error) => void): void {
  socket.on('error', onError);
}

/** Answers the upgrade with an HTTP error and drops the socket. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  const headers = [
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(status === 401 ? ['WWW-Authenticate: Basic realm="evpaxos OCPP", charset="UTF-8"'] : []),
  ];
  if (socket.writable) socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
  socket.destroy();
}

/** Completes the handshake without a subprotocol, then closes with 1002 (see the file comment). */
export function closeWithoutSubprotocol(
  bare: WebSocketServer,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  reason: string,
): void {
  bare.handleUpgrade(request, socket, head, (websocket) => {
    websocket.close(closeCodeProtocolError, reason.slice(0, 120));
  });
}

/** A ws server that agrees to no subprotocol: used only by closeWithoutSubprotocol. */
export function createBareServer(): WebSocketServer {
  return new WebSocketServer({ noServer: true, handleProtocols: () => false });
}

import type { NodeId } from '@evpaxos/wire';
import { WebSocket, type RawData } from 'ws';
import type { RejectionCode } from './types';

/** Where a connection is in its life. */
export type Step =
  // Inbound (we listen): hello → challenge sent → proof → welcome sent → open.
  | 'await-hello'
  | 'await-proof'
  // Outbound (we dial): hello sent → challenge → proof sent → welcome → open.
  | 'await-challenge'
  | 'await-welcome'
  | 'open'
  | 'closed';

/** One WebSocket connection, inbound or outbound, with its handshake and liveness state. */
export interface Connection {
  readonly socket: WebSocket;
  readonly direction: 'in' | 'out';
  /** For logs: the remote address (inbound) or the URL dialled (outbound). */
  readonly remote: string;
  step: Step;
  /** Monotonic ms when the socket was made (dialled, or accepted). */
  readonly createdAtMs: number;
  /** Outbound: the peer dialled. Inbound: the id its hello claimed (authenticated once open). */
  peerId: NodeId | null;
  dialerNonce: Uint8Array | null;
  listenerNonce: Uint8Array | null;
  /** Monotonic ms when a frame or pong last arrived on this connection (or when it was made). */
  heardAtMs: number;
  /** Monotonic ms of our last ping on it (or when it was made): one ping per quiet interval. */
  pingedAtMs: number;
  /** Monotonic ms of our first ping since we last heard from it; null once anything arrives. */
  unansweredPingAtMs: number | null;
  handshakeTimer: NodeJS.Timeout | null;
  graceTimer: NodeJS.Timeout | null;
}

export function createConnection(
  socket: WebSocket,
  direction: 'in' | 'out',
  remote: string,
  peerId: NodeId | null,
  nowMs: number,
): Connection {
  return {
    socket,
    direction,
    remote,
    step: direction === 'in' ? 'await-hello' : 'await-challenge',
    createdAtMs: nowMs,
    peerId,
    dialerNonce: null,
    listenerNonce: null,
    heardAtMs: nowMs,
    pingedAtMs: nowMs,
    unansweredPingAtMs: null,
    handshakeTimer: null,
    graceTimer: null,
  };
}

/** Authenticated and writable: Paxos frames and pings may go out on it. */
export function isOpen(connection: Connection | null): connection is Connection {
  return (
    connection !== null &&
    connection.step === 'open' &&
    connection.socket.readyState === WebSocket.OPEN
  );
}

export function clearConnectionTimers(connection: Connection): void {
  if (connection.handshakeTimer) clearTimeout(connection.handshakeTimer);
  if (connection.graceTimer) clearTimeout(connection.graceTimer);
  connection.handshakeTimer = null;
  connection.graceTimer = null;
}

/** The bytes of a ws message, however ws chose to hand them over. */
export function bytesOf(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/**
 * An all-zero masking key, which ws recognises and skips (the copy included). RFC 6455 §10.3 masks
 * client frames so that a browser script cannot make a proxy misread them; this link is node to
 * node, behind the HMAC handshake, and masking cost the leader ~5 % of its CPU under load
 * (docs/BENCHMARKS.md). Any RFC 6455 server reads an unmasked-by-zero frame.
 */
export function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

/** WebSocket close codes (RFC 6455 §7.4.1) for each reason we close a connection. */
export const closeCodeByRejection: Readonly<Record<RejectionCode, number>> = {
  'frame-too-large': 1009,
  'malformed-frame': 1007,
  'unsupported-version': 1007,
  'unknown-type': 1007,
  'invalid-body': 1007,
  'text-frame': 1003,
  'unauthenticated-frame': 1008,
  'unexpected-frame': 1002,
  'cluster-id-mismatch': 1008,
  'unknown-node': 1008,
  'peer-id-mismatch': 1008,
  'bad-proof': 1008,
  'handshake-timeout': 1008,
  'liveness-timeout': 1001,
  'too-many-handshakes': 1013,
};

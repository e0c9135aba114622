import type { NodeId } from '@evpaxos/paxos';
import { readBytes, readId, readRecord } from './check';
import { NONCE_BYTES, PROOF_BYTES, type WireLimits } from './constants';

/**
 * The cluster handshake, as envelope bodies. The dialer of a connection is D, the listener L.
 * The shared cluster secret never crosses the wire: each side proves it holds the secret with an
 * HMAC over both fresh nonces (see packages/transport/src/handshake.ts and docs/PROTOCOL-WIRE.md).
 *
 *   D → L  hello      { clusterId, nodeId: D, peerId: L, nonce: nD }
 *   L → D  challenge  { nodeId: L, nonce: nL, proof: HMAC(secret, "listener", clusterId, L, D, nD, nL) }
 *   D → L  proof      { proof: HMAC(secret, "dialer", clusterId, D, L, nD, nL) }
 *   L → D  welcome    {}
 */

/** Dialer → listener: who I am, whom I meant to reach, and a fresh nonce for you to prove over. */
export interface Hello {
  readonly clusterId: string;
  /** The dialer's node id: must be a member the listener knows. */
  readonly nodeId: NodeId;
  /** The node id the dialer expects to reach: a listener with another id refuses. */
  readonly peerId: NodeId;
  /** NONCE_BYTES fresh random bytes. */
  readonly nonce: Uint8Array;
}

/** Listener → dialer, in reply to a Hello it accepts: its proof, and its own nonce. */
export interface Challenge {
  /** The listener's node id: must be the peerId the dialer asked for. */
  readonly nodeId: NodeId;
  readonly nonce: Uint8Array;
  /** HMAC-SHA256 proving the listener holds the cluster secret, bound to the dialer's nonce. */
  readonly proof: Uint8Array;
}

/** Dialer → listener, in reply to a Challenge whose proof checked out. */
export interface Proof {
  /** HMAC-SHA256 proving the dialer holds the cluster secret, bound to the listener's nonce. */
  readonly proof: Uint8Array;
}

/** Listener → dialer: authenticated; the dialer may now send Paxos frames on this connection. */
export type Welcome = Record<string, never>;

export function validateHello(body: unknown, limits: WireLimits): Hello {
  const o = readRecord(body, 'hello', ['clusterId', 'nodeId', 'peerId', 'nonce']);
  return {
    clusterId: readId(o.clusterId, 'hello.clusterId', limits.idLengthMax),
    nodeId: readId(o.nodeId, 'hello.nodeId', limits.idLengthMax),
    peerId: readId(o.peerId, 'hello.peerId', limits.idLengthMax),
    nonce: readBytes(o.nonce, 'hello.nonce', NONCE_BYTES),
  };
}

export function validateChallenge(body: unknown, limits: WireLimits): Challenge {
  const o = readRecord(body, 'challenge', ['nodeId', 'nonce', 'proof']);
  return {
    nodeId: readId(o.nodeId, 'challenge.nodeId', limits.idLengthMax),
    nonce: readBytes(o.nonce, 'challenge.nonce', NONCE_BYTES),
    proof: readBytes(o.proof, 'challenge.proof', PROOF_BYTES),
  };
}

export function validateProof(body: unknown): Proof {
  const o = readRecord(body, 'proof', ['proof']);
  return { proof: readBytes(o.proof, 'proof.proof', PROOF_BYTES) };
}

export function validateWelcome(body: unknown): Welcome {
  readRecord(body, 'welcome', []);
  return {};
}

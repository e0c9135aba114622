import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { NONCE_BYTES, type NodeId } from '@evpaxos/wire';

/**
 * The proofs of the cluster handshake (docs/PROTOCOL-WIRE.md). Each side proves it holds the
 * cluster secret by an HMAC-SHA256 over both fresh nonces, so a recorded proof is worthless on
 * another connection and the secret never crosses the wire.
 *
 * The role label and the order of the ids make the dialer's and the listener's proofs different
 * messages: a proof one side produced can never be reflected back as the other side's.
 * Fields are length-prefixed so no two field lists give the same HMAC input.
 */
export type HandshakeRole = 'dialer' | 'listener';

const domain = 'evpaxos/cluster-handshake/v1';

export function createNonce(): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_BYTES));
}

export interface ProofInput {
  readonly role: HandshakeRole;
  readonly clusterId: string;
  /** The node producing the proof. */
  readonly proverId: NodeId;
  /** The node checking it. */
  readonly verifierId: NodeId;
  readonly dialerNonce: Uint8Array;
  readonly listenerNonce: Uint8Array;
}

export function computeProof(secret: string, input: ProofInput): Uint8Array {
  const hmac = createHmac('sha256', secret);
  const fields: (string | Uint8Array)[] = [
    domain,
    input.role,
    input.clusterId,
    input.proverId,
    input.verifierId,
    input.dialerNonce,
    input.listenerNonce,
  ];
  for (const field of fields) {
    const bytes = typeof field === 'string' ? Buffer.from(field, 'utf8') : field;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hmac.update(length);
    hmac.update(bytes);
  }
  return new Uint8Array(hmac.digest());
}

/** Constant-time comparison (a timing leak would let a prober learn a valid proof byte by byte). */
export function verifyProof(secret: string, input: ProofInput, proof: Uint8Array): boolean {
  const expected = computeProof(secret, input);
  return proof.length === expected.length && timingSafeEqual(proof, expected);
}

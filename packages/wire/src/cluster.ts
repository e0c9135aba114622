import type { Message } from '@evpaxos/paxos';
import { EnvelopeCodec, type DecodeOptions, type Envelope } from './codec';
import {
  validateChallenge,
  validateHello,
  validateProof,
  validateWelcome,
  type Challenge,
  type Hello,
  type Proof,
  type Welcome,
} from './handshake';
import { validatePaxosMessage } from './paxos-validator';
import { encodePaxosMessage } from './paxos-layout';

/** The kinds of the cluster protocol: the handshake, then Paxos messages. */
export interface ClusterKinds {
  hello: Hello;
  challenge: Challenge;
  proof: Proof;
  welcome: Welcome;
  paxos: Message;
}

export type ClusterEnvelope = Envelope<ClusterKinds>;

/**
 * The cluster's codec with default limits. A component that needs other limits builds its own
 * with `createClusterCodec(limits)`; one that adds kinds calls `clusterCodec.extend({...})`.
 */
export function createClusterCodec(
  limits: ConstructorParameters<typeof EnvelopeCodec>[1] = {},
): EnvelopeCodec<ClusterKinds> {
  return new EnvelopeCodec<ClusterKinds>(
    {
      hello: validateHello,
      challenge: validateChallenge,
      proof: validateProof,
      welcome: validateWelcome,
      paxos: validatePaxosMessage,
    },
    limits,
    // Positional arrays, slot values as the bytes the leader encoded (paxos-layout.ts).
    { paxos: encodePaxosMessage },
  );
}

export const clusterCodec: EnvelopeCodec<ClusterKinds> = createClusterCodec();

export function encodeEnvelope(envelope: ClusterEnvelope): Uint8Array {
  return clusterCodec.encode(envelope);
}

export function decodeEnvelope(bytes: Uint8Array, options: DecodeOptions = {}): ClusterEnvelope {
  return clusterCodec.decode(bytes, options);
}

/** The `paxos` envelope of `message`, encoded once however many peers it goes to. */
export function encodeMessageOnce(message: Message): Uint8Array {
  return clusterCodec.encodeOnce('paxos', message);
}

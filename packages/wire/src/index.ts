export {
  WIRE_VERSION,
  NONCE_BYTES,
  PROOF_BYTES,
  defaultWireLimits,
  type WireLimits,
} from './constants';
export { WireError, isWireError, wireErrorCodes, type WireErrorCode } from './errors';
export {
  EnvelopeCodec,
  concatFrames,
  untrustedPackrOptions,
  type BodyEncoders,
  type BodyValidator,
  type BodyValidators,
  type DecodeOptions,
  type Envelope,
} from './codec';
export {
  clusterCodec,
  createClusterCodec,
  decodeEnvelope,
  encodeEnvelope,
  encodeMessageOnce,
  type ClusterEnvelope,
  type ClusterKinds,
} from './cluster';
export type { Challenge, Hello, Proof, Welcome } from './handshake';
export { validatePaxosMessage } from './paxos-validator';
export { ENCODED_VALUE_EXT_TYPE, EncodedValue, encodeValue, onInvalidValue } from './value-codec';
export { encodePaxosMessage, paxosLayouts } from './paxos-layout';
export {
  invalidBody,
  isPlainObject,
  readArray,
  readBytes,
  readId,
  readInteger,
  readNonNegativeInteger,
  readPlainData,
  readPlainObject,
  readPositiveInteger,
  readRecord,
  readString,
  readTuple,
} from './check';
// Re-exported so that the transport (and other users of the wire) name the catalogue from one place.
export type { Message, MessageType, NodeId } from '@evpaxos/paxos';

export type {
  DropReason,
  FaultRule,
  Logger,
  MessageHandler,
  PeerChangeHandler,
  PeerState,
  PeerStatus,
  RejectionCode,
  Transport,
  TransportCollaborators,
  TransportStats,
} from './types';
export { silentLogger } from './types';
export { TransportError, type TransportErrorCode } from './errors';
export {
  clusterSecretBytesMin,
  defaultWebSocketLimits,
  faultDelayMsMax,
  faultRulesMax,
  type WebSocketLimits,
} from './constants';
export {
  MemoryNetwork,
  MemoryTransport,
  type MemoryNetworkOptions,
  type MemoryTransportCollaborators,
  type MemoryTransportOptions,
} from './memory-transport';
export { WebSocketTransport, type WebSocketTransportOptions } from './websocket-transport';

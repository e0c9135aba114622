// The package's public API: only what other packages use (docs/STYLE.md). The in-memory twin,
// the limits and the collaborator types are reached by this package's own tests from their modules.
export type { FaultRule, PeerState, Transport, TransportStats } from './types';
export { TransportError } from './errors';
export { clusterSecretBytesMin } from './constants';
export { parseFaultRules } from './faults';
export { WebSocketTransport } from './websocket-transport';
export {
  WarningThrottle,
  type ThrottledLevel,
  type WarningThrottleLimits,
} from './warning-throttle';

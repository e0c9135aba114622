// The public API of @evpaxos/ocpp: a typed OCPP 2.0.1 link (OCPP-J over ocpp-rpc, strict mode).
export * from './messages';
export { OcppError, type OcppErrorCode } from './errors';
export { type OcppLogger, silentOcppLogger } from './logger';
export {
  ocppSubprotocol,
  identityLengthMax,
  closeCodeServiceRestart,
  callTimeoutMsDefault,
  pingIntervalMsDefault,
  backoffInitialMsDefault,
  backoffMaxMsDefault,
  backoffJitterDefault,
  connectTimeoutMsDefault,
  badMessagesMaxDefault,
  frameBytesMaxDefault,
  stationCallsPerSecondMaxDefault,
  stationCallBurstMaxDefault,
  closeCodeProtocolError,
} from './constants';
export {
  deriveStationPassword,
  secretsEqual,
  stationPasswordLength,
  type StationPasswordLookup,
} from './station-auth';
export {
  ChargingStationClient,
  type ChargingStationClientOptions,
  type ChargingStationClientCollaborators,
  type ChargingStationClientEvents,
  type CallOptions,
  type IncomingCallContext,
  type StationCallHandler,
} from './client';
export {
  CsmsServer,
  type CsmsServerOptions,
  type CsmsServerCollaborators,
  type CsmsServerEvents,
  type CsmsCallHandler,
  type UpgradePredicate,
  type UpgradeRequest,
} from './server';
export { callError } from './call-error';
// The runtime's HTTP API serves upgrades too (its /client, the dashboard's feed).
export { guardUpgradeSocket } from './upgrade-gate';
export {
  ocppSecurityConfigSection,
  ocppSecurityDefault,
  ocppScheme,
  readCaPem,
  readServerTls,
  stationPasswordLookup,
  type OcppSecuritySection,
  type SecurityProfile,
} from './security-config';
export {
  generateDemoCertificates,
  type DemoCertificates,
  type DemoCertificateOptions,
} from './demo-certs';

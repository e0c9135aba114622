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
} from './constants';
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

// The public API of @evpaxos/ev-link: the EV ↔ EVSE protocol emulating ISO 15118-2 (docs/EV-LINK.md).
export * from './constants';
export type {
  PowerMode,
  ResponseCode,
  SchedulePeriod,
  EvChargingSchedule,
  PowerGrant,
  SessionSetupReq,
  ChargeParameterDiscoveryReq,
  PowerDeliveryReq,
  ChargingStatusReq,
  SessionStopReq,
  SessionSetupRes,
  ChargeParameterDiscoveryRes,
  PowerDeliveryRes,
  ChargingStatusRes,
  SessionStopRes,
  EvseNotification,
  EvseNotificationReason,
  ErrorMessage,
  EvRequest,
  EvseResponse,
  EvLinkMessage,
  EvLinkMessageType,
  EvLinkErrorCode,
  ResponseFor,
  RequestBody,
  ResponseBody,
} from './messages';
export {
  powerModes,
  responseCodes,
  requestTypes,
  messageTypes,
  responseTypeOf,
  evseNotificationReasons,
  evLinkErrorCodes,
} from './messages';
export { EvLinkError } from './errors';
export type { CodecLimits } from './codec';
export { encodeFrame, decodeFrame, validateMessage, defaultCodecLimits } from './codec';
export type {
  EvLinkLogger,
  EvLinkServerOptions,
  EvLinkServerCollaborators,
  EvLinkSession,
  EvRequestHandler,
} from './server';
export { EvLinkServer } from './server';
export type { EvLinkClientOptions, RequestOptions } from './client';
export { EvLinkClient } from './client';

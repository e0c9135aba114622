// The public API of @evpaxos/site: the pure replicated state of the charging site.
export * from './constants';
export type {
  SiteCommand,
  SiteCommandType,
  RegisterChargePoint,
  Reserve,
  CancelReservation,
  StartSession,
  UpdateNeeds,
  StopSession,
  ChargePointFaulted,
  ChargePointRecovered,
  SetSiteLimit,
  RenewLeases,
  LeaseRenewal,
  RecordMeterValues,
  RecordProfileRefused,
  Noop,
  InvalidSiteCommand,
  ParseSiteCommandResult,
} from './commands';
export { siteCommandTypes } from './commands';
export { parseSiteCommand } from './command-validator';
export type {
  SiteOptions,
  SiteConfig,
  SiteState,
  ChargePointState,
  LeaseState,
  ReservationState,
  SessionState,
  EvNeeds,
  SessionMeter,
} from './state';
export { createSiteState, resolveSiteConfig, cloneSiteState } from './state';
export { siteConfigSection, siteSizeProblems, type SiteSection } from './config-section';
export type {
  SiteErrorCode,
  SiteRejection,
  SiteAcceptance,
  SiteResult,
  SiteTransition,
  LeaseRenewalResult,
} from './handlers/kit';
export { reservationActive, windowsOverlap } from './handlers/kit';
export { applySiteCommand } from './reducer';
export type {
  SessionStatus,
  SessionAllocation,
  ChargePointAllocation,
  SiteSchedule,
  ScheduleOptions,
} from './scheduler';
export { computeSchedule } from './scheduler';
export type { ChargePointMode, PowerLimitMode, PowerLimit, SessionPowerLimit } from './lease';
export { powerLimitAt, failSafePowerW, chargePointMode } from './lease';
export type { SetChargingProfile } from './charging-profile';
export { buildChargingProfiles, isoFromMs } from './charging-profile';
export type { SiteStateMachine } from './state-machine';
export { createSiteStateMachine } from './state-machine';
export type {
  MachineDefinition,
  TransitionResult,
  EvseState,
  EvseEvent,
  EvState,
  EvEvent,
} from './transitions';
export {
  transition,
  allowedEvents,
  evseMachine,
  evseStates,
  evseEvents,
  evMachine,
  evStates,
  evEvents,
} from './transitions';

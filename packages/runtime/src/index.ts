export {
  ConfigError,
  envName,
  membershipOf,
  parseNodeSpecs,
  resolveProcessConfig,
  tickMsDefault,
  type ClusterMember,
  type ProcessConfig,
  type SiteSection,
  type ProcessConfigInput,
} from './config';
export { ClientFrameBatch, clientPackr } from './client-frames';
export {
  clientFrameRequestsMax,
  defaultRuntimeLimits,
  logLevels,
  type LogLevel,
  type NodeRole,
  type RuntimeLimits,
} from './constants';
export { createLogger, silentLogger, type Logger, type LoggerOptions } from './logger';
export { AppliedLog, type LogEntry } from './applied-log';
export { CommandLogStateMachine } from './command-log-state-machine';
export {
  ClientCalls,
  type CallOutcome,
  type CommandCheck,
  type CommandValidator,
  type ClientCallsOptions,
  type SettleCall,
} from './client-calls';
export { ReadyPipeline, type ReadySinks } from './ready-pipeline';
export { ClusterNode, type ClusterNodeCollaborators, type StatusView } from './cluster-node';
export {
  HttpApi,
  type HttpApiCollaborators,
  type UpgradeHandler,
  type ExtraRoutes,
  type ExtraRouteRequest,
  type ExtraRouteResponse,
} from './http-api';
export { NodeMetrics, type MetricsSources } from './metrics';
export { runNodeProcess, startNode, type RoleExtension, type RunningNode } from './process-main';
export {
  isGone,
  isNodeAlive,
  signalNode,
  startNodeProcess,
  writeJsonAtomically,
  type NodeProcessSpec,
} from './node-process';

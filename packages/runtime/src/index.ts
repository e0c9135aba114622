// The public API of @evpaxos/runtime: what the role packages, the launcher, the dashboard and the
// benchmark use of a node process; everything else stays inside the package (docs/STYLE.md rule 8).
export {
  ConfigError,
  configSection,
  parseNodeSpecs,
  resolveProcessConfig,
  type ClusterMember,
  type ConfigSection,
  type ProcessConfig,
} from './config';
export { defaultAcceptors } from './acceptors';
export { ClientFrameBatch, clientPackr } from './client-frames';
export { logLevels, type LogLevel, type NodeRole } from './constants';
export { createLogger, type Logger } from './logger';
export {
  commandsDigest,
  decidedSlotsOf,
  payloadType,
  type DecidedCommand,
  type DecidedSlot,
} from './decided-record';
export { ClusterNode } from './cluster-node';
export {
  tracedMessageTypes,
  type TraceEvent,
  type TraceView,
  type TracedMessageType,
} from './message-trace';
export type { CallOutcome } from './client-calls';
export type { FaultRule, LogEntry, LogView, StatsView, StatusView, SubmitView } from './api-types';
export type { ExtraRoutes, ExtraRouteRequest, ExtraRouteResponse } from './http-api';
export { runNodeProcess, type RoleExtension, type RunningNode } from './process-main';
export { isGone, isNodeAlive, signalNode, startNodeProcess } from './node-process';
export {
  processesPath,
  readProcessesFile,
  writeProcessesFile,
  type ProcessRecord,
  type ProcessesFile,
} from './processes-file';
export { API_TOKEN_ENV, API_TOKEN_FILE, ApiGuard, apiAuthHeaders, apiToken } from './api-auth';
export {
  HttpTimeoutError,
  httpJson,
  readApiToken,
  writeApiTokenFile,
  type HttpMethod,
  type HttpReply,
} from './api-client';

/** The local-cluster launcher: a library for the CLI commands and for integration tests. */
export {
  clusterDefaults,
  DOWN_GRACE_MS,
  EVPAXOS_BIN,
  LEARNER_V8_FLAGS,
  NODE_V8_FLAGS,
  nodeMallocEnv,
  type ClusterUpOptions,
} from './cluster-defaults';
export { clusterDown, type DownResult } from './cluster-down';
export {
  ClusterHandle,
  type NodeState,
  type NodeStatusRow,
  type SubmitOptions,
  type SubmitResult,
} from './cluster-handle';
export { clusterUp, openCluster } from './cluster-up';
export { LauncherError, type LauncherErrorCode } from './errors';
export { parsePartitionSpec, partitionRules } from './partition-spec';
export { readProcesses, type ProcessRecord, type ProcessesFile } from './process-table';
export { formatStatusTable } from './status-table';
export {
  addNode,
  changeMembership,
  readmissionOf,
  waitUntilLeaderReaches,
  type MembershipResult,
} from './membership';
export { TraceReader, formatTracedMessage, type TracedMessage } from './trace-reader';

/** The local-cluster launcher: a library for the CLI commands and for integration tests. */
export {
  ClusterHandle,
  clusterDefaults,
  clusterDown,
  clusterUp,
  openCluster,
  DOWN_GRACE_MS,
  type ClusterUpOptions,
  type DownResult,
  type NodeState,
  type NodeStatusRow,
  type SubmitOptions,
  type SubmitResult,
} from './cluster';
export { LauncherError, type LauncherErrorCode } from './errors';
export { parsePartitionSpec, partitionRules } from './partition-spec';
export { readProcesses, type ProcessRecord, type ProcessesFile } from './process-table';
export * from './api-types';
export { formatStatusTable } from './status-table';

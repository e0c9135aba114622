// The public API of @evpaxos/ev-emulator: scenarios (docs/SCENARIOS.md), the scaled clock, the EV
// runner and runScenario. The `evpaxos ev-emulator` command (packages/cli) is a thin wrapper.
export type {
  Scenario,
  EvSpec,
  EvNeedsSpec,
  ScenarioStep,
  StepAction,
  FaultAction,
  NodeFaultStep,
  PartitionStep,
  HealStep,
  ReserveStep,
  CancelReservationStep,
} from './scenario';
export {
  ScenarioError,
  validateScenario,
  parseScenarioText,
  stepActions,
  faultActions,
  SCENARIO_EVS_MAX,
  SCENARIO_STEPS_MAX,
  SCENARIO_MINUTES_MAX,
  SCENARIO_FILE_BYTES_MAX,
  DURATION_MINUTES_DEFAULT,
} from './scenario';
export { defaultScenario, defaultScenarioFor } from './default-scenario';
export { ScenarioClock, systemClock, SPEED_MAX, MS_PER_MINUTE, type RealClock } from './clock';
export {
  EvRunner,
  STATUS_INTERVAL_MS_DEFAULT,
  type EmulatorLogger,
  type EvLinkConnector,
  type EvRunnerOptions,
  type EvRunnerCollaborators,
  type EvSummary,
} from './ev-runner';
export {
  runScenario,
  readClusterFile,
  parseClusterInfo,
  RESERVATION_TIMEOUT_MS_DEFAULT,
  type ClusterInfo,
  type ClusterNodeInfo,
  type FaultController,
  type RunScenarioOptions,
  type RunScenarioCollaborators,
  type ScenarioReport,
  type StepOutcome,
} from './run-scenario';

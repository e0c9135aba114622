export { ballotZero, compareBallots, ballotToString, maxBallot, type Ballot } from './ballot';
export * from './types';
export type * from './messages';
export { messageTypes } from './messages';
export {
  ConfigError,
  defaultPaxosOptions,
  resolveConfig,
  type ClusterMembership,
  type NodeConfig,
  type PaxosOptions,
  type ResolvedConfig,
} from './config';
export { plantedBugs, isPlantedBug, type PlantedBug } from './bugs';
export { createPrng, randomInt, type Random } from './prng';
export type { Outbound, Ready, NodeEvent } from './outbox';
export type { ProposeResult, ProposerState } from './proposer';
export { acceptorStanding, type AcceptorStanding } from './acceptor-standing';
export { PaxosNode, emptyPersistedState, type NodeCollaborators, type NodeStatus } from './node';
export * from './sim';
export {
  ConfigurationHistory,
  applyReconfiguration,
  reconfigurationCommand,
  reconfigurationOf,
  reconfigurationPayloadType,
  hasQuorum,
  phase1CoversWindow,
  type Admission,
  type Configuration,
  type ConfigurationStep,
  type Reconfiguration,
} from './membership';

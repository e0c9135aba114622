import type { NodeId } from './types';
import type { PlantedBug } from './bugs';
import { quorumProblems } from './membership';

/**
 * Who is in the cluster. Every node learns: a proposer needs the decided prefix to lead, and an
 * acceptor compacts only what its own learner has applied. `learners` lists nodes that only learn.
 */
export interface ClusterMembership {
  readonly proposers: readonly NodeId[];
  readonly acceptors: readonly NodeId[];
  readonly learners?: readonly NodeId[];
  /**
   * Nodes that keep acceptor state without being in the first configuration, so a decided
   * reconfiguration can add them (docs/PAXOS.md, "Membership change"); they learn meanwhile.
   */
  readonly spares?: readonly NodeId[];
  /** Phase-1 quorum size; default: a majority of the acceptors. */
  readonly phase1Quorum?: number;
  /** Phase-2 quorum size; default: a majority of the acceptors. */
  readonly phase2Quorum?: number;
}

/** Every limit and timing of the core, counted in ticks or items. Defaults in `defaultPaxosOptions`. */
export interface PaxosOptions {
  /** A leader sends a heartbeat to the acceptors and the other proposers every this many ticks. */
  readonly heartbeatTicks: number;
  /**
   * A leader sends a heartbeat to the nodes that only learn every this many ticks: they watch no
   * leader (no lease, no election) and take from it only the leader's id and how far it decided
   * (catch-up after a missed Decide). docs/LIMITS.md, "Ticks on demand".
   */
  readonly learnerHeartbeatTicks: number;
  /**
   * A leader sends the slots it decided, with their values, to the nodes that only learn (neither
   * propose nor accept) gathered, at most one Decide every this many ticks: they are on no commit's
   * path, and each Decide wakes every one of them. 0: at the end of every step, like the other
   * proposers get them. docs/LIMITS.md, "Learners' Decide pace".
   */
  readonly learnerDecideTicks: number;
  /**
   * An acceptor answers at most one heartbeat of a leader every this many ticks (its first at
   * once): the answers only feed the leader's check quorum, which looks back 2 × T ticks, so one
   * every T / 2 keeps it fed at a third of the messages. docs/LIMITS.md, "Ticks on demand".
   */
  readonly heartbeatAckTicks: number;
  /**
   * A standby starts an election after [T, T + electionJitterTicks) ticks without a heartbeat
   * (randomized per wait); an acceptor that heard its leader within T ticks promises no other
   * proposer (leader-lease.ts). docs/LIMITS.md, "Election timing", says how T was chosen.
   */
  readonly electionTimeoutTicks: number;
  /** The spread of a standby's election timeout above electionTimeoutTicks (Raft §5.2). */
  readonly electionJitterTicks: number;
  /**
   * A standby asks the acceptors whether they would promise before it raises its ballot (Raft
   * §9.6 PreVote; pre-vote.ts). On by default; the simulator runs half its seeds without it, so what
   * only direct campaigns reach (duelling ballots) stays exercised.
   */
  readonly preVote: boolean;
  /** A candidate re-sends Prepare to silent acceptors after this many ticks. */
  readonly prepareRetryTicks: number;
  /** A leader re-sends Accept for an undecided slot after this many ticks. */
  readonly acceptRetryTicks: number;
  /** A learner re-asks for missing slots after this many ticks. */
  readonly catchupRetryTicks: number;
  /** Slots proposed but not yet decided, at most (the Phase 2 pipeline window). */
  readonly windowSlotsMax: number;
  /**
   * α: a reconfiguration decided in slot i takes effect at slot i + α, and a leader proposes at
   * most α slots past the applied prefix (docs/PAXOS.md, "Membership change"). A cluster constant:
   * every node must use the same α. At least windowSlotsMax, or the α limit cuts the window short.
   */
  readonly alphaSlots: number;
  /** Commands in one slot's batch, at most. */
  readonly batchCommandsMax: number;
  /**
   * Estimated bytes in one slot's batch (estimateBytes), at most; a single larger command still
   * gets a slot of its own. Keeps an Accept well inside the wire's frame limit (4 MiB).
   */
  readonly valueBytesMax: number;
  /** Commands waiting at the leader for a slot, at most; past that propose() answers overloaded. */
  readonly pendingCommandsMax: number;
  /** Decided entries in one catch-up reply, at most. */
  readonly catchupEntriesMax: number;
  /** Estimated bytes of the entries in one catch-up reply, at most (one entry always goes). */
  readonly catchupBytesMax: number;
  /** A learner takes a snapshot (and its acceptor compacts) every this many applied slots. */
  readonly snapshotEverySlots: number;
  /** Decided entries kept in memory below the latest snapshot, to serve short catch-ups cheaply. */
  readonly logTailSlots: number;
  /** Decided entries kept ahead of the applied prefix (out-of-order decisions), at most. */
  readonly decidedAheadSlotsMax: number;
  /** Applied seqs remembered per client above its contiguous floor, at most. */
  readonly clientSeqWindow: number;
  /** Client records in the duplicate table, at most; the least recently used is evicted. */
  readonly clientsMax: number;
}

export const defaultPaxosOptions: PaxosOptions = Object.freeze({
  heartbeatTicks: 3,
  /** Default: heartbeatTicks; the runtime's processes use electionTimeoutTicks (ClusterNode). */
  learnerHeartbeatTicks: 3,
  /** Default: every step (the simulator's seeds were tuned on it); a node process paces them. */
  learnerDecideTicks: 0,
  /** Default: electionTimeoutTicks / 2. */
  heartbeatAckTicks: 50,
  electionTimeoutTicks: 100,
  electionJitterTicks: 50,
  preVote: true,
  prepareRetryTicks: 6,
  acceptRetryTicks: 6,
  catchupRetryTicks: 6,
  windowSlotsMax: 64,
  alphaSlots: 64,
  batchCommandsMax: 64,
  valueBytesMax: 1024 * 1024,
  pendingCommandsMax: 4096,
  catchupEntriesMax: 256,
  catchupBytesMax: 2 * 1024 * 1024,
  snapshotEverySlots: 1024,
  logTailSlots: 256,
  decidedAheadSlotsMax: 1024,
  clientSeqWindow: 1024,
  clientsMax: 10_000,
});

export interface NodeConfig {
  readonly id: NodeId;
  readonly cluster: ClusterMembership;
  readonly options?: Partial<PaxosOptions>;
  /**
   * The incarnation of this node's acceptor state (its data dir's IDENTITY): 1 (the default) for
   * the state created with the node; more once it lost its state and started again, and then it
   * votes only after a decided in-place replace names it (acceptor-standing.ts).
   */
  readonly incarnation?: number;
  /** Only for proving the checkers: never set in a normal config. */
  readonly plantedBug?: PlantedBug;
}

/** A configuration after validation: everything explicit. */
export interface ResolvedConfig {
  readonly id: NodeId;
  readonly proposers: readonly NodeId[];
  /** The first configuration's acceptors (later ones come from the log: ConfigurationHistory). */
  readonly acceptors: readonly NodeId[];
  /** Every node of the cluster (all of them learn). */
  readonly learners: readonly NodeId[];
  readonly phase1Quorum: number;
  readonly phase2Quorum: number;
  readonly options: PaxosOptions;
  readonly isProposer: boolean;
  readonly isAcceptor: boolean;
  readonly incarnation: number;
  readonly plantedBug: PlantedBug | undefined;
}

export class ConfigError extends Error {
  readonly code = 'invalid-config';
  constructor(readonly problems: readonly string[]) {
    super(problems.join(' '));
    this.name = 'ConfigError';
  }
}

function isPositiveInteger(value: number): boolean {
  return Number.isInteger(value) && value >= 1;
}

/** The heartbeat paces against the failure detector (docs/LIMITS.md, "Ticks on demand"). */
function heartbeatPaceProblems(options: PaxosOptions): string[] {
  const problems: string[] = [];
  if (options.learnerHeartbeatTicks < options.heartbeatTicks) {
    problems.push(
      `learnerHeartbeatTicks (${options.learnerHeartbeatTicks}) must be at least heartbeatTicks ` +
        `(${options.heartbeatTicks}): learners need no more heartbeats than the failure detector.`,
    );
  }
  if (options.learnerDecideTicks > options.learnerHeartbeatTicks) {
    problems.push(
      `learnerDecideTicks (${options.learnerDecideTicks}) must be at most learnerHeartbeatTicks ` +
        `(${options.learnerHeartbeatTicks}): a heartbeat to learners sends what was gathered for them.`,
    );
  }
  if (options.heartbeatAckTicks > options.electionTimeoutTicks) {
    problems.push(
      `heartbeatAckTicks (${options.heartbeatAckTicks}) must be at most electionTimeoutTicks ` +
        `(${options.electionTimeoutTicks}), or the leader's check quorum (2 × T) may hear too few answers.`,
    );
  }
  return problems;
}

/** Validates a node's configuration: one sentence per broken rule, all of them at once. */
export function resolveConfig(config: NodeConfig): ResolvedConfig {
  const problems: string[] = [];
  const { cluster } = config;
  // The heartbeat paces follow heartbeatTicks and T unless given: a test or scenario with a short
  // election timeout gets paces that fit it. Learners get every heartbeat by default (the
  // simulator's planted-bug rates were tuned on that); a process sets learnerHeartbeatTicks.
  const electionTimeoutTicks =
    config.options?.electionTimeoutTicks ?? defaultPaxosOptions.electionTimeoutTicks;
  const options: PaxosOptions = {
    ...defaultPaxosOptions,
    learnerHeartbeatTicks: config.options?.heartbeatTicks ?? defaultPaxosOptions.heartbeatTicks,
    heartbeatAckTicks: Math.max(1, Math.floor(electionTimeoutTicks / 2)),
    ...config.options,
  };
  const acceptorCount = cluster.acceptors.length;
  const majority = Math.floor(acceptorCount / 2) + 1;
  const phase1Quorum = cluster.phase1Quorum ?? majority;
  const phase2Quorum = cluster.phase2Quorum ?? majority;

  if (acceptorCount === 0) problems.push('The cluster needs at least one acceptor.');
  if (cluster.proposers.length === 0) problems.push('The cluster needs at least one proposer.');
  const spares = cluster.spares ?? [];
  const all = [...cluster.proposers, ...cluster.acceptors, ...spares, ...(cluster.learners ?? [])];
  const learners = [...new Set(all)];
  if (new Set(cluster.acceptors).size !== acceptorCount)
    problems.push('An acceptor is listed twice.');
  if (new Set(cluster.proposers).size !== cluster.proposers.length) {
    problems.push('A proposer is listed twice.');
  }
  if (!learners.includes(config.id)) problems.push(`Node "${config.id}" is not in the cluster.`);
  if (learners.some((id) => id === '')) problems.push('A node id is empty.');
  problems.push(...quorumProblems(acceptorCount, phase1Quorum, phase2Quorum));
  for (const [name, value] of Object.entries(options)) {
    if (name === 'preVote') {
      if (typeof value !== 'boolean') problems.push('The option preVote must be true or false.');
    } else if (name === 'learnerDecideTicks') {
      if (!Number.isInteger(value) || (value as number) < 0) {
        problems.push(
          `The option ${name} (${String(value)}) must be a whole number of at least 0.`,
        );
      }
    } else if (!isPositiveInteger(value as number)) {
      problems.push(`The option ${name} (${String(value)}) must be a whole number of at least 1.`);
    }
  }
  // Relations between limits, asserted once here (docs/STYLE.md rule 3).
  problems.push(...heartbeatPaceProblems(options));
  if (options.heartbeatTicks >= options.electionTimeoutTicks) {
    problems.push(
      `heartbeatTicks (${options.heartbeatTicks}) must be below electionTimeoutTicks ` +
        `(${options.electionTimeoutTicks}), or standbys start elections against a live leader.`,
    );
  }
  if (options.alphaSlots < options.windowSlotsMax) {
    problems.push(
      `alphaSlots (${options.alphaSlots}) must be at least windowSlotsMax ` +
        `(${options.windowSlotsMax}), or the configuration window cuts the pipeline short.`,
    );
  }
  if (spares.some((id) => cluster.acceptors.includes(id))) {
    problems.push('A spare is already an acceptor.');
  }
  if (options.decidedAheadSlotsMax < options.windowSlotsMax) {
    problems.push(
      `decidedAheadSlotsMax (${options.decidedAheadSlotsMax}) must be at least windowSlotsMax ` +
        `(${options.windowSlotsMax}), or learners drop decisions of one pipeline window.`,
    );
  }
  if (options.catchupBytesMax < options.valueBytesMax) {
    problems.push(
      `catchupBytesMax (${options.catchupBytesMax}) must be at least valueBytesMax ` +
        `(${options.valueBytesMax}), or a full slot could not be caught up.`,
    );
  }
  if (options.batchCommandsMax > options.pendingCommandsMax) {
    problems.push(
      `batchCommandsMax (${options.batchCommandsMax}) must not exceed pendingCommandsMax (${options.pendingCommandsMax}).`,
    );
  }
  const incarnation = config.incarnation ?? 1;
  if (!Number.isSafeInteger(incarnation) || incarnation < 1) {
    problems.push(`The incarnation (${incarnation}) must be a whole number of at least 1.`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    id: config.id,
    proposers: cluster.proposers,
    acceptors: cluster.acceptors,
    learners,
    phase1Quorum,
    phase2Quorum,
    options,
    isProposer: cluster.proposers.includes(config.id),
    // A spare keeps acceptor state; it counts only in slots whose configuration names it.
    isAcceptor: cluster.acceptors.includes(config.id) || spares.includes(config.id),
    incarnation,
    plantedBug: config.plantedBug,
  };
}

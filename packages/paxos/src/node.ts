import { ballotZero, type Ballot } from './ballot';
import { Acceptor } from './acceptor';
import { acceptorStanding, describeStanding, type AcceptorStanding } from './acceptor-standing';
import type { Configuration } from './membership';
import { resolveConfig, type NodeConfig, type ResolvedConfig } from './config';
import { Learner } from './learner';
import type { Message } from './messages';
import { Outbox, type Ready } from './outbox';
import type { Random } from './prng';
import { Proposer, type ProposeResult, type ProposerState } from './proposer';
import type { Command, NodeId, PersistedState, Slot, StateMachine, Value } from './types';

/** What a node needs from outside: injected, so a seed replays a whole cluster. */
export interface NodeCollaborators {
  readonly stateMachine: StateMachine;
  /** A seeded PRNG (see createPrng): election timeouts are drawn from it. */
  readonly random: Random;
  /**
   * What the learner keeps of a slot's value once it is applied, for catch-up replies; it must
   * hold the same commands. Default: the value itself. The runtime passes the wire's encoding,
   * which a leader already made to send the Accepts: its tail of up to snapshotEverySlots +
   * logTailSlots slots then holds bytes, not 64 command objects per slot that the garbage
   * collector would promote and mark (docs/BENCHMARKS.md, "Issue 21: CPU per command").
   */
  readonly retainValue?: (value: Value) => Value;
}

export interface NodeStatus {
  readonly id: NodeId;
  readonly roles: readonly ('proposer' | 'acceptor' | 'learner')[];
  readonly proposerState: ProposerState | undefined;
  readonly ballot: Ballot | undefined;
  readonly leaderId: NodeId | undefined;
  readonly promised: Ballot | undefined;
  readonly appliedThrough: Slot;
  /** The leader's next new slot; for others, the first slot they have not applied. */
  readonly firstUndecidedSlot: Slot;
  readonly inFlightSlots: number;
  readonly pendingCommands: number;
  readonly acceptedSlots: number;
  readonly snapshotThrough: Slot | undefined;
  /** The acceptors of the slot this node applies next, and from which slot they hold. */
  readonly configuration: Configuration & { readonly fromSlot: Slot };
  /** A configuration decided but not yet in effect (α slots after its deciding slot), if any. */
  readonly nextConfiguration: (Configuration & { readonly fromSlot: Slot }) | undefined;
  /**
   * This node's vote: voting, joining, spare, catching-up, awaiting-readmission
   * (acceptor-standing.ts), or learner (no acceptor state at all).
   */
  readonly standing: string;
  /** The incarnation of its acceptor state (1 unless it was re-admitted after a disk loss). */
  readonly incarnation: number;
}

export const emptyPersistedState: PersistedState = Object.freeze({
  promised: ballotZero,
  accepted: [],
});

/**
 * One cluster member, composed of the roles its configuration gives it. Pure and deterministic:
 * no I/O, clock or randomness of its own. The caller's loop (etcd raft's, docs/STYLE.md):
 *
 *   node.step(from, message) | node.tick() | node.propose(command)
 *   const ready = node.takeReady();
 *   1. write ready.persist durably (fsync) — it must be on disk before step 2;
 *   2. send ready.messages;
 *   3. hand ready.applied to the application (results for clients, in slot order).
 *
 * A restarted node is built from exactly what step 1 wrote (PersistedState).
 */
export class PaxosNode {
  readonly config: ResolvedConfig;
  private readonly out: Outbox;
  private readonly acceptor: Acceptor | undefined;
  private readonly learner: Learner;
  private readonly proposer: Proposer | undefined;

  constructor(
    config: NodeConfig,
    collaborators: NodeCollaborators,
    persisted: PersistedState = emptyPersistedState,
  ) {
    this.config = resolveConfig(config);
    this.out = new Outbox(this.config.id);
    const acceptor = this.config.isAcceptor
      ? new Acceptor(
          this.config,
          this.out,
          persisted,
          () => this.learner.firstUnapplied,
          () => this.standingOf(),
        )
      : undefined;
    this.acceptor = acceptor;
    this.learner = new Learner(
      this.config,
      this.out,
      collaborators.stateMachine,
      persisted.snapshot,
      (appliedThrough) => acceptor?.compact(appliedThrough),
      (slot) => acceptor?.acceptedAt(slot),
      collaborators.retainValue,
    );
    this.proposer = this.config.isProposer
      ? new Proposer(
          this.config,
          this.out,
          this.learner,
          collaborators.random,
          () => acceptor !== undefined && this.standingOf().votes,
        )
      : undefined;
  }

  get id(): NodeId {
    return this.config.id;
  }

  /** The voting rule for this node's acceptor (acceptor-standing.ts). */
  private standingOf(): AcceptorStanding {
    return acceptorStanding({
      id: this.config.id,
      incarnation: this.config.incarnation,
      history: this.learner.configurations,
      firstUnapplied: this.learner.firstUnapplied,
    });
  }

  private lastStanding: string | undefined;

  /** Tells the caller (an event) when this node's vote changes: it starts or stops voting. */
  private noteStanding(): void {
    if (!this.acceptor) return;
    const standing = this.standingOf();
    const described = describeStanding(standing);
    if (described === this.lastStanding) return;
    this.lastStanding = described;
    this.out.event({
      type: 'standing-changed',
      standing: described,
      incarnation: this.config.incarnation,
      ...(standing.votes ? { fromSlot: standing.fromSlot } : {}),
    });
  }

  /** Delivers one message from a peer. Messages of roles this node lacks are ignored. */
  step(from: NodeId, message: Message): void {
    this.dispatch(from, message);
    // A catch-up may have moved the applied point: the leader's flow control may now allow more.
    this.proposer?.fillWindow();
    this.drainLocal();
  }

  /**
   * Delivers several messages, then proposes and drains once: one Ready for the lot, and the
   * slots they decide go out as one Decide per learner instead of one per message. The same as
   * stepping them one by one, except that the node's messages to itself wait until the end (as if
   * they were delayed, which the protocol tolerates).
   */
  stepAll(batch: readonly { readonly from: NodeId; readonly message: Message }[]): void {
    for (const { from, message } of batch) this.dispatch(from, message);
    this.proposer?.fillWindow();
    this.drainLocal();
  }

  /**
   * Submits several commands that arrived together; they share slots (up to batchCommandsMax per
   * slot) rather than each opening its own while the window has room. One result per command.
   */
  proposeAll(commands: readonly Command[]): ProposeResult[] {
    const proposer = this.proposer;
    if (!proposer) {
      return commands.map(() => ({ ok: false, code: 'not-leader', leaderId: undefined }));
    }
    const results = commands.map((command) => proposer.enqueue(command));
    proposer.fillWindow();
    this.drainLocal();
    return results;
  }

  /** One unit of logical time: heartbeats, elections, retransmissions, catch-up retries. */
  tick(): void {
    this.acceptor?.tick();
    this.proposer?.tick();
    this.learner.tick();
    this.noteStanding();
    this.drainLocal();
  }

  /**
   * How many ticks may pass before one does anything but count (≥ 1; Infinity: nothing is due):
   * a heartbeat or retransmission to send, an election timeout, a leader lease that lapses. A
   * runtime may then arm its timer for that deadline instead of ticking at a fixed rate, and call
   * `tick()` for the ticks that passed meanwhile (docs/LIMITS.md, "Ticks on demand"). Pure: it
   * reads the roles' counters and changes nothing.
   */
  ticksUntilDue(): number {
    // A change of this acceptor's standing is reported at the next tick (noteStanding).
    if (this.acceptor && describeStanding(this.standingOf()) !== this.lastStanding) return 1;
    return Math.min(
      this.acceptor?.ticksUntilDue() ?? Number.POSITIVE_INFINITY,
      this.proposer?.ticksUntilDue() ?? Number.POSITIVE_INFINITY,
      this.learner.ticksUntilDue(),
    );
  }

  /** Submits a command. Only the leader takes it; others say who leads, when they know. */
  propose(command: Command): ProposeResult {
    if (!this.proposer) return { ok: false, code: 'not-leader', leaderId: undefined };
    const result = this.proposer.propose(command);
    this.drainLocal();
    return result;
  }

  /**
   * The transport reports `id`'s connection closed (its process died, or the link was closed): a
   * standby that followed it pre-votes at once and acceptors end its lease (pre-vote.ts). Only ever
   * speeds up an election; safety never depends on it.
   */
  peerDown(id: NodeId): void {
    this.acceptor?.peerDown(id);
    this.proposer?.peerDown(id);
    this.drainLocal();
  }

  /** Starts an election now (a process's first start, a lab exercise, a test). */
  campaign(): void {
    this.proposer?.campaign();
    this.drainLocal();
  }

  hasReady(): boolean {
    return this.out.hasReady();
  }

  takeReady(): Ready {
    return this.out.take();
  }

  isLeader(): boolean {
    return this.proposer?.state === 'leader';
  }

  status(): NodeStatus {
    const roles: ('proposer' | 'acceptor' | 'learner')[] = [];
    if (this.proposer) roles.push('proposer');
    if (this.acceptor) roles.push('acceptor');
    roles.push('learner');
    const leading = this.proposer?.state === 'leader';
    return {
      id: this.config.id,
      roles,
      proposerState: this.proposer?.state,
      ballot: this.proposer?.currentBallot,
      // A proposer's own view only: through an election it names no leader, not the dead one
      // whose heartbeat came last (a central holds client calls while it knows none).
      leaderId: this.proposer ? this.proposer.knownLeader : this.learnerLeaderHint,
      promised: this.acceptor?.promisedBallot,
      appliedThrough: this.learner.appliedThrough,
      firstUndecidedSlot:
        leading && this.proposer ? this.proposer.firstFreeSlot : this.learner.firstUnapplied,
      inFlightSlots: this.proposer?.inFlightCount ?? 0,
      pendingCommands: this.proposer?.pendingCount ?? 0,
      acceptedSlots: this.acceptor?.acceptedCount ?? 0,
      snapshotThrough: this.learner.snapshot?.appliedThrough,
      ...this.configurationStatus(),
      standing: this.acceptor ? describeStanding(this.standingOf()) : 'learner',
      incarnation: this.config.incarnation,
    };
  }

  private configurationStatus(): Pick<NodeStatus, 'configuration' | 'nextConfiguration'> {
    const history = this.learner.configurations;
    const slot = this.learner.firstUnapplied;
    const steps = history.snapshotSteps;
    let current = steps[0]!;
    for (const step of steps) if (step.fromSlot <= slot) current = step;
    const last = steps[steps.length - 1]!;
    return {
      configuration: { ...current.configuration, fromSlot: current.fromSlot },
      nextConfiguration:
        last === current ? undefined : { ...last.configuration, fromSlot: last.fromSlot },
    };
  }

  /** The sender of the latest heartbeat, for nodes without a proposer. */
  private learnerLeaderHint: NodeId | undefined;

  private dispatch(from: NodeId, message: Message): void {
    switch (message.type) {
      case 'pre-vote':
        this.acceptor?.handlePreVote(from, message);
        break;
      case 'pre-vote-reply':
        this.proposer?.handlePreVoteReply(from, message);
        break;
      case 'prepare':
        this.acceptor?.handlePrepare(from, message);
        break;
      case 'accept':
        this.acceptor?.handleAccept(from, message);
        break;
      case 'promise':
        this.proposer?.handlePromise(from, message);
        break;
      case 'accepted':
        this.proposer?.handleAccepted(from, message);
        break;
      case 'nack':
        this.proposer?.handleNack(from, message);
        break;
      case 'heartbeat':
        this.learnerLeaderHint = from;
        this.acceptor?.handleHeartbeat(from, message);
        this.proposer?.handleHeartbeat(from, message);
        this.learner.noteDecidedBelow(from, message.decidedBelow);
        break;
      case 'heartbeat-ack':
        this.proposer?.handleHeartbeatAck(from, message);
        break;
      case 'decide':
        this.learner.handleDecide(from, message);
        break;
      case 'catchup-request':
        this.learner.handleCatchupRequest(from, message);
        break;
      case 'catchup-reply':
        this.learner.handleCatchupReply(from, message);
        break;
      default: {
        const unknown: never = message;
        throw new Error(`unhandled message ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** Messages a node sends itself (a proposer that is also an acceptor) are delivered here. */
  private drainLocal(): void {
    // Bounded: each local message is a reply to a local request, so this ends; the bound guards it.
    for (let round = 0; round < 1_000_000; round += 1) {
      const message = this.out.local.shift();
      if (!message) {
        this.proposer?.flushDecided();
        if (this.out.local.length === 0) return;
        continue;
      }
      this.dispatch(this.id, message);
    }
    throw new Error('Invariant: local message delivery did not settle');
  }
}

import { ballotZero, compareBallots, type Ballot } from './ballot';
import type { ResolvedConfig } from './config';
import { QuorumCheck } from './check-quorum';
import { DecidedOut } from './decided-out';
import { HeartbeatPace } from './heartbeat-pace';
import { HeldMessages } from './held-messages';
import { PreVote } from './pre-vote';
import { PromiseParts } from './promise-parts';
import type { Learner } from './learner';
import { hasQuorum, phase1CoversWindow, thriftyQuorum, type Configuration } from './membership';
import type * as M from './messages';
import type { Outbox } from './outbox';
import { randomInt, type Random } from './prng';
import { batchLength } from './batching';
import {
  commandKey,
  noop,
  type AcceptedEntry,
  type Command,
  type DecideEntry,
  type DecidedEntry,
  type NodeId,
  type Slot,
  type Value,
} from './types';

export type ProposerState = 'follower' | 'candidate' | 'leader';

export type ProposeResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'not-leader'; readonly leaderId: NodeId | undefined }
  | { readonly ok: false; readonly code: 'overloaded'; readonly pendingMax: number };

interface InFlight {
  readonly value: Value;
  readonly acks: Set<NodeId>;
  elapsedTicks: number;
}

/**
 * The proposer: a follower (standby) watching the leader's heartbeats, a candidate running Phase 1
 * once for every open slot, or the leader running Phase 2 pipelined and batched.
 * Paxos Made Moderately Complex §2 (leader, scout, commander), as one object per node.
 */
export class Proposer {
  private role: ProposerState = 'follower';
  /** The ballot this proposer last campaigned with (leads with, when leader). */
  private ballot: Ballot = ballotZero;
  /** The highest ballot seen anywhere: a new campaign goes above it. */
  private highestSeen: Ballot = ballotZero;
  /**
   * The highest ballot another node led or promised with, or this one led with: a follower
   * follows heartbeats from here up. Unlike highestSeen it skips this proposer's own campaigns,
   * so a candidate the acceptors refused (their leader's lease was live) follows that leader.
   */
  private highestFollowed: Ballot = ballotZero;
  private leaderId: NodeId | undefined;
  private electionElapsedTicks = 0;
  private electionTimeoutTicks: number;

  // Candidate state.
  private promises = new Map<NodeId, M.Promise>();
  /** Parts of promises that came in several messages, until every part is in. */
  private readonly promiseParts = new PromiseParts();
  /** Acceptors that refused this campaign because their leader's lease was live. */
  private leaseRefusals = new Set<NodeId>();
  private prepareFromSlot: Slot = 0;
  private prepareElapsedTicks = 0;

  // Leader state.
  private nextSlot: Slot = 0;
  private readonly inFlight = new Map<Slot, InFlight>();
  /** Recovered slots (Phase 1 results) waiting for room in the window, in slot order. */
  private recovery: { slot: Slot; value: Value }[] = [];
  private pending: Command[] = [];
  /** Keys of commands pending or in flight at this leader: a retry is not queued twice. */
  private readonly queuedKeys = new Set<string>();
  private readonly heartbeats: HeartbeatPace;
  private readonly quorumCheck: QuorumCheck;
  private readonly preVote = new PreVote();
  /** Slots chosen, with their values, on their way to the nodes that do not accept (decided-out.ts). */
  private readonly decidedOut: DecidedOut;
  /**
   * Commit notices (slot and ballot, no value) for the other acceptors, held until an Accept that
   * is proposed while another slot is in flight goes to them (one frame: Paxos Made Live §4.2's
   * piggybacking, Raft's commit index), or the tick. A lone slot's Accept goes without them: the
   * acceptor then answers it without first applying the slots they name, and applies a tick's
   * worth at once (docs/PROTOCOL.md, "Notices at low load wait for the tick").
   */
  private noticesOut: DecideEntry[] = [];
  private readonly held: HeldMessages; // thrifty Accepts' held copies (held-messages.ts)
  /**
   * The acceptors that accepted the last decided slot, in the order they answered (that slot's
   * ack set, no longer changed once it is decided); after an election, those that promised.
   */
  private answeredFirst: Iterable<NodeId> = [];
  /** The acceptors that promised this leader's ballot: its Phase 1 covers their configurations. */
  private promisedBy = new Set<NodeId>();

  constructor(
    private readonly config: ResolvedConfig,
    private readonly out: Outbox,
    private readonly learner: Learner,
    private readonly random: Random,
    /** Whether its own acceptor votes now (acceptor-standing.ts): CheckQuorum counts only voters. */
    private readonly selfVotes: () => boolean = () => config.isAcceptor,
  ) {
    this.electionTimeoutTicks = this.randomElectionTimeout();
    if (config.options.preVote) this.preVote.armStartup(config.options, this.electionTimeoutTicks);
    this.quorumCheck = new QuorumCheck(2 * config.options.electionTimeoutTicks);
    this.heartbeats = new HeartbeatPace(config.options);
    this.held = new HeldMessages(out);
    this.decidedOut = new DecidedOut(config, out, (slot) => this.configFor(slot));
  }

  /** The configuration that decides `slot` (final within the α-window: docs/PAXOS.md). */
  private configFor(slot: Slot): Configuration {
    return this.learner.configurations.configurationFor(slot);
  }

  /** The last slot a proposer may propose in now: Lamport's α-window past the applied prefix. */
  private get windowEnd(): Slot {
    return this.learner.configurations.proposableThrough(this.learner.firstUnapplied);
  }

  /** The acceptors of every configuration from the first unapplied slot to the window's end. */
  private get windowAcceptors(): readonly NodeId[] {
    return this.learner.configurations.acceptorsBetween(
      this.learner.firstUnapplied,
      this.windowEnd,
    );
  }

  get state(): ProposerState {
    return this.role;
  }

  get currentBallot(): Ballot {
    return this.ballot;
  }

  get knownLeader(): NodeId | undefined {
    return this.role === 'leader' ? this.config.id : this.leaderId;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  get firstFreeSlot(): Slot {
    return this.nextSlot;
  }

  private randomElectionTimeout(): number {
    // Raft §5.2's randomized timeouts, counted in ticks: [T, T + jitter) makes a split vote
    // unlikely, and every failed campaign draws a new one (no endless duel between two proposers).
    const { electionTimeoutTicks: base, electionJitterTicks: jitter } = this.config.options;
    return randomInt(this.random, base, base + jitter - 1);
  }

  private observe(ballot: Ballot): void {
    if (compareBallots(ballot, this.highestSeen) > 0) this.highestSeen = ballot;
    if (compareBallots(ballot, this.highestFollowed) > 0) this.highestFollowed = ballot;
  }

  propose(command: Command): ProposeResult {
    const result = this.enqueue(command);
    if (result.ok) this.fillWindow();
    return result;
  }

  /**
   * Queues a command without filling the window: the caller proposes several, then calls
   * fillWindow() once, so commands that arrived together share a slot (PMMC §4, batching) instead
   * of each taking its own slot while the window has room.
   */
  enqueue(command: Command): ProposeResult {
    if (this.role !== 'leader') return { ok: false, code: 'not-leader', leaderId: this.leaderId };
    const key = commandKey(command);
    if (this.queuedKeys.has(key)) return { ok: true };
    if (this.pending.length >= this.config.options.pendingCommandsMax) {
      return { ok: false, code: 'overloaded', pendingMax: this.config.options.pendingCommandsMax };
    }
    this.pending.push(command);
    this.queuedKeys.add(key);
    return { ok: true };
  }

  /** Starts Phase 1 now with a ballot above every one seen. */
  campaign(): void {
    this.ballot = { round: this.highestSeen.round + 1, proposerId: this.config.id };
    this.highestSeen = this.ballot; // not highestFollowed: no one promised it yet
    this.role = 'candidate';
    this.leaderId = undefined;
    this.promises = new Map();
    this.promiseParts.clear();
    this.leaseRefusals = new Set();
    this.prepareFromSlot = this.learner.firstUnapplied;
    this.prepareElapsedTicks = 0;
    this.electionElapsedTicks = 0;
    this.electionTimeoutTicks = this.randomElectionTimeout();
    this.out.event({ type: 'became-candidate', ballot: this.ballot });
    const fromSlot = this.prepareFromSlot;
    this.out.sendAll(this.windowAcceptors, { type: 'prepare', ballot: this.ballot, fromSlot });
  }

  /** Asks the acceptors whether they would promise (pre-vote.ts) before raising any ballot. */
  private startPreVote(): void {
    const ballot = { round: this.highestSeen.round + 1, proposerId: this.config.id };
    this.preVote.start(ballot);
    this.electionElapsedTicks = 0;
    // After a crash report, ask again soon; otherwise wait a whole (randomized) election timeout.
    this.electionTimeoutTicks = this.preVote.isLeaderGone
      ? this.config.options.prepareRetryTicks
      : this.randomElectionTimeout();
    this.out.sendAll(this.windowAcceptors, { type: 'pre-vote', ballot });
  }

  handlePreVoteReply(from: NodeId, message: M.PreVoteReply): void {
    if (this.role !== 'follower' || !message.granted) return;
    const grants = this.preVote.grant(from, message.ballot);
    if (grants === undefined) return;
    // The same quorums as the campaign's own Phase 1: it could win, so it may start.
    const { configurations, firstUnapplied } = this.learner;
    if (phase1CoversWindow(configurations, firstUnapplied, this.windowEnd, grants)) {
      this.preVote.cancel();
      this.campaign();
    }
  }

  /**
   * `id`'s link closed: if it led (or may have: none known yet), pre-vote — at once if this is the
   * first of the other proposers, a few ticks later per rank otherwise (two standbys that heard of
   * the crash together do not both campaign; the wait was measured as ~35 ms of a failover).
   */
  peerDown(id: NodeId): void {
    const led = this.leaderId === id || (!this.leaderId && this.config.proposers.includes(id));
    if (this.role !== 'follower' || !led) return;
    this.preVote.markLeaderGone();
    this.leaderId = undefined;
    const rank = this.config.proposers.filter((p) => p !== id).indexOf(this.config.id);
    if (rank <= 0) return this.config.options.preVote ? this.startPreVote() : this.campaign();
    this.electionElapsedTicks = 0;
    this.preVote.startupTicks = undefined; // a restarted standby too: not its startup's wait
    const { heartbeatTicks } = this.config.options;
    this.electionTimeoutTicks = rank * heartbeatTicks + randomInt(this.random, 1, heartbeatTicks);
  }

  tick(): void {
    switch (this.role) {
      case 'follower':
        this.electionElapsedTicks += 1;
        if (this.electionElapsedTicks < (this.preVote.startupTicks ?? this.electionTimeoutTicks))
          break;
        if (this.config.options.preVote) this.startPreVote();
        else this.campaign();
        break;
      case 'candidate':
        this.prepareElapsedTicks += 1;
        if (this.prepareElapsedTicks >= this.config.options.prepareRetryTicks) {
          this.prepareElapsedTicks = 0;
          // What was caught up since is decided: ask only from there (promises already in hand
          // report from lower slots, a superset; becomeLeader skips decided slots).
          this.prepareFromSlot = Math.max(this.prepareFromSlot, this.learner.firstUnapplied);
          const silent = this.windowAcceptors.filter((id) => !this.promises.has(id));
          const fromSlot = this.prepareFromSlot;
          this.out.sendAll(silent, { type: 'prepare', ballot: this.ballot, fromSlot });
        }
        break;
      case 'leader':
        this.tickLeader();
        break;
    }
    this.decidedOut.tick();
    this.flushNotices();
  }

  /** PaxosNode.ticksUntilDue: the (pre-)vote timeout, the Prepare retry, a leader's next duty. */
  ticksUntilDue(): number {
    const { prepareRetryTicks, acceptRetryTicks } = this.config.options;
    // Commit notices and thrifty Accepts wait for the next tick.
    const waiting = this.noticesOut.length + this.held.size > 0;
    const retries = [...this.inFlight.values()].map((f) => acceptRetryTicks - f.elapsedTicks);
    const { acceptors, phase2Quorum } = this.configFor(this.learner.firstUnapplied);
    const checkDue = this.quorumCheck.ticksUntilDue(acceptors, phase2Quorum);
    const timeout = this.preVote.startupTicks ?? this.electionTimeoutTicks;
    const due: Record<ProposerState, number> = {
      follower: timeout - this.electionElapsedTicks,
      candidate: prepareRetryTicks - this.prepareElapsedTicks,
      leader: waiting ? 1 : Math.min(this.heartbeats.ticksUntilDue, checkDue, ...retries),
    };
    return Math.max(1, Math.min(due[this.role], this.decidedOut.ticksUntilDue));
  }

  private tickLeader(): void {
    const { acceptRetryTicks } = this.config.options;
    // Held Accepts and notices ahead of the heartbeat: its decidedBelow would otherwise send
    // acceptors to catch-up for slots whose Accept or notice is still waiting here.
    this.flushNotices();
    this.held.flush();
    const { acceptors, phase2Quorum } = this.configFor(this.learner.firstUnapplied);
    const decidedBelow = this.learner.firstUnapplied;
    const to = this.heartbeats.tick(
      this.config.learners,
      this.config.id,
      acceptors,
      this.config.proposers,
    );
    if (to) {
      // Its decidedBelow must not reach a learner ahead of the slots gathered for it (a catch-up).
      if (this.decidedOut.reachesLearners(to)) this.decidedOut.flushLearners();
      this.out.sendAll(to, { type: 'heartbeat', ballot: this.ballot, decidedBelow });
    }
    for (const [slot, flight] of this.inFlight) {
      flight.elapsedTicks += 1;
      if (flight.elapsedTicks < acceptRetryTicks) continue;
      flight.elapsedTicks = 0;
      const silent = this.configFor(slot).acceptors.filter((id) => !flight.acks.has(id));
      this.out.sendAll(silent, { type: 'accept', ballot: this.ballot, slot, value: flight.value });
    }
    // CheckQuorum (check-quorum.ts): no phase-2 quorum heard for an election timeout, step down.
    if (this.selfVotes()) this.quorumCheck.heard(this.config.id);
    if (!this.quorumCheck.tick(acceptors, phase2Quorum)) {
      this.becomeFollower(this.ballot, undefined, 'check-quorum');
    }
  }

  handlePromise(from: NodeId, message: M.Promise): void {
    if (this.role !== 'candidate' || compareBallots(message.ballot, this.ballot) !== 0) return;
    const countFirstPart = this.config.plantedBug === 'proposer-counts-first-part';
    const whole = this.promiseParts.assemble(from, message, countFirstPart);
    if (whole === undefined) return;
    this.promises.set(from, whole);
    // A phase-1 quorum of every configuration in the α-window (old and new set after a change).
    const { configurations, firstUnapplied } = this.learner;
    if (phase1CoversWindow(configurations, firstUnapplied, this.windowEnd, this.promises.keys())) {
      this.becomeLeader();
    }
  }

  handleAccepted(from: NodeId, message: M.Accepted): void {
    if (this.role !== 'leader' || compareBallots(message.ballot, this.ballot) !== 0) return;
    this.quorumCheck.heard(from);
    const flight = this.inFlight.get(message.slot);
    if (!flight) return;
    if (message.slot <= this.learner.appliedThrough) {
      // Decided and applied meanwhile (a snapshot installed): its configuration may be compacted.
      this.inFlight.delete(message.slot);
      for (const command of flight.value.commands) this.queuedKeys.delete(commandKey(command));
      this.fillWindow();
      return;
    }
    // Only the slot's own configuration counts (Lamport, "Reconfiguring a State Machine").
    const configuration = this.configFor(message.slot);
    if (!configuration.acceptors.includes(from)) return;
    flight.acks.add(from);
    const needed =
      this.config.plantedBug === 'commit-without-quorum'
        ? Math.max(1, configuration.phase2Quorum - 1)
        : configuration.phase2Quorum;
    // Paxos Made Simple §2.3: a value is chosen once a quorum of acceptors has accepted it.
    if (flight.acks.size < needed) return;
    this.inFlight.delete(message.slot);
    this.answeredFirst = flight.acks;
    for (const command of flight.value.commands) this.queuedKeys.delete(commandKey(command));
    const entry: DecidedEntry = { slot: message.slot, ballot: this.ballot, value: flight.value };
    this.decidedOut.push(entry);
    this.noticesOut.push({ slot: message.slot, ballot: this.ballot });
    // Bounded: a window's worth at most waits for the next Accept or tick.
    if (this.noticesOut.length >= this.config.options.windowSlotsMax) this.flushNotices();
    this.out.event({
      type: 'slot-decided',
      slot: message.slot,
      ballot: this.ballot,
      acceptedBy: [...flight.acks],
    });
    this.learner.learnLocal(entry);
    this.fillWindow();
  }

  handleNack(from: NodeId, message: M.Nack): void {
    this.observe(message.promised);
    if (this.role === 'follower') return;
    if (compareBallots(message.ballot, this.ballot) !== 0) return;
    if (message.decidedBelow !== undefined && this.role === 'candidate') {
      // Far behind: learn the decided slots first; the next Prepare goes from further on.
      this.learner.requestCatchupFrom(from, message.decidedBelow);
      return;
    }
    if (message.leaseLive === true && this.role === 'candidate') {
      this.handleLeaseRefusal(from, message);
      return;
    }
    const order = compareBallots(message.promised, this.ballot);
    if (order === 0 && this.role === 'candidate' && !this.promises.has(from)) {
      // Our own ballot, already promised: a Promise that was lost, or this proposer's previous
      // life (Acceptor.handlePrepare). Either way, campaign again above it.
      this.campaign();
      return;
    }
    if (order <= 0) return;
    // Paxos Made Simple §2.5: a proposer that learns of a higher ballot abandons its own.
    this.becomeFollower(message.promised, message.promised.proposerId);
  }

  /**
   * Leader stickiness (Raft §9.6): an acceptor still hears the leader of `promised`. Once so many
   * refused that the rest cannot make a phase-1 quorum, this campaign cannot win while that leader
   * lives: follow it instead, and campaign again only after an election timeout without its
   * heartbeats. The acceptors that did promise keep this ballot, so the next campaign goes above.
   */
  private handleLeaseRefusal(from: NodeId, message: M.Nack): void {
    this.leaseRefusals.add(from);
    const stillPossible = this.config.acceptors.length - this.leaseRefusals.size;
    if (stillPossible >= this.config.phase1Quorum) return;
    this.becomeFollower(message.promised, message.promised.proposerId);
  }

  handleHeartbeat(from: NodeId, message: M.Heartbeat): void {
    this.observe(message.ballot);
    if (compareBallots(message.ballot, this.ballot) < 0 && this.role !== 'follower') return;
    if (compareBallots(message.ballot, this.highestFollowed) < 0) return;
    if (this.role !== 'follower' && compareBallots(message.ballot, this.ballot) > 0) {
      this.becomeFollower(message.ballot, from);
    }
    this.leaderId = from;
    this.electionElapsedTicks = 0;
    this.preVote.cancel();
  }

  handleHeartbeatAck(from: NodeId, message: M.HeartbeatAck): void {
    if (this.role === 'leader' && compareBallots(message.ballot, this.ballot) === 0) {
      this.quorumCheck.heard(from);
    }
  }

  private becomeFollower(
    higher: Ballot,
    leaderId: NodeId | undefined,
    reason?: 'check-quorum',
  ): void {
    this.observe(higher);
    const wasLeader = this.role === 'leader';
    this.flushNotices(); // what was chosen stays chosen: tell the acceptors before going quiet
    this.decidedOut.flushLearners(); // and the learners
    this.held.flush();
    this.role = 'follower';
    this.leaderId = leaderId;
    this.electionElapsedTicks = 0;
    this.electionTimeoutTicks = this.randomElectionTimeout();
    this.promises = new Map();
    this.promiseParts.clear();
    this.leaseRefusals = new Set();
    if (wasLeader) {
      // Undecided work is abandoned: the next leader's Phase 1 recovers it, or clients retry.
      this.inFlight.clear();
      this.recovery = [];
      this.pending = [];
      this.queuedKeys.clear();
    }
    this.out.event({
      type: 'became-follower',
      ballot: higher,
      leaderId,
      ...(reason && { reason }),
    });
  }

  private becomeLeader(): void {
    const merged = new Map<Slot, AcceptedEntry>();
    let truncatedBelow = 0;
    let truncatedBy: NodeId | undefined;
    for (const [from, promise] of this.promises) {
      if (promise.truncatedBelow > truncatedBelow) {
        truncatedBelow = promise.truncatedBelow;
        truncatedBy = from;
      }
      for (const entry of promise.accepted) {
        const known = merged.get(entry.slot);
        if (!known || compareBallots(entry.ballot, known.ballot) > 0) merged.set(entry.slot, entry);
      }
    }
    this.role = 'leader';
    this.leaderId = this.config.id;
    this.highestFollowed = this.ballot; // a phase-1 quorum promised it
    // Those that promised are known to be up: the first thrifty quorum comes from them.
    this.answeredFirst = [...this.promises.keys()];
    this.heartbeats.restart(); // announce at the next tick, to every node
    this.quorumCheck.restart(this.promises.keys());
    this.promisedBy = new Set(this.promises.keys());
    this.out.event({ type: 'became-leader', ballot: this.ballot });

    const start = Math.max(this.learner.firstUnapplied, truncatedBelow);
    if (truncatedBy !== undefined && this.learner.firstUnapplied < truncatedBelow) {
      // Those slots were chosen and compacted by an acceptor: learn them, never propose in them.
      this.learner.requestCatchupFrom(truncatedBy, truncatedBelow);
    }
    let maxAcceptedSlot = start - 1;
    for (const slot of merged.keys()) if (slot > maxAcceptedSlot) maxAcceptedSlot = slot;
    this.recovery = [];
    for (let slot = start; slot <= maxAcceptedSlot; slot += 1) {
      if (this.learner.isDecided(slot)) continue;
      // Paxos Made Simple §2.2 (P2c): propose the value of the highest-numbered proposal reported
      // by the quorum, or any value (a no-op fills the hole) when none was reported.
      let value = merged.get(slot)?.value ?? noop;
      if (this.config.plantedBug === 'proposer-ignores-accepted') value = noop;
      this.recovery.push({ slot, value });
    }
    this.nextSlot = maxAcceptedSlot + 1;
    this.promises = new Map();
    this.promiseParts.clear();
    this.fillWindow();
  }

  /**
   * Proposes recovered slots first, then new batches, while the window has room. Flow control: never
   * beyond decidedAheadSlotsMax past this node's own applied point, so every slot this leader
   * decides is kept by its own learner (and served to others) — a lagging leader catches up first.
   */
  fillWindow(): void {
    if (this.role !== 'leader') return;
    const { windowSlotsMax, decidedAheadSlotsMax } = this.config.options;
    const slotLimit = Math.min(this.learner.appliedThrough + decidedAheadSlotsMax, this.windowEnd);
    while (this.inFlight.size < windowSlotsMax) {
      let slot: Slot;
      let value: Value;
      const recovered = this.recovery[0];
      const nextSlot = recovered?.slot ?? this.nextSlot;
      if (nextSlot <= slotLimit && !hasQuorum(this.configFor(nextSlot), this.promisedBy, 1)) {
        // A new configuration entered the α-window: its acceptors never promised this ballot.
        this.recampaign();
        return;
      }
      if (recovered) {
        if (recovered.slot > slotLimit) return;
        this.recovery.shift();
        ({ slot, value } = recovered);
        for (const command of value.commands) this.queuedKeys.add(commandKey(command));
      } else if (this.pending.length > 0 && this.nextSlot <= slotLimit) {
        slot = this.nextSlot;
        this.nextSlot += 1;
        value = {
          commands: this.pending.splice(0, batchLength(this.pending, this.config.options)),
        };
      } else {
        return;
      }
      const configuration = this.configFor(slot);
      const thrifty = this.inFlight.size === 0;
      this.inFlight.set(slot, { value, acks: new Set(), elapsedTicks: 0 });
      const accept: M.Accept = { type: 'accept', ballot: this.ballot, slot, value };
      if (thrifty) {
        // Alone: to a bare quorum, without the pending notices (they leave at the tick).
        const quorum = thriftyQuorum(configuration, this.config.id, this.answeredFirst);
        for (const id of configuration.acceptors) {
          if (quorum.includes(id)) this.out.send(id, accept);
          else this.held.hold(id, accept);
        }
      } else {
        // Under load: notices and held messages ahead of the Accept, in one frame to each acceptor.
        this.flushNotices();
        this.held.flush();
        this.out.sendAll(configuration.acceptors, accept);
      }
    }
  }

  /** Phase 1 again, reaching a new configuration's acceptors; Phase 1 recovers what was in flight. */
  private recampaign(): void {
    this.flushNotices();
    this.held.flush();
    for (const { value } of [...this.inFlight.values(), ...this.recovery])
      for (const command of value.commands) this.queuedKeys.delete(commandKey(command));
    this.inFlight.clear();
    this.recovery = [];
    this.campaign();
  }

  /** The end of a step: the slots chosen in it go, with their values, to the nodes that do not accept. */
  flushDecided(): void {
    this.decidedOut.flushStep();
  }

  /** Sends the pending commit notices to the acceptors: one Decide object, encoded once. */
  private flushNotices(): void {
    if (this.noticesOut.length === 0) return;
    const message: M.Decide = { type: 'decide', entries: this.noticesOut };
    const { acceptors } = this.configFor(this.noticesOut[0]!.slot);
    this.noticesOut = [];
    for (const to of acceptors.filter((id) => id !== this.config.id)) {
      // Behind a held Accept: the notice must not reach an acceptor before the value it names.
      if (this.held.has(to)) this.held.hold(to, message);
      else this.out.send(to, message);
    }
  }
}

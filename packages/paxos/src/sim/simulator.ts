import { ballotToString } from '../ballot';
import type { PlantedBug } from '../bugs';
import { defaultPaxosOptions } from '../config';
import type { Message } from '../messages';
import { PaxosNode } from '../node';
import { createPrng, pick, randomInt, range, type Random } from '../prng';
import { commandKey, type Command, type NodeId } from '../types';
import { Checkers, type Property, type Violation } from './checkers';
import { SimDisk } from './disk';
import { RecordingStateMachine } from './recording-state-machine';
import {
  drawScenario,
  faultKinds,
  formatScenario,
  type FaultKind,
  type SimScenario,
  type SwarmPins,
} from './swarm';
import { describeMessage } from './describe-message';
import { drawPartition } from './partitions';
import { MembershipOperator, liveEnough } from './membership-operator';
import type { ClientCommand, InTransit, SimNode } from './sim-node';
import { probeStickyLeader } from './sticky-leader';

/**
 * A run's options. The cluster shape, limits and fault mix are drawn from the seed (swarm.ts);
 * the SwarmPins fields given here pin those dimensions instead.
 */
export interface SimOptions extends SwarmPins {
  readonly seed: number;
  /** The faults a seed may draw from (each seed leaves some out). */
  readonly faults: ReadonlySet<FaultKind>;
  readonly bug?: PlantedBug;
  /** Faults happen during the first faultTicks ticks; then everything heals. */
  readonly faultTicks: number;
  /** After the heal, every command must be applied everywhere within this many ticks. */
  readonly livenessTicksMax: number;
  /** Receives one line per event (send, deliver, drop, crash, …) when set. */
  readonly trace?: (line: string) => void;
}

export const defaultSimOptions: Omit<SimOptions, 'seed'> = {
  faults: new Set(faultKinds),
  faultTicks: 500,
  livenessTicksMax: 1500,
};

export interface SimResult {
  readonly seed: number;
  /** What the seed drew: print it with formatScenario. */
  readonly scenario: SimScenario;
  /** How often each property was actually checked; 0 means the run says nothing about it. */
  readonly exercised: Readonly<Record<Property, number>>;
  readonly ticks: number;
  readonly commandsSubmitted: number;
  readonly commandsDecided: number;
  readonly violations: readonly Violation[];
  readonly leaderChanges: number;
  readonly messagesSent: number;
  readonly messagesDelivered: number;
  readonly crashes: number;
  /** Acceptors whose persisted state the disk-loss fault wiped. */
  readonly diskLosses: number;
  readonly pauses: number;
  readonly partitions: number;
  /** Reconfigurations the log decided that changed the acceptors (membership fault). */
  readonly reconfigurations: number;
  readonly snapshotsInstalled: number;
}

const pauseTicks = { min: 5, max: 60 } as const;

/**
 * A deterministic simulation of a whole cluster: every node, message, fault and client action comes
 * from one seed, so a failing seed replays exactly (TigerBeetle's VOPR, FoundationDB's simulation).
 */
export class Simulation {
  private readonly random: Random;
  private readonly options: SimOptions;
  private readonly scenario: SimScenario;
  private readonly faults: ReadonlySet<FaultKind>;
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly proposerIds: NodeId[];
  private readonly acceptorIds: NodeId[];
  private readonly learnerIds: NodeId[];
  private readonly spareIds: NodeId[];
  private readonly operator: MembershipOperator;
  private inTransit: InTransit[] = [];
  private sendOrder = 0;
  private tickCount = 0;
  private healed = false;
  /** Directed links that drop everything: "from>to". */
  private blocked = new Set<string>();
  private partitionActive = false;
  private readonly checkers: Checkers;
  private readonly commands: ClientCommand[] = [];
  private readonly outstanding = new Map<string, ClientCommand>();
  private readonly nextSeq: number[] = [];
  private leaderHint: NodeId | undefined;
  /** The node that last became leader: the leader-aimed crashes pick it. */
  private latestLeader: NodeId | undefined;
  private stats = {
    leaderChanges: 0,
    messagesSent: 0,
    messagesDelivered: 0,
    crashes: 0,
    diskLosses: 0,
    pauses: 0,
    partitions: 0,
    snapshotsInstalled: 0,
  };

  constructor(options: SimOptions) {
    this.options = options;
    this.scenario = drawScenario(options.seed, options.faults, options);
    this.faults = new Set(this.scenario.faults);
    this.random = createPrng(options.seed);
    this.trace(formatScenario(this.scenario));
    this.proposerIds = range(this.scenario.proposers).map((i) => `p${i + 1}`);
    this.acceptorIds = range(this.scenario.acceptors).map((i) => `a${i + 1}`);
    this.learnerIds = range(this.scenario.learners).map((i) => `l${i + 1}`);
    this.spareIds = range(this.scenario.spares).map((i) => `s${i + 1}`);
    const { phase1Quorum, phase2Quorum, paxosOptions } = this.scenario;
    this.checkers = new Checkers(
      options.seed,
      () => this.tickCount,
      { acceptors: this.acceptorIds, phase1Quorum, phase2Quorum },
      paxosOptions.alphaSlots ?? defaultPaxosOptions.alphaSlots,
    );
    this.operator = new MembershipOperator(this.random, [...this.acceptorIds, ...this.spareIds]);
    const ids = [...this.proposerIds, ...this.acceptorIds, ...this.learnerIds, ...this.spareIds];
    for (const id of ids) {
      const simNode: SimNode = {
        id,
        disk: new SimDisk(),
        node: undefined,
        stateMachine: new RecordingStateMachine(),
        restartAtTick: 0,
        pausedUntilTick: 0,
        stalledUntilTick: 0,
      };
      this.nodes.set(id, simNode);
      this.start(simNode);
    }
    for (let client = 0; client < this.scenario.clients; client += 1) this.nextSeq.push(1);
  }

  private trace(line: string): void {
    this.options.trace?.(`[${String(this.tickCount).padStart(5)}] ${line}`);
  }

  private has(fault: FaultKind): boolean {
    return !this.healed && this.faults.has(fault);
  }

  private start(simNode: SimNode): void {
    const persisted = simNode.disk.read();
    simNode.stateMachine = new RecordingStateMachine();
    simNode.node = new PaxosNode(
      {
        id: simNode.id,
        cluster: {
          proposers: this.proposerIds,
          acceptors: this.acceptorIds,
          learners: this.learnerIds,
          spares: this.spareIds,
          phase1Quorum: this.scenario.phase1Quorum,
          phase2Quorum: this.scenario.phase2Quorum,
        },
        options: this.scenario.paxosOptions,
        ...(this.options.bug ? { plantedBug: this.options.bug } : {}),
      },
      // Each node draws from its own PRNG, seeded from the simulation's: deterministic per seed.
      {
        stateMachine: simNode.stateMachine,
        random: createPrng(Math.floor(this.random() * 2 ** 32)),
      },
      persisted,
    );
    this.checkers.resetNode(simNode.id, persisted.snapshot?.appliedThrough ?? -1);
  }

  /** Persist, then send, then apply: the order the Ready contract demands. */
  private processReady(simNode: SimNode): void {
    const node = simNode.node;
    if (!node || !node.hasReady()) return;
    const ready = node.takeReady();
    if (ready.persist) {
      simNode.disk.write(ready.persist);
      // FoundationDB-style "buggify": crash at the worst moment, after a write is durable and
      // before the messages it justifies leave. A restarted node must cope with either outcome.
      if (this.has('crash') && this.random() < this.scenario.rates.crashAfterWriteProbability) {
        this.crash(simNode);
        return;
      }
    }
    for (const event of ready.events) {
      if (event.type === 'became-leader') {
        this.stats.leaderChanges += 1;
        this.leaderHint = simNode.id;
        this.latestLeader = simNode.id;
        this.trace(`${simNode.id} leads with ballot ${ballotToString(event.ballot)}`);
      } else if (event.type === 'slot-decided') {
        this.checkers.checkDecision(simNode.id, event.slot, event.acceptedBy);
      } else if (event.type === 'snapshot-installed') {
        this.stats.snapshotsInstalled += 1;
        this.checkers.resetNode(simNode.id, event.appliedThrough);
        this.trace(`${simNode.id} installed a snapshot through slot ${event.appliedThrough}`);
      } else {
        this.trace(`${simNode.id} ${event.type}`);
      }
    }
    // Buggify again, at the worst moment there is: a leader dies right after one of its Accepts
    // left, so some acceptors hold the value and the others never see it. The next leader's
    // phase-1 quorum may miss it and propose another value in that slot: that is where ballot
    // bugs (a reused ballot, a notice applied without its ballot) show.
    const sendCount =
      this.has('crash') && this.random() < this.scenario.rates.crashMidSendProbability
        ? this.cutAfterAnAccept(ready.messages)
        : ready.messages.length;
    for (const { to, message } of ready.messages.slice(0, sendCount)) {
      this.checkers.checkAcceptorMessage(simNode.id, message);
      this.checkers.checkProposerMessage(simNode.id, message);
      this.send(simNode.id, to, message);
    }
    if (sendCount < ready.messages.length) {
      this.trace(
        `${simNode.id} dies after sending ${sendCount} of ${ready.messages.length} messages`,
      );
      this.crash(simNode);
      return;
    }
    for (const entry of ready.applied) {
      this.checkers.checkApplied(simNode.id, entry);
      for (const applied of entry.commands) this.outstanding.delete(commandKey(applied.command));
    }
    this.checkers.checkExactlyOnce(simNode.id, simNode.stateMachine.problems.splice(0));
  }

  /** How many messages of a batch leave before a crash: up to one of its Accepts, not the last. */
  private cutAfterAnAccept(messages: readonly { message: Message }[]): number {
    const cuts: number[] = [];
    messages.forEach(({ message }, index) => {
      if (message.type === 'accept' && index < messages.length - 1) cuts.push(index + 1);
    });
    return cuts.length === 0 ? messages.length : pick(this.random, cuts);
  }

  private send(from: NodeId, to: NodeId, message: Message): void {
    this.stats.messagesSent += 1;
    const { rates, delayTicksMax, slowDelayTicksMax } = this.scenario;
    if (this.has('loss') && this.random() < rates.lossProbability) {
      this.trace(`lost ${from}->${to} ${describeMessage(message)}`);
      return;
    }
    const copies = this.has('dup') && this.random() < rates.duplicateProbability ? 2 : 1;
    for (let copy = 0; copy < copies; copy += 1) {
      // A slow message can arrive long after its sender crashed and restarted: an old life's
      // Accept landing after the new life's (the acceptor-repromises-equal-ballot scenario).
      let delay = 1;
      if (this.has('reorder') && this.random() < rates.slowProbability)
        delay = randomInt(this.random, delayTicksMax, slowDelayTicksMax);
      else if (this.faults.has('reorder')) delay = randomInt(this.random, 1, delayTicksMax);
      const stalledUntilTick = this.nodes.get(to)?.stalledUntilTick ?? 0;
      if (this.has('reorder')) delay = Math.max(delay, stalledUntilTick - this.tickCount);
      this.inTransit.push({
        deliverAtTick: this.tickCount + delay,
        order: this.sendOrder++,
        from,
        to,
        message,
      });
    }
  }

  private deliverDue(): void {
    const due = this.inTransit.filter((m) => m.deliverAtTick <= this.tickCount);
    if (due.length === 0) return;
    this.inTransit = this.inTransit.filter((m) => m.deliverAtTick > this.tickCount);
    due.sort((a, b) => a.deliverAtTick - b.deliverAtTick || a.order - b.order);
    for (const m of due) {
      const target = this.nodes.get(m.to);
      if (!target?.node) continue; // a crashed node receives nothing
      if (target.pausedUntilTick > this.tickCount) {
        // A paused process reads its socket later: the message waits, in order.
        this.inTransit.push({ ...m, deliverAtTick: target.pausedUntilTick });
        continue;
      }
      if (this.blocked.has(`${m.from}>${m.to}`)) {
        this.trace(`cut ${m.from}->${m.to} ${describeMessage(m.message)}`);
        continue;
      }
      this.stats.messagesDelivered += 1;
      this.trace(`${m.from}->${m.to} ${describeMessage(m.message)}`);
      target.node.step(m.from, m.message);
      this.processReady(target);
    }
  }

  private injectFaults(): void {
    const { rates, leaderCrashShare } = this.scenario;
    if (this.has('partition')) {
      if (!this.partitionActive && this.random() < rates.partitionStartProbability)
        this.startPartition();
      else if (this.partitionActive && this.random() < rates.partitionHealProbability)
        this.healPartition();
    }
    if (this.has('reorder') && this.random() < rates.stallProbability) {
      const simNode = this.nodes.get(pick(this.random, [...this.nodes.keys()]));
      if (simNode !== undefined) {
        simNode.stalledUntilTick =
          this.tickCount + randomInt(this.random, 1, this.scenario.stallTicksMax);
        this.trace(`stall the link to ${simNode.id} (until ${simNode.stalledUntilTick})`);
      }
    }
    if (this.has('crash') && this.random() < rates.crashProbability) {
      // A nemesis aimed at the leader in some seeds (Jepsen's kill-primary): a leader that dies
      // mid-phase-2 and its successor's recovery are where most Paxos bugs live.
      const ids = [...this.nodes.keys()];
      const leader =
        this.latestLeader === undefined ? undefined : this.nodes.get(this.latestLeader);
      const target =
        leader !== undefined && this.random() < leaderCrashShare
          ? leader
          : this.nodes.get(pick(this.random, ids));
      if (target?.node) this.crash(target);
    }
    if (this.has('disk-loss') && this.random() < rates.diskLossProbability) this.loseDisk();
    if (this.has('membership') && this.random() < rates.membershipProbability) this.reconfigure();
    if (this.has('pause')) {
      for (const simNode of this.nodes.values()) {
        const running = simNode.node && simNode.pausedUntilTick <= this.tickCount;
        if (running && this.random() < rates.pauseProbability / this.nodes.size) {
          simNode.pausedUntilTick =
            this.tickCount + randomInt(this.random, pauseTicks.min, pauseTicks.max);
          this.stats.pauses += 1;
          this.trace(`pause ${simNode.id} (resumes at ${simNode.pausedUntilTick})`);
        }
      }
    }
  }

  /**
   * The disk-loss fault: an acceptor crashes and its persisted state is gone. It knows (the real
   * store's IDENTITY outlives the log) and stays down for good — as many acceptors as leave both
   * quorums alive — unless the planted bug `acceptor-votes-after-wipe` restarts it empty.
   */
  private loseDisk(): void {
    const { acceptors, phase1Quorum, phase2Quorum } = this.scenario;
    const lost = this.acceptorIds.filter((id) => this.nodes.get(id)?.disk.amnesia);
    const candidates = this.acceptorIds.filter((id) => !lost.includes(id));
    if (lost.length >= acceptors - Math.max(phase1Quorum, phase2Quorum)) return;
    const target = this.nodes.get(pick(this.random, candidates));
    if (target === undefined || !this.survivesLoss(target.id)) return;
    if (target.node) this.crash(target);
    target.disk.wipe();
    this.stats.diskLosses += 1;
    this.trace(`disk loss ${target.id}: its persisted state is gone`);
  }

  /** Whether every configuration still to come keeps both quorums alive without `id`. */
  private survivesLoss(id: NodeId): boolean {
    if (!this.faults.has('membership')) return true;
    // A change not yet decided is checked by the operator against the losses it knew of.
    for (const pending of this.outstanding.values()) if (pending.clientIndex < 0) return false;
    const history = this.checkers.configurations;
    const down = (other: NodeId): boolean =>
      other === id || (this.nodes.get(other)?.disk.amnesia ?? false);
    return history.snapshotSteps.every((step) => liveEnough(step.configuration, down));
  }

  /** The membership fault: an operator's reconfiguration, submitted and retried like a command. */
  private reconfigure(): void {
    const down = (id: NodeId): boolean => this.nodes.get(id)?.disk.amnesia ?? false;
    const command = this.operator.next(this.checkers.configurations.latest, down);
    if (command === undefined) return;
    const pending: ClientCommand = { command, clientIndex: -1, retryAtTick: this.tickCount };
    this.outstanding.set(commandKey(command), pending);
    this.checkers.recordSubmitted(command);
    this.submit(pending, this.scenario.clientRetryTicks);
  }

  /** A node that refuses to start (its disk was lost): not expected to apply anything more. */
  private downForGood(simNode: SimNode): boolean {
    return simNode.disk.amnesia && this.options.bug !== 'acceptor-votes-after-wipe';
  }

  private crash(simNode: SimNode): void {
    simNode.node = undefined;
    simNode.restartAtTick =
      this.tickCount + randomInt(this.random, 1, this.scenario.restartDelayTicksMax);
    simNode.pausedUntilTick = 0;
    this.stats.crashes += 1;
    this.trace(`crash ${simNode.id} (restarts at ${simNode.restartAtTick})`);
  }

  /** Jepsen's nemeses (partitions.ts): the links the drawn partition cuts. */
  private startPartition(): void {
    const ids = [...this.nodes.keys()];
    const cut = drawPartition(
      this.random,
      ids,
      this.acceptorIds,
      this.latestLeader,
      this.scenario.muteLeaderOneWayShare,
    );
    if (cut === undefined) return;
    for (const link of cut.blocked) this.blocked.add(link);
    this.partitionActive = true;
    this.stats.partitions += 1;
    this.trace(cut.description);
  }

  private healPartition(): void {
    this.blocked.clear();
    this.partitionActive = false;
    this.trace('partition healed');
  }

  private restartDue(): void {
    for (const simNode of this.nodes.values()) {
      if (this.downForGood(simNode)) continue;
      if (!simNode.node && (this.healed || simNode.restartAtTick <= this.tickCount)) {
        this.start(simNode);
        this.trace(`restart ${simNode.id}`);
      }
    }
  }

  private clientsAct(): void {
    const { faultTicks } = this.options;
    const { clients, commandsPerClient, payloadCharsMax, arrivalTicks, clientRetryTicks } =
      this.scenario;
    const { clientOutstandingMax } = this.scenario;
    // New commands arrive spread over the first arrivalTicks of the fault phase (a burst in some
    // seeds, a trickle in others), up to clientOutstandingMax outstanding per client: a pipelining
    // client's retries reach a new leader in another order, so its batches differ from the old.
    const rate = (commandsPerClient * clients) / Math.min(arrivalTicks, faultTicks);
    for (let client = 0; client < clients; client += 1) {
      const seq = this.nextSeq[client] ?? 1;
      if (seq > commandsPerClient) continue;
      let inFlight = 0;
      for (const c of this.outstanding.values()) if (c.clientIndex === client) inFlight += 1;
      const busy = inFlight >= clientOutstandingMax;
      if (busy || (!this.healed && this.random() > rate)) continue;
      let command: Command = {
        clientId: `c${client + 1}`,
        seq,
        payload: { op: 'add', value: seq * 10 + client },
      };
      // Padding of a drawn length: with a small valueBytesMax, batches split into more slots and
      // promises and catch-up replies into parts.
      if (payloadCharsMax > 0) {
        const pad = 'x'.repeat(randomInt(this.random, 0, payloadCharsMax));
        command = { ...command, payload: { op: 'add', value: seq * 10 + client, pad } };
      }
      this.nextSeq[client] = seq + 1;
      const pending: ClientCommand = {
        command,
        clientIndex: client,
        retryAtTick: this.tickCount,
      };
      this.commands.push(pending);
      this.outstanding.set(commandKey(command), pending);
      this.checkers.recordSubmitted(command);
      this.submit(pending, clientRetryTicks);
    }
    for (const pending of this.outstanding.values()) {
      if (this.tickCount >= pending.retryAtTick) this.submit(pending, clientRetryTicks);
    }
  }

  private submit(pending: ClientCommand, retryTicks: number): void {
    // Jittered, as real clients back off: retries of different clients reach a new leader in
    // another order than the first submissions reached the old one, so its batches differ.
    pending.retryAtTick = this.tickCount + retryTicks + randomInt(this.random, 0, retryTicks);
    // Retries go to the leader the client last heard of, else to a random proposer.
    const target =
      this.leaderHint ?? this.proposerIds[randomInt(this.random, 0, this.proposerIds.length - 1)];
    const simNode = target === undefined ? undefined : this.nodes.get(target);
    if (!simNode?.node || simNode.pausedUntilTick > this.tickCount) {
      this.leaderHint = undefined;
      return;
    }
    const result = simNode.node.propose(pending.command);
    this.trace(
      `client submits ${commandKey(pending.command)} to ${simNode.id}: ${result.ok ? 'queued' : result.code}`,
    );
    if (!result.ok) this.leaderHint = result.code === 'not-leader' ? result.leaderId : undefined;
    this.processReady(simNode);
  }

  private tick(): void {
    this.tickCount += 1;
    if (!this.healed && this.tickCount >= this.options.faultTicks) {
      this.healed = true;
      this.healPartition();
      for (const simNode of this.nodes.values()) simNode.pausedUntilTick = 0;
      this.trace('all faults healed');
    }
    if (!this.healed) this.injectFaults();
    this.restartDue();
    this.deliverDue();
    for (const simNode of this.nodes.values()) {
      if (!simNode.node || simNode.pausedUntilTick > this.tickCount) continue;
      simNode.node.tick();
      this.processReady(simNode);
    }
    this.clientsAct();
  }

  private allDone(): boolean {
    const { clients, commandsPerClient } = this.scenario;
    if (this.commands.length < clients * commandsPerClient || this.outstanding.size > 0)
      return false;
    return this.undecidedEverywhere().length === 0;
  }

  /** Commands not yet in every live replica's state. */
  private undecidedEverywhere(): string[] {
    const missing = new Set<string>();
    for (const simNode of this.nodes.values()) {
      if (this.downForGood(simNode)) continue;
      const have = new Set(simNode.stateMachine.keys);
      for (const pending of this.commands) {
        const key = commandKey(pending.command);
        if (!have.has(key)) missing.add(key);
      }
    }
    return [...missing];
  }

  run(): SimResult {
    const { faultTicks, livenessTicksMax } = this.options;
    while (this.tickCount < faultTicks) this.tick();
    const healedAt = this.tickCount;
    while (this.tickCount - healedAt < livenessTicksMax && !this.allDone()) this.tick();
    const undecided = this.undecidedEverywhere();
    const { clients, commandsPerClient } = this.scenario;
    const neverSubmitted = clients * commandsPerClient - this.commands.length;
    this.checkers.checkLiveness(
      neverSubmitted > 0
        ? [...undecided, `${neverSubmitted} command(s) never submitted`]
        : undecided,
      this.tickCount - healedAt,
      clients * commandsPerClient,
    );
    const finalStates = new Map<NodeId, readonly string[]>();
    for (const simNode of this.nodes.values())
      if (!this.downForGood(simNode)) finalStates.set(simNode.id, simNode.stateMachine.keys);
    this.checkers.checkDurability(finalStates, this.stats.crashes > 0);
    // Last: it restarts a standby, whose state the checks above need not wait for.
    if (undecided.length === 0) this.probeStickyLeader();
    const submitted = this.commands.length;
    return {
      seed: this.options.seed,
      scenario: this.scenario,
      exercised: { ...this.checkers.exercised },
      ticks: this.tickCount,
      commandsSubmitted: submitted,
      commandsDecided: submitted - undecided.length,
      violations: this.checkers.violations,
      reconfigurations: this.checkers.reconfigurations,
      ...this.stats,
    };
  }

  private probeStickyLeader(): void {
    const host = {
      proposerIds: this.proposerIds,
      electionTimeoutTicks:
        this.scenario.paxosOptions.electionTimeoutTicks ?? defaultPaxosOptions.electionTimeoutTicks,
      nodes: () => [...this.nodes.values()].map((n) => n.node),
      restartDeafAndCampaign: (id: NodeId, leader: NodeId) => {
        const simNode = this.nodes.get(id) as SimNode;
        this.start(simNode);
        this.blocked.add(`${leader}>${id}`);
        this.trace(`restart ${id}, cut ${leader}->${id}, campaign at once (sticky-leader probe)`);
        simNode.node?.campaign();
        this.processReady(simNode);
      },
      heal: () => this.healPartition(),
      tick: () => this.tick(),
      leaderChanges: () => this.stats.leaderChanges,
    };
    probeStickyLeader(host, this.checkers);
  }
}

export function simulate(options: SimOptions): SimResult {
  return new Simulation(options).run();
}

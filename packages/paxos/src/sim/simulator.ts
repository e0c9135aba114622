import { ballotToString } from '../ballot';
import type { PlantedBug } from '../bugs';
import type { PaxosOptions } from '../config';
import type { Message } from '../messages';
import { PaxosNode } from '../node';
import { createPrng, randomInt, type Random } from '../prng';
import { commandKey, type Command, type NodeId } from '../types';
import { Checkers, type Violation } from './checkers';
import { SimDisk } from './disk';
import { RecordingStateMachine } from './recording-state-machine';

export const faultKinds = ['loss', 'dup', 'reorder', 'partition', 'crash', 'pause'] as const;
export type FaultKind = (typeof faultKinds)[number];

export interface SimOptions {
  readonly seed: number;
  readonly proposers: number;
  readonly acceptors: number;
  /** Nodes that only learn. */
  readonly learners: number;
  readonly faults: ReadonlySet<FaultKind>;
  readonly bug?: PlantedBug;
  readonly clients: number;
  readonly commandsPerClient: number;
  /** Faults happen during the first faultTicks ticks; then everything heals. */
  readonly faultTicks: number;
  /** After the heal, every command must be applied everywhere within this many ticks. */
  readonly livenessTicksMax: number;
  /** A client resubmits a command it has not seen applied after this many ticks. */
  readonly clientRetryTicks: number;
  readonly phase1Quorum?: number;
  readonly phase2Quorum?: number;
  readonly paxosOptions?: Partial<PaxosOptions>;
  /** Receives one line per event (send, deliver, drop, crash, …) when set. */
  readonly trace?: (line: string) => void;
}

export const defaultSimOptions: Omit<SimOptions, 'seed'> = {
  proposers: 2,
  acceptors: 5,
  learners: 1,
  faults: new Set(faultKinds),
  clients: 3,
  commandsPerClient: 8,
  faultTicks: 500,
  livenessTicksMax: 1500,
  clientRetryTicks: 40,
  // Small limits, so a short run still fills the window, batches, snapshots, compacts and catches up.
  paxosOptions: {
    windowSlotsMax: 4,
    batchCommandsMax: 3,
    snapshotEverySlots: 6,
    logTailSlots: 2,
    catchupEntriesMax: 3,
    decidedAheadSlotsMax: 8,
  },
};

export interface SimResult {
  readonly seed: number;
  readonly ticks: number;
  readonly commandsSubmitted: number;
  readonly commandsDecided: number;
  readonly violations: readonly Violation[];
  readonly leaderChanges: number;
  readonly messagesSent: number;
  readonly messagesDelivered: number;
  readonly crashes: number;
  readonly pauses: number;
  readonly partitions: number;
  readonly snapshotsInstalled: number;
}

interface InTransit {
  readonly deliverAtTick: number;
  readonly order: number;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: Message;
}

interface SimNode {
  readonly id: NodeId;
  readonly disk: SimDisk;
  node: PaxosNode | undefined;
  stateMachine: RecordingStateMachine;
  restartAtTick: number;
  /** A paused node (a GC pause, SIGSTOP) keeps its memory but does nothing until this tick. */
  pausedUntilTick: number;
}

interface ClientCommand {
  readonly command: Command;
  readonly clientIndex: number;
  submittedAtTick: number;
  target: NodeId | undefined;
}

/**
 * Fault intensities: each seed draws its own from these ranges (TigerBeetle's VOPR varies its
 * swarm the same way), so a few thousand seeds cover calm runs and storms alike. Probabilities are
 * per message (loss, duplication) or per tick (partitions, crashes).
 */
const faultRanges = {
  lossProbability: [0, 0.15],
  duplicateProbability: [0, 0.1],
  partitionStartProbability: [0.005, 0.04],
  partitionHealProbability: [0.01, 0.05],
  crashProbability: [0.005, 0.08],
  pauseProbability: [0.005, 0.05],
  crashAfterWriteProbability: [0, 0.01],
} as const;
const reorderDelayTicksMax = 8;
const restartDelayTicks = { min: 1, max: 60 } as const;
const pauseTicks = { min: 5, max: 60 } as const;

type FaultRates = { -readonly [K in keyof typeof faultRanges]: number };

/**
 * A deterministic simulation of a whole cluster: every node, message, fault and client action comes
 * from one seed, so a failing seed replays exactly (TigerBeetle's VOPR, FoundationDB's simulation).
 */
export class Simulation {
  private readonly random: Random;
  private readonly options: SimOptions;
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly proposerIds: NodeId[];
  private readonly acceptorIds: NodeId[];
  private readonly learnerIds: NodeId[];
  private inTransit: InTransit[] = [];
  private sendOrder = 0;
  private tickCount = 0;
  private healed = false;
  /** Directed links that drop everything: "from>to". */
  private blocked = new Set<string>();
  private partitionActive = false;
  private readonly checkers: Checkers;
  private readonly rates: FaultRates;
  private readonly commands: ClientCommand[] = [];
  private readonly outstanding = new Map<string, ClientCommand>();
  private readonly nextSeq: number[] = [];
  private leaderHint: NodeId | undefined;
  private stats = {
    leaderChanges: 0,
    messagesSent: 0,
    messagesDelivered: 0,
    crashes: 0,
    pauses: 0,
    partitions: 0,
    snapshotsInstalled: 0,
  };

  constructor(options: SimOptions) {
    this.options = options;
    this.random = createPrng(options.seed);
    this.checkers = new Checkers(options.seed, () => this.tickCount);
    const rates = {} as FaultRates;
    for (const [name, [low, high]] of Object.entries(faultRanges)) {
      rates[name as keyof FaultRates] = low + (high - low) * this.random();
    }
    this.rates = rates;
    this.proposerIds = range(options.proposers).map((i) => `p${i + 1}`);
    this.acceptorIds = range(options.acceptors).map((i) => `a${i + 1}`);
    this.learnerIds = range(options.learners).map((i) => `l${i + 1}`);
    for (const id of [...this.proposerIds, ...this.acceptorIds, ...this.learnerIds]) {
      const simNode: SimNode = {
        id,
        disk: new SimDisk(),
        node: undefined,
        stateMachine: new RecordingStateMachine(),
        restartAtTick: 0,
        pausedUntilTick: 0,
      };
      this.nodes.set(id, simNode);
      this.start(simNode);
    }
    for (let client = 0; client < options.clients; client += 1) this.nextSeq.push(1);
  }

  private trace(line: string): void {
    this.options.trace?.(`[${String(this.tickCount).padStart(5)}] ${line}`);
  }

  private has(fault: FaultKind): boolean {
    return !this.healed && this.options.faults.has(fault);
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
          ...(this.options.phase1Quorum !== undefined
            ? { phase1Quorum: this.options.phase1Quorum }
            : {}),
          ...(this.options.phase2Quorum !== undefined
            ? { phase2Quorum: this.options.phase2Quorum }
            : {}),
        },
        ...(this.options.paxosOptions ? { options: this.options.paxosOptions } : {}),
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
      if (this.has('crash') && this.random() < this.rates.crashAfterWriteProbability) {
        this.crash(simNode);
        return;
      }
    }
    for (const event of ready.events) {
      if (event.type === 'became-leader') {
        this.stats.leaderChanges += 1;
        this.leaderHint = simNode.id;
        this.trace(`${simNode.id} leads with ballot ${ballotToString(event.ballot)}`);
      } else if (event.type === 'snapshot-installed') {
        this.stats.snapshotsInstalled += 1;
        this.checkers.resetNode(simNode.id, event.appliedThrough);
        this.trace(`${simNode.id} installed a snapshot through slot ${event.appliedThrough}`);
      } else {
        this.trace(`${simNode.id} ${event.type}`);
      }
    }
    for (const { to, message } of ready.messages) {
      this.checkers.checkAcceptorMessage(simNode.id, message);
      this.send(simNode.id, to, message);
    }
    for (const entry of ready.applied) {
      this.checkers.checkApplied(simNode.id, entry);
      for (const applied of entry.commands) this.outstanding.delete(commandKey(applied.command));
    }
    this.checkers.checkExactlyOnce(simNode.id, simNode.stateMachine.problems.splice(0));
  }

  private send(from: NodeId, to: NodeId, message: Message): void {
    this.stats.messagesSent += 1;
    if (this.has('loss') && this.random() < this.rates.lossProbability) {
      this.trace(`lost ${from}->${to} ${describe(message)}`);
      return;
    }
    const copies = this.has('dup') && this.random() < this.rates.duplicateProbability ? 2 : 1;
    for (let copy = 0; copy < copies; copy += 1) {
      const delay = this.options.faults.has('reorder')
        ? randomInt(this.random, 1, reorderDelayTicksMax)
        : 1;
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
        this.trace(`cut ${m.from}->${m.to} ${describe(m.message)}`);
        continue;
      }
      this.stats.messagesDelivered += 1;
      this.trace(`${m.from}->${m.to} ${describe(m.message)}`);
      target.node.step(m.from, m.message);
      this.processReady(target);
    }
  }

  private injectFaults(): void {
    if (this.has('partition')) {
      if (!this.partitionActive && this.random() < this.rates.partitionStartProbability)
        this.startPartition();
      else if (this.partitionActive && this.random() < this.rates.partitionHealProbability)
        this.healPartition();
    }
    if (this.has('crash')) {
      for (const simNode of this.nodes.values()) {
        if (simNode.node && this.random() < this.rates.crashProbability / this.nodes.size) {
          this.crash(simNode);
        }
      }
    }
    if (this.has('pause')) {
      for (const simNode of this.nodes.values()) {
        const running = simNode.node && simNode.pausedUntilTick <= this.tickCount;
        if (running && this.random() < this.rates.pauseProbability / this.nodes.size) {
          simNode.pausedUntilTick =
            this.tickCount + randomInt(this.random, pauseTicks.min, pauseTicks.max);
          this.stats.pauses += 1;
          this.trace(`pause ${simNode.id} (resumes at ${simNode.pausedUntilTick})`);
        }
      }
    }
  }

  private crash(simNode: SimNode): void {
    simNode.node = undefined;
    simNode.restartAtTick =
      this.tickCount + randomInt(this.random, restartDelayTicks.min, restartDelayTicks.max);
    simNode.pausedUntilTick = 0;
    this.stats.crashes += 1;
    this.trace(`crash ${simNode.id} (restarts at ${simNode.restartAtTick})`);
  }

  /**
   * Three kinds, as Jepsen's nemeses do: a symmetric split, a one-way split (one side's messages
   * are lost, the other's arrive), and a bridge (two sides that cannot talk, and one node that
   * talks to both — the non-transitive partition that fools naive leader checks).
   */
  private startPartition(): void {
    const ids = [...this.nodes.keys()];
    const side = ids.filter(() => this.random() < 0.5);
    if (side.length === 0 || side.length === ids.length) return;
    let other = ids.filter((id) => !side.includes(id));
    const kind = pick(this.random, ['symmetric', 'one-way', 'bridge'] as const);
    let bridge: NodeId | undefined;
    if (kind === 'bridge' && other.length > 1) {
      bridge = other[randomInt(this.random, 0, other.length - 1)];
      other = other.filter((id) => id !== bridge);
    }
    for (const a of side) {
      for (const b of other) {
        this.blocked.add(`${a}>${b}`);
        if (kind !== 'one-way') this.blocked.add(`${b}>${a}`);
      }
    }
    this.partitionActive = true;
    this.stats.partitions += 1;
    this.trace(
      `partition ${kind} {${side.join(',')}} | {${other.join(',')}}${bridge ? ` bridged by ${bridge}` : ''}`,
    );
  }

  private healPartition(): void {
    this.blocked.clear();
    this.partitionActive = false;
    this.trace('partition healed');
  }

  private restartDue(): void {
    for (const simNode of this.nodes.values()) {
      if (!simNode.node && (this.healed || simNode.restartAtTick <= this.tickCount)) {
        this.start(simNode);
        this.trace(`restart ${simNode.id}`);
      }
    }
  }

  private clientsAct(): void {
    const { clients, commandsPerClient, clientRetryTicks, faultTicks } = this.options;
    // New commands arrive spread over the fault phase, one outstanding per client at a time.
    for (let client = 0; client < clients; client += 1) {
      const seq = this.nextSeq[client] ?? 1;
      if (seq > commandsPerClient) continue;
      const busy = [...this.outstanding.values()].some((c) => c.clientIndex === client);
      const rate = (commandsPerClient * clients) / faultTicks;
      if (busy || (!this.healed && this.random() > rate)) continue;
      const command: Command = {
        clientId: `c${client + 1}`,
        seq,
        payload: { op: 'add', value: seq * 10 + client },
      };
      this.nextSeq[client] = seq + 1;
      const pending: ClientCommand = {
        command,
        clientIndex: client,
        submittedAtTick: this.tickCount,
        target: undefined,
      };
      this.commands.push(pending);
      this.outstanding.set(commandKey(command), pending);
      this.checkers.recordSubmitted(command);
      this.submit(pending);
    }
    for (const pending of this.outstanding.values()) {
      if (this.tickCount - pending.submittedAtTick >= clientRetryTicks) this.submit(pending);
    }
  }

  private submit(pending: ClientCommand): void {
    pending.submittedAtTick = this.tickCount;
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
    const { clients, commandsPerClient } = this.options;
    if (this.commands.length < clients * commandsPerClient || this.outstanding.size > 0)
      return false;
    return this.undecidedEverywhere().length === 0;
  }

  /** Commands not yet in every live replica's state. */
  private undecidedEverywhere(): string[] {
    const missing = new Set<string>();
    for (const simNode of this.nodes.values()) {
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
    const { clients, commandsPerClient } = this.options;
    const neverSubmitted = clients * commandsPerClient - this.commands.length;
    this.checkers.checkLiveness(
      neverSubmitted > 0
        ? [...undecided, `${neverSubmitted} command(s) never submitted`]
        : undecided,
      this.tickCount - healedAt,
    );
    const finalStates = new Map<NodeId, readonly string[]>();
    for (const simNode of this.nodes.values())
      finalStates.set(simNode.id, simNode.stateMachine.keys);
    this.checkers.checkDurability(finalStates);
    const submitted = this.commands.length;
    return {
      seed: this.options.seed,
      ticks: this.tickCount,
      commandsSubmitted: submitted,
      commandsDecided: submitted - undecided.length,
      violations: this.checkers.violations,
      ...this.stats,
    };
  }
}

export function simulate(options: SimOptions): SimResult {
  return new Simulation(options).run();
}

function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[randomInt(random, 0, items.length - 1)];
  if (item === undefined) throw new Error('Invariant: pick from an empty list');
  return item;
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

function describe(message: Message): string {
  switch (message.type) {
    case 'prepare':
      return `prepare ${ballotToString(message.ballot)} from slot ${message.fromSlot}`;
    case 'promise':
      return `promise ${ballotToString(message.ballot)} (${message.accepted.length} accepted, truncated below ${message.truncatedBelow}${message.parts === undefined ? '' : `, part ${(message.part ?? 0) + 1} of ${message.parts}`})`;
    case 'accept':
      return `accept ${ballotToString(message.ballot)} slot ${message.slot} [${message.value.commands.map(commandKey).join(',') || 'noop'}]`;
    case 'accepted':
      return `accepted ${ballotToString(message.ballot)} slot ${message.slot}`;
    case 'nack':
      return message.decidedBelow === undefined
        ? `nack ${ballotToString(message.ballot)} (promised ${ballotToString(message.promised)})`
        : `nack ${ballotToString(message.ballot)} (behind: decided below ${message.decidedBelow})`;
    case 'decide':
      return `decide slots ${message.entries.map((e) => e.slot).join(',')}`;
    case 'heartbeat':
      return `heartbeat ${ballotToString(message.ballot)} decided below ${message.decidedBelow}`;
    case 'heartbeat-ack':
      return `heartbeat-ack ${ballotToString(message.ballot)}`;
    case 'catchup-request':
      return `catchup-request from slot ${message.fromSlot}`;
    case 'catchup-reply':
      return `catchup-reply ${message.snapshot ? `snapshot through ${message.snapshot.appliedThrough} + ` : ''}${message.entries.length} entries`;
  }
}

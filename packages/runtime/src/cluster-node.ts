import { randomInt as cryptoRandomInt, randomUUID } from 'node:crypto';
import {
  PaxosNode,
  createPrng,
  defaultPaxosOptions,
  emptyPersistedState,
  type Command,
  type NodeEvent,
  type NodeId,
  type AppliedEntry,
  type Ready,
  type StateMachine,
} from '@evpaxos/paxos';
import { FileStore, type AcceptorStore } from '@evpaxos/storage';
import { encodeValue, onInvalidValue } from '@evpaxos/wire';
import { WebSocketTransport, type FaultRule, type Transport } from '@evpaxos/transport';
import type { LogView, StatsView, StatusView } from './api-types';
import { AppliedLog } from './applied-log';
import {
  ClientCalls,
  type CallOutcome,
  type CommandValidator,
  type Proposal,
  type SettleCall,
} from './client-calls';
import { flushClientFrames } from './client-frames';
import { CommandLogStateMachine } from './command-log-state-machine';
import { membershipOf, type ProcessConfig } from './config';
import type { Logger } from './logger';
import { NodeMetrics } from './metrics';
import { MessageTrace, type TraceView } from './message-trace';
import { meshPeers } from './mesh-peers';
import { nodeHeartbeatTicks, nodeLearnerDecideTicks, traceEventsKeptMax } from './constants';
import { ElectionHold, electionHoldMs, settleProposed } from './election-hold';
import { ReadyPipeline } from './ready-pipeline';
import { TickClock } from './tick-clock';

/** Collaborators of a node process, all injectable (docs/STYLE.md rule 8). */
export interface ClusterNodeCollaborators {
  readonly logger: Logger;
  /** Default: CommandLogStateMachine. */
  readonly stateMachine?: StateMachine;
  /** Default for a charge point: FileStore in its data dir; a central has none. */
  readonly store?: AcceptorStore;
  /** Default: a WebSocketTransport on the node's cluster port. */
  readonly transport?: Transport;
  /** Called once when the node cannot go on (a persist failed): the process should exit. */
  readonly onFatal?: (error: unknown) => void;
  /** Checks client payloads before they are proposed (docs/CLUSTER.md). Default: none. */
  readonly validateCommand?: CommandValidator;
}

export interface SubmitOptions {
  /** false: not an application command (a reconfiguration): the role's validator is not asked. */
  readonly validated?: boolean;
}

/**
 * One cluster member in a process: the pure PaxosNode wired to a store, a transport and a tick
 * timer (the only timer the core sees). Every step, tick and propose is followed by `flush()`,
 * which hands the Ready to the pipeline (persist → send → deliver, in order).
 */
export class ClusterNode {
  private readonly pipeline: ReadyPipeline;
  private readonly calls: ClientCalls;
  private readonly hold: ElectionHold;
  private readonly appliedLog: AppliedLog;
  readonly logger: Logger;
  /** Arms one timer for the core's next deadline (tick-clock.ts), not a fixed-rate tick. */
  private readonly clock: TickClock;
  private faultRules: readonly FaultRule[] = [];
  private wasLeader = false;
  private closing: Promise<void> | undefined;
  /** The client id for calls that bring none (POST /submit without clientId): unique per process. */
  private readonly ownClientId: string;
  private ownSeq = 0;
  private readonly appliedListeners = new Set<(entries: readonly AppliedEntry[]) => void>();
  /**
   * Messages and client commands that arrived during this turn of the event loop (after its first,
   * see scheduleTurn), handed to the core together at the end of it (setImmediate runs right after
   * the poll phase): one Ready, one persist, one Decide and a shared slot for the lot, instead of
   * one of each per arrival.
   */
  private inbox: { from: NodeId; message: Parameters<PaxosNode['step']>[1] }[] = [];
  private proposals: Proposal[] = [];
  private turnScheduled = false;
  private readonly eventListeners = new Set<(event: NodeEvent) => void>();
  private readonly faultListeners = new Set<(rules: readonly FaultRule[]) => void>();
  private readonly stopInvalidValueLog: () => void;
  /** GET /metrics: this process's Prometheus metrics (text written on each scrape). */
  readonly metrics: NodeMetrics;
  /** --trace, PUT /trace: the one check an untraced message pays (docs/CLUSTER.md, "Message trace"). */
  private tracing: boolean;
  private readonly trace: MessageTrace;

  private constructor(
    readonly config: ProcessConfig,
    private readonly node: PaxosNode,
    private readonly transport: Transport,
    private readonly store: AcceptorStore | undefined,
    private readonly collaborators: ClusterNodeCollaborators,
  ) {
    this.logger = collaborators.logger;
    this.ownClientId = `${config.id}/${randomUUID()}`;
    this.tracing = config.trace;
    this.trace = new MessageTrace(config.id, traceEventsKeptMax);
    this.calls = new ClientCalls({
      pendingMax: config.pendingClientCallsMax,
      timeoutMs: config.clientCallTimeoutMs,
      observeCommitMs: (ms) => this.metrics.observeCommitMs(ms),
    });
    this.hold = new ElectionHold(electionHoldMs(config.tickMs));
    this.appliedLog = AppliedLog.ofNode(config, this.logger); // GET /log and the decided record
    this.metrics = new NodeMetrics({
      nodeId: config.id,
      role: config.role,
      transportStats: () => transport.stats(),
      storeStats: () => store?.stats() ?? null,
      peers: () => transport.peers(),
      ballotRound: () => node.status().ballot?.round ?? 0,
      promisedRound: () => node.status().promised?.round ?? 0,
      appliedThrough: () => node.status().appliedThrough,
    });
    this.stopInvalidValueLog = onInvalidValue((reason) =>
      this.logger.error('a slot value does not decode: its commands are skipped as a no-op', {
        reason,
      }),
    );
    this.pipeline = new ReadyPipeline({
      persist: store ? (delta) => store.append(delta) : undefined,
      send: (ready) => this.send(ready),
      deliver: (ready) => this.deliver(ready),
      fail: (error) => this.failFatally(error),
    });
    this.clock = new TickClock(config.tickMs, node, {
      afterWake: () => this.afterWake(),
      edgeDeadlineMs: () => Math.min(this.calls.nextDeadlineMs(), this.hold.nextDeadlineMs()),
    });
  }

  /** Opens the store (charge point), builds the core from what it holds, starts the transport and the tick. */
  static async start(
    config: ProcessConfig,
    collaborators: ClusterNodeCollaborators,
  ): Promise<ClusterNode> {
    const { logger } = collaborators;
    let store = collaborators.store;
    if (store === undefined && config.role === 'charge-point') {
      store = await FileStore.open(
        {
          dataDir: config.dataDir as string,
          // IDENTITY names the node: a dir of another node, or one whose log is gone, is refused.
          nodeId: config.id,
          mustExist: config.dataDirMustExist,
          unsafeNoFsync: config.unsafeNoFsync,
          // A node that lost its state runs as a non-voting learner until `evpaxos member
          // replace` re-admits it (docs/PAXOS.md, "Joining and re-admission").
          rejoinAfterLoss: true,
        },
        { logger },
      );
    }
    try {
      // A central holds no state of its own: a new leader recovers everything in Phase 1.
      const persisted = store ? await store.load() : emptyPersistedState;
      const incarnation = store?.identity?.().incarnation ?? 1;
      const node = new PaxosNode(
        {
          id: config.id,
          incarnation,
          cluster: membershipOf(
            config.nodes,
            config.acceptors,
            config.phase1Quorum,
            config.phase2Quorum,
          ),
          // The failure detector's heartbeat every T / 4; nodes that only learn watch no leader:
          // one heartbeat per T (docs/LIMITS.md, "Ticks on demand"), and their Decides gathered
          // ("Learners' Decide pace").
          options: {
            heartbeatTicks: nodeHeartbeatTicks,
            learnerHeartbeatTicks: defaultPaxosOptions.electionTimeoutTicks,
            learnerDecideTicks: nodeLearnerDecideTicks,
          },
        },
        {
          stateMachine: collaborators.stateMachine ?? new CommandLogStateMachine(),
          // The seed only spreads election timeouts between processes; it need not be replayable.
          random: createPrng(cryptoRandomInt(2 ** 32)),
          // Applied values kept for catch-up as the bytes sent in the Accepts, not as objects.
          retainValue: encodeValue,
        },
        persisted,
      );
      const transport =
        collaborators.transport ??
        new WebSocketTransport(
          {
            nodeId: config.id,
            clusterId: config.clusterId,
            clusterSecret: config.secret,
            listen: { host: config.listenHost, port: config.self.clusterPort },
            ...meshPeers(config),
          },
          { logger },
        );
      const clusterNode = new ClusterNode(config, node, transport, store, collaborators);
      transport.onMessage((from, message) => clusterNode.step(from, message));
      // A closed link is the core's crash report (docs/PAXOS.md, "Pre-vote"): fast failover.
      transport.onPeerChange(({ id, state }) => state === 'down' && clusterNode.peerDown(id));
      await transport.start();
      clusterNode.clock.arm();
      return clusterNode;
    } catch (error) {
      await store?.close();
      throw error;
    }
  }

  /** This node currently leads (it is a proposer that completed Phase 1). */
  get isLeader(): boolean {
    return this.node.isLeader();
  }

  /** The leader this node knows of (itself, when leading), or null. */
  get leaderId(): NodeId | null {
    return this.node.status().leaderId ?? null;
  }

  /**
   * Calls `listener` with every batch of applied entries, in slot order, after the state machine
   * applied them (the role packages read the replicated state from here). Returns an unsubscribe.
   */
  onApplied(listener: (entries: readonly AppliedEntry[]) => void): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  /** Calls `listener` with every role change (became-leader, became-follower, …). */
  onEvent(listener: (event: NodeEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /**
   * Calls `listener` with the new fault rules whenever they change (PUT/DELETE /faults): a role
   * cuts its own links too (a central closes the OCPP connections of stations a partition cuts).
   */
  onFaultsChanged(listener: (rules: readonly FaultRule[]) => void): () => void {
    this.faultListeners.add(listener);
    return () => this.faultListeners.delete(listener);
  }

  get isCentral(): boolean {
    return this.config.role === 'central';
  }

  /** Proposes a command and waits until it is applied (default: this node's client id, next seq). */
  submit(
    payload: unknown,
    client?: { clientId: string; seq: number },
    options: SubmitOptions = {},
  ): Promise<CallOutcome> {
    return new Promise<CallOutcome>((settle) => this.submitWith(payload, client, settle, options));
  }

  /** `submit` with a callback called once (/client: a promise per command cost, measured). */
  submitWith(
    payload: unknown,
    client: { clientId: string; seq: number } | undefined,
    settle: SettleCall,
    options: SubmitOptions = {},
  ): void {
    // A malformed command is refused here, before it could take a slot (docs/CLUSTER.md).
    const check =
      options.validated === false ? undefined : this.collaborators.validateCommand?.(payload);
    if (check !== undefined && !check.ok) {
      this.logger.warn('submit: invalid command', {
        clientId: client?.clientId ?? this.ownClientId,
        code: check.code,
        reason: check.reason,
      });
      return settle({
        ok: false,
        code: 'invalid-command',
        commandCode: check.code,
        reason: check.reason,
      });
    }
    if (this.closing) return settle({ ok: false, code: 'closed' });
    const waiting = this.calls.pending + this.proposals.length + this.hold.size;
    if (waiting >= this.config.pendingClientCallsMax) {
      return settle({ ok: false, code: 'overloaded' });
    }
    const command: Command = client
      ? { clientId: client.clientId, seq: client.seq, payload }
      : { clientId: this.ownClientId, seq: (this.ownSeq += 1), payload };
    // The commit time is observed by ClientCalls (no wrapper callback per command).
    this.proposals.push({ command, settle, startedAtMs: performance.now() });
    this.scheduleTurn();
  }

  /** http://host:httpPort of a member, from the cluster's node list. */
  urlOf(id: NodeId | null): string | null {
    const member = this.config.nodes.find((candidate) => candidate.id === id);
    return member ? `http://${member.host}:${member.httpPort}` : null;
  }

  status(): StatusView {
    const status = this.node.status();
    return {
      id: this.config.id,
      role: this.config.role,
      pid: process.pid,
      clusterId: this.config.clusterId,
      tickMs: this.config.tickMs,
      paxos: {
        proposerState: status.proposerState ?? null,
        ballot: status.ballot ?? null,
        leaderId: status.leaderId ?? null,
        promised: status.promised ?? null,
        appliedThrough: status.appliedThrough,
        firstUndecidedSlot: status.firstUndecidedSlot,
        inFlightSlots: status.inFlightSlots,
        pendingCommands: status.pendingCommands,
        acceptedSlots: status.acceptedSlots,
        snapshotThrough: status.snapshotThrough ?? null,
        configuration: status.configuration,
        nextConfiguration: status.nextConfiguration ?? null,
        standing: status.standing,
        incarnation: status.incarnation,
      },
      peers: this.transport.peers().map(({ id, state }) => ({ id, state })),
      faults: this.faultRules,
      trace: this.tracing,
    };
  }

  /**
   * GET /stats: counters for benchmarks and operators — frames by kind from the transport,
   * appends and syncs from the store (a central has none), the process's CPU time, and the applied
   * point to divide by.
   */
  stats(): StatsView {
    const cpu = process.cpuUsage();
    return {
      id: this.config.id,
      appliedThrough: this.node.status().appliedThrough,
      transport: this.transport.stats(),
      store: this.store?.stats() ?? null,
      cpu: { userMicros: cpu.user, systemMicros: cpu.system },
    };
  }

  readLog(fromSlot: number, limit: number): LogView {
    return {
      appliedThrough: this.node.status().appliedThrough,
      entries: this.appliedLog.read(fromSlot, limit),
    };
  }

  /** Turns the message trace on or off (PUT /trace); logged, since it changes the log's volume. */
  setTracing(on: boolean): void {
    if (on !== this.tracing) this.logger.info(on ? 'trace on' : 'trace off');
    this.tracing = on;
  }

  /** GET /trace: the traced messages after `afterSeq`. */
  readTrace(afterSeq: number, limit: number): TraceView {
    return this.trace.read(afterSeq, limit, this.tracing);
  }

  get faults(): readonly FaultRule[] {
    return this.faultRules;
  }

  /** Replaces the fault rules; throws the transport's TransportError for an invalid rule. */
  setFaults(rules: readonly FaultRule[]): void {
    this.transport.setFaultRules(rules);
    this.faultRules = rules;
    this.logger.warn('faults set', { rules });
    for (const listener of this.faultListeners) listener(rules);
  }

  clearFaults(): void {
    this.transport.clearFaultRules();
    this.faultRules = [];
    this.logger.info('faults cleared');
    for (const listener of this.faultListeners) listener([]);
  }

  /** Stops the tick and the transport, lets queued Readies finish, then flushes and closes the store. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.clock.stop();
      this.stopInvalidValueLog();
      this.calls.rejectAll({ ok: false, code: 'closed' });
      this.hold.answerAll(null, 'closed');
      await this.transport.close();
      await this.pipeline.drain();
      this.appliedLog.writeRecord(); // the slots applied in the last second, before the logger closes
      await this.store?.close();
    })();
    return this.closing;
  }

  private step(from: NodeId, message: Parameters<PaxosNode['step']>[1]): void {
    if (this.closing) return;
    if (this.tracing) this.traceMessage('recv', from, message);
    this.inbox.push({ from, message });
    this.scheduleTurn();
  }

  /**
   * Adaptive batching: the first arrival of a turn is handled as soon as the callback that brought
   * it returns (a microtask: an idle node adds no latency — at concurrency 1 waiting for the end of
   * the turn cost ~0.7 ms per command, measured), together with whatever else that callback
   * delivered (the other messages of its frame: a leader's commit notices and Accept, a client's
   * array of submits). It opens a batch that collects whatever else arrives in the same turn,
   * handled together at its end.
   */
  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => this.endTurn());
    queueMicrotask(() => this.handleQueued());
  }

  private endTurn(): void {
    this.turnScheduled = false;
    // The microtask took the lot (low load): no credit and re-arm of the clock for nothing.
    if (this.inbox.length === 0 && this.proposals.length === 0 && this.hold.size === 0) return;
    this.handleQueued();
  }

  /** Hands what is queued to the core: messages first, then commands, then one flush. */
  private handleQueued(): void {
    const inbox = this.inbox;
    let proposals = this.proposals;
    this.inbox = [];
    this.proposals = [];
    if (this.closing) {
      for (const { settle } of proposals) settle({ ok: false, code: 'closed' });
      return;
    }
    this.clock.catchUp(); // the ticks that passed while the process slept come first
    if (inbox.length > 0) this.node.stepAll(inbox);
    // Calls held through an election (election-hold.ts): proposed once this node leads, first.
    if (this.hold.size > 0) proposals = this.releaseHeld(proposals);
    if (proposals.length > 0) {
      const results = this.node.proposeAll(proposals.map(({ command }) => command));
      settleProposed(proposals, results, this.calls, this.isCentral ? this.hold : undefined);
    }
    this.flush();
  }

  /** This node leads: the held calls go first; another leads: they are told which. */
  private releaseHeld(proposals: typeof this.proposals): typeof this.proposals {
    if (this.node.isLeader()) return [...this.hold.takeAll(), ...proposals];
    const { leaderId } = this.node.status();
    // A leader named over a closed link is gone (see peerDown): keep holding through the election.
    const live = leaderId !== undefined && leaderId !== this.config.id && !this.linkDown(leaderId);
    if (live) this.hold.answerAll(leaderId);
    return proposals;
  }

  private linkDown(id: NodeId): boolean {
    return this.transport.peers().some((peer) => peer.id === id && peer.state === 'down');
  }

  private peerDown(id: NodeId): void {
    if (this.closing) return;
    this.clock.catchUp(); // the ticks that passed count before the report resets any counter
    this.node.peerDown(id);
    this.flush();
  }

  /** The clock's timer woke and ticked the core: client timeouts, then what the ticks produced. */
  private afterWake(): void {
    if (this.closing) return;
    this.calls.expire();
    this.hold.expire();
    this.handleQueued();
  }

  private flush(): void {
    if (this.node.hasReady()) this.pipeline.push(this.node.takeReady());
    this.clock.arm(); // what was handled may have moved the next deadline earlier
  }

  private send(ready: Ready): void {
    if (this.closing) return;
    for (const { to, message } of ready.messages) this.transport.send(to, message);
    if (this.tracing)
      for (const { to, message } of ready.messages) this.traceMessage('send', to, message);
    // Out before deliver() applies, logs and answers: an acceptor's Accepted waited ~60 µs for
    // that at concurrency 1 (traced, docs/BENCHMARKS.md). Still one frame per peer per Ready.
    this.transport.flush();
  }

  /** One "trace" line per traced message, read by `evpaxos trace` and the labs (docs/CLUSTER.md). */
  private traceMessage(
    dir: 'send' | 'recv',
    peer: NodeId,
    message: Parameters<PaxosNode['step']>[1],
  ) {
    const event = this.trace.record(dir, peer, message);
    if (event !== undefined) this.logger.info('trace', { ...event });
  }

  private deliver(ready: Ready): void {
    // Answers first (on their sockets before the rest), then the ring GET /log and "decided" read.
    this.calls.settleApplied(ready.applied);
    if (ready.applied.length > 0) flushClientFrames();
    for (const entry of ready.applied) this.appliedLog.push(entry);
    this.metrics.observeApplied(ready.applied.length);
    if (ready.applied.length > 0) {
      for (const listener of this.appliedListeners) listener(ready.applied);
    }
    for (const event of ready.events) {
      this.metrics.observeEvent(event);
      this.handleEvent(event);
      for (const listener of this.eventListeners) listener(event);
    }
  }

  private handleEvent(event: NodeEvent): void {
    switch (event.type) {
      case 'became-leader':
        this.wasLeader = true;
        this.logger.info('became-leader', { ballot: event.ballot });
        return;
      case 'became-candidate':
        this.logger.info('became-candidate', { ballot: event.ballot });
        break;
      case 'became-follower': {
        const { ballot, leaderId, reason } = event;
        this.logger.info('became-follower', { ballot, leaderId, ...(reason && { reason }) });
        // It follows a leader whose link is already closed (it heard of it only after the close,
        // e.g. from an acceptor): the closed link is still the crash report (docs/PAXOS.md, "Pre-vote").
        if (leaderId && this.linkDown(leaderId)) setImmediate(() => this.peerDown(leaderId));
        break;
      }
      case 'snapshot-taken':
      case 'snapshot-installed':
        this.logger.info(event.type, { appliedThrough: event.appliedThrough });
        return;
      case 'configuration-decided':
        // docs/PAXOS.md, "Membership change": the acceptor set changes at the slot it names.
        this.logger.info('configuration-decided', {
          slot: event.slot,
          change: event.change,
          outcome: event.outcome,
        });
        return;
      case 'standing-changed': {
        // docs/PAXOS.md, "Joining and re-admission": a node that lost its state says how to re-admit.
        const { standing, incarnation, fromSlot } = event;
        const lost = standing === 'awaiting-readmission';
        const readmit = lost ? `evpaxos member replace ${this.config.id}` : undefined;
        const fields = { standing, incarnation, fromSlot, readmit };
        this.logger[lost ? 'error' : 'info']('standing', fields);
        return;
      }
      case 'slot-decided':
        // Counted by the metrics; the "decided" record of the applied slots is the log's.
        return;
      default: {
        const unknown: never = event;
        throw new Error(`unhandled node event ${JSON.stringify(unknown)}`);
      }
    }
    if (this.wasLeader) {
      // Stepped down: this node can no longer promise an answer. Clients retry (same clientId and
      // seq) at the new leader, which applies the command at most once.
      this.wasLeader = false;
      this.metrics.observeSteppedDown();
      const leaderId = event.type === 'became-follower' ? (event.leaderId ?? null) : null;
      this.calls.rejectAll({ ok: false, code: 'not-leader', leaderId });
    }
  }

  private failFatally(error: unknown): void {
    this.logger.error('persist failed: stopping, nothing more is sent', {
      error: error instanceof Error ? error.message : String(error),
    });
    this.clock.stop();
    this.appliedLog.writeRecord(); // what was applied stays checkable after the exit
    this.collaborators.onFatal?.(error);
  }
}

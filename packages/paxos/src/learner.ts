import { compareBallots } from './ballot';
import { ClientTable } from './client-table';
import { ConfigurationHistory, reconfigurationOf } from './membership';
import { estimateValueBytes } from './size';
import type { ResolvedConfig } from './config';
import type { CatchupReply, CatchupRequest, Decide } from './messages';
import type { Outbox } from './outbox';
import type {
  AcceptedEntry,
  AppliedCommand,
  Command,
  DecideEntry,
  DecidedEntry,
  NodeId,
  Slot,
  Snapshot,
  StateMachine,
  Value,
} from './types';

/**
 * The learner: records chosen values, applies them strictly in slot order to the state machine,
 * exactly once per (clientId, seq), and catches up from peers: entries while the peer still has
 * them, a snapshot of the applied state once it has compacted them away.
 */
export class Learner {
  /** Every slot <= appliedThrough is applied. -1: nothing yet. */
  private appliedThroughSlot: Slot = -1;
  /** Decided entries: a tail below the applied point (for catch-up) and out-of-order ones above. */
  private readonly decided = new Map<Slot, DecidedEntry>();
  /** The lowest slot still held in `decided` below the applied point. */
  private logStart: Slot = 0;
  private latestSnapshot: Snapshot | undefined;
  private clients: ClientTable;
  /** Which acceptors decide which slot: built from reconfigurations as they are applied. */
  private history: ConfigurationHistory;
  /** Highest slot bound known to be decided somewhere (from heartbeats and decides). */
  private decidedBelowKnown: Slot = 0;
  private catchupElapsedTicks = 0;
  private catchupOutstanding = false;
  private catchupPeer: NodeId | undefined;

  /**
   * @param onCompact called when a snapshot is taken, so the co-located acceptor can drop state.
   * @param acceptedAt what the co-located acceptor accepted in a slot: the value of a commit notice.
   * @param retainValue what is kept of an applied slot's value for catch-up (NodeCollaborators).
   */
  constructor(
    private readonly config: ResolvedConfig,
    private readonly out: Outbox,
    private readonly stateMachine: StateMachine,
    snapshot: Snapshot | undefined,
    private readonly onCompact: (appliedThrough: Slot) => void,
    private readonly acceptedAt: (slot: Slot) => AcceptedEntry | undefined = () => undefined,
    private readonly retainValue: (value: Value) => Value = (value) => value,
  ) {
    const { clientSeqWindow, clientsMax } = config.options;
    this.clients = new ClientTable(clientSeqWindow, clientsMax);
    this.history = this.firstHistory();
    if (snapshot) this.install(snapshot);
  }

  private firstHistory(): ConfigurationHistory {
    const { acceptors, phase1Quorum, phase2Quorum, options, learners } = this.config;
    const first = { acceptors, phase1Quorum, phase2Quorum };
    return new ConfigurationHistory(options.alphaSlots, first, learners);
  }

  /** The configurations: final for every slot up to firstUnapplied - 1 + α. */
  get configurations(): ConfigurationHistory {
    return this.history;
  }

  get appliedThrough(): Slot {
    return this.appliedThroughSlot;
  }

  /** The first slot this learner has not applied: Phase 1 starts here. */
  get firstUnapplied(): Slot {
    return this.appliedThroughSlot + 1;
  }

  get snapshot(): Snapshot | undefined {
    return this.latestSnapshot;
  }

  isDecided(slot: Slot): boolean {
    return slot <= this.appliedThroughSlot || this.decided.has(slot);
  }

  isApplied(command: { clientId: string; seq: number }): boolean {
    return this.clients.isApplied(command);
  }

  decidedEntry(slot: Slot): DecidedEntry | undefined {
    return this.decided.get(slot);
  }

  handleDecide(from: NodeId, message: Decide): void {
    for (const entry of message.entries) {
      const decided = this.withValue(entry);
      if (decided) this.learn(decided);
      else this.noteDecided(entry.slot); // the Accept never came: catch-up fetches the value
    }
    this.applyReady();
    this.maybeRequestCatchup(from);
  }

  /**
   * A commit notice carries no value: it is the one this node's acceptor accepted in that slot,
   * if it accepted it in the very ballot the slot was chosen in — one value per slot per ballot,
   * and one life per ballot (Acceptor.handlePrepare). Any other accepted value may be a loser.
   */
  private withValue(entry: DecideEntry): DecidedEntry | undefined {
    if (entry.value !== undefined)
      return { slot: entry.slot, ballot: entry.ballot, value: entry.value };
    const accepted = this.acceptedAt(entry.slot);
    if (accepted === undefined) return undefined;
    const sameBallot = compareBallots(accepted.ballot, entry.ballot) === 0;
    if (!sameBallot && this.config.plantedBug !== 'learner-ignores-notice-ballot') return undefined;
    return { slot: entry.slot, ballot: entry.ballot, value: accepted.value };
  }

  private noteDecided(slot: Slot): void {
    if (slot + 1 > this.decidedBelowKnown) this.decidedBelowKnown = slot + 1;
  }

  /** A leader's heartbeat says slots below decidedBelow are decided: fetch what is missing. */
  noteDecidedBelow(from: NodeId, decidedBelow: Slot): void {
    if (decidedBelow > this.decidedBelowKnown) this.decidedBelowKnown = decidedBelow;
    this.maybeRequestCatchup(from);
  }

  /** Ask `from` for slots from the applied point on, now (a leader that learned of truncation). */
  requestCatchupFrom(peer: NodeId, decidedBelow: Slot): void {
    if (decidedBelow > this.decidedBelowKnown) this.decidedBelowKnown = decidedBelow;
    this.catchupOutstanding = false;
    this.maybeRequestCatchup(peer);
  }

  /** Chosen locally by this node's own proposer. */
  learnLocal(entry: DecidedEntry): void {
    this.learn(entry);
    this.applyReady();
  }

  tick(): void {
    if (!this.catchupOutstanding) return;
    this.catchupElapsedTicks += 1;
    if (this.catchupElapsedTicks >= this.config.options.catchupRetryTicks) {
      // The request or its reply was lost, or the peer is gone: ask again (another peer next time).
      this.catchupOutstanding = false;
      const peers = this.config.learners.filter((id) => id !== this.config.id);
      const next = peers[(peers.indexOf(this.catchupPeer ?? '') + 1) % peers.length];
      if (next !== undefined) this.maybeRequestCatchup(next);
    }
  }

  /** Ticks until a tick changes anything here: the catch-up retry (PaxosNode.ticksUntilDue). */
  ticksUntilDue(): number {
    return this.catchupOutstanding
      ? Math.max(1, this.config.options.catchupRetryTicks - this.catchupElapsedTicks)
      : Number.POSITIVE_INFINITY;
  }

  handleCatchupRequest(from: NodeId, message: CatchupRequest): void {
    const limit = this.config.options.catchupEntriesMax;
    const entries: DecidedEntry[] = [];
    let snapshot: Snapshot | undefined;
    let slot = message.fromSlot;
    if (slot < this.logStart || (slot <= this.appliedThroughSlot && !this.decided.has(slot))) {
      // Compacted away: send the applied state instead (Paxos Made Live §5.5, snapshots).
      if (!this.latestSnapshot || this.latestSnapshot.appliedThrough < slot) return;
      snapshot = this.latestSnapshot;
      slot = snapshot.appliedThrough + 1;
    }
    let bytes = 0;
    while (entries.length < limit) {
      const entry = this.decided.get(slot);
      if (!entry) break;
      bytes += estimateValueBytes(entry.value);
      // Within the frame limit: one entry always goes (a slot is at most valueBytesMax).
      if (entries.length > 0 && bytes > this.config.options.catchupBytesMax) break;
      entries.push(entry);
      slot += 1;
    }
    if (!snapshot && entries.length === 0) return;
    this.out.send(from, { type: 'catchup-reply', entries, ...(snapshot ? { snapshot } : {}) });
  }

  handleCatchupReply(from: NodeId, message: CatchupReply): void {
    this.catchupOutstanding = false;
    if (message.snapshot && message.snapshot.appliedThrough > this.appliedThroughSlot) {
      this.install(message.snapshot);
      this.out.event({
        type: 'snapshot-installed',
        appliedThrough: message.snapshot.appliedThrough,
      });
      if (this.config.isAcceptor) this.persistSnapshot(message.snapshot);
    }
    for (const entry of message.entries) this.learn(entry);
    this.applyReady();
    this.maybeRequestCatchup(from);
  }

  private learn(entry: DecidedEntry): void {
    if (entry.slot <= this.appliedThroughSlot) return;
    this.noteDecided(entry.slot);
    // Bounded: a decision far ahead of the applied point is dropped; catch-up fetches it later.
    if (entry.slot > this.appliedThroughSlot + this.config.options.decidedAheadSlotsMax) return;
    if (!this.decided.has(entry.slot)) this.decided.set(entry.slot, entry);
  }

  private maybeRequestCatchup(peer: NodeId): void {
    if (this.catchupOutstanding || peer === this.config.id) return;
    const missing = this.firstUnapplied < this.decidedBelowKnown;
    if (!missing) return;
    this.catchupOutstanding = true;
    this.catchupElapsedTicks = 0;
    this.catchupPeer = peer;
    this.out.send(peer, { type: 'catchup-request', fromSlot: this.firstUnapplied });
  }

  /** Applies every decided slot that directly follows the applied prefix. Invariant: in slot order. */
  private applyReady(): void {
    for (;;) {
      const slot = this.appliedThroughSlot + 1;
      const entry = this.decided.get(slot);
      if (!entry) break;
      const commands: AppliedCommand[] = [];
      for (const command of entry.value.commands) {
        const duplicate =
          this.clients.isApplied(command) && this.config.plantedBug !== 'learner-skips-dedup';
        if (duplicate) {
          commands.push({ command, result: this.clients.resultOf(command), duplicate: true });
        } else {
          const result = this.applyCommand(command, slot);
          this.clients.record(command, result, slot);
          commands.push({ command, result, duplicate: false });
        }
      }
      this.appliedThroughSlot = slot;
      const retained = this.retainValue(entry.value);
      if (retained !== entry.value) this.decided.set(slot, { ...entry, value: retained });
      this.out.apply({ slot, ballot: entry.ballot, commands });
      this.maybeSnapshot();
    }
    this.trimLog();
  }

  /** A reconfiguration changes the history, never the application's state; the rest is the application's. */
  private applyCommand(command: Command, slot: Slot): unknown {
    const change = reconfigurationOf(command);
    if (change === undefined) return this.stateMachine.apply(command, slot);
    const atDecide = this.config.plantedBug === 'config-at-decide-time';
    const outcome = this.history.decide(slot, change, atDecide ? 1 : this.history.alphaSlots);
    this.out.event({ type: 'configuration-decided', slot, change, outcome });
    return outcome;
  }

  private maybeSnapshot(): void {
    const since = this.appliedThroughSlot - (this.latestSnapshot?.appliedThrough ?? -1);
    if (since < this.config.options.snapshotEverySlots) return;
    const snapshot: Snapshot = {
      appliedThrough: this.appliedThroughSlot,
      state: this.stateMachine.snapshot(),
      clients: this.clients.snapshot(),
      ...this.snapshotConfigurations(),
    };
    this.latestSnapshot = snapshot;
    this.out.event({ type: 'snapshot-taken', appliedThrough: snapshot.appliedThrough });
    if (this.config.isAcceptor) this.persistSnapshot(snapshot);
  }

  /** The history for a snapshot: nothing while the first configuration is the only one. */
  private snapshotConfigurations(): Pick<Snapshot, 'configurations' | 'admissions'> {
    this.history.compactBelow(this.appliedThroughSlot + 1);
    const steps = this.history.snapshotSteps;
    const admissions = this.history.admissions;
    return {
      ...(steps.length === 1 && steps[0]!.fromSlot === 0 ? {} : { configurations: [...steps] }),
      ...(admissions.length === 0 ? {} : { admissions }),
    };
  }

  private persistSnapshot(snapshot: Snapshot): void {
    this.out.persistSnapshot(snapshot);
    this.onCompact(snapshot.appliedThrough);
  }

  /** Keeps logTailSlots entries below the latest snapshot; drops the rest (bounded memory). */
  private trimLog(): void {
    if (!this.latestSnapshot) return;
    const keepFrom = Math.max(
      0,
      this.latestSnapshot.appliedThrough + 1 - this.config.options.logTailSlots,
    );
    while (this.logStart < keepFrom) {
      this.decided.delete(this.logStart);
      this.logStart += 1;
    }
  }

  private install(snapshot: Snapshot): void {
    this.stateMachine.restore(snapshot.state);
    const { clientSeqWindow, clientsMax } = this.config.options;
    this.clients = new ClientTable(clientSeqWindow, clientsMax, snapshot.clients);
    const { acceptors, phase1Quorum, phase2Quorum, options, learners } = this.config;
    this.history = new ConfigurationHistory(
      options.alphaSlots,
      snapshot.configurations ?? { acceptors, phase1Quorum, phase2Quorum },
      learners,
      snapshot.admissions ?? [],
    );
    this.appliedThroughSlot = snapshot.appliedThrough;
    this.latestSnapshot = snapshot;
    for (const slot of this.decided.keys()) {
      if (slot <= snapshot.appliedThrough) this.decided.delete(slot);
    }
    this.logStart = snapshot.appliedThrough + 1;
    if (snapshot.appliedThrough + 1 > this.decidedBelowKnown) {
      this.decidedBelowKnown = snapshot.appliedThrough + 1;
    }
  }
}

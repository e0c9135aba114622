import type { ResolvedConfig } from './config';
import type { Configuration } from './membership';
import type { Outbox } from './outbox';
import { estimateValueBytes } from './size';
import type { DecidedEntry, NodeId, Slot } from './types';

/**
 * The slots a leader decided, with their values, on their way to the nodes that do not accept in
 * them (acceptors get commit notices instead: proposer.ts). The other proposers get them at the
 * end of every step: a standby that takes over needs the decided prefix. Nodes that only learn are
 * on no commit's path, so with learnerDecideTicks > 0 they get them gathered: one Decide at most
 * every learnerDecideTicks ticks, a slot late by at most that (docs/LIMITS.md, "Learners' Decide
 * pace"); with 0 (the core's default) they get them at the end of every step, as proposers do.
 */
export class DecidedOut {
  private forStep: DecidedEntry[] = [];
  private forLearners: DecidedEntry[] = [];
  private learnerBytes = 0;
  /** Ticks since the first entry now in forLearners was gathered. */
  private learnerElapsedTicks = 0;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly out: Outbox,
    private readonly configFor: (slot: Slot) => Configuration,
  ) {}

  /** Whether nodes that only learn get their Decides paced (learnerDecideTicks > 0). */
  private get paced(): boolean {
    return this.config.options.learnerDecideTicks > 0;
  }

  /** Ticks until a tick sends something (Infinity: nothing waits), for Proposer.ticksUntilDue. */
  get ticksUntilDue(): number {
    if (this.forStep.length > 0) return 1;
    if (this.forLearners.length === 0) return Number.POSITIVE_INFINITY;
    return Math.max(1, this.config.options.learnerDecideTicks - this.learnerElapsedTicks);
  }

  /** Whether `id` gets its Decides paced: it neither proposes nor accepts in `configuration`. */
  private isPacedLearner(id: NodeId, configuration: Configuration): boolean {
    return !this.config.proposers.includes(id) && !configuration.acceptors.includes(id);
  }

  /** Whether any of `to` gets paced Decides (a heartbeat to them must not overtake their slots). */
  reachesLearners(to: readonly NodeId[]): boolean {
    if (this.forLearners.length === 0) return false;
    const configuration = this.configFor(this.forLearners[0]!.slot);
    return to.some((id) => this.isPacedLearner(id, configuration));
  }

  push(entry: DecidedEntry): void {
    this.forStep.push(entry);
    if (!this.paced) return;
    const bytes = estimateValueBytes(entry.value);
    const first = this.forLearners[0];
    // Bounded like a catch-up reply (it travels in the same frames), and one configuration per
    // Decide: who counts as a learner is read from its first slot's.
    const { catchupEntriesMax, catchupBytesMax } = this.config.options;
    if (
      first !== undefined &&
      (this.forLearners.length >= catchupEntriesMax ||
        this.learnerBytes + bytes > catchupBytesMax ||
        this.configFor(first.slot) !== this.configFor(entry.slot))
    ) {
      this.flushLearners();
    }
    this.forLearners.push(entry);
    this.learnerBytes += bytes;
  }

  /** The end of a step: the proposers that do not accept get this step's slots (everyone, unpaced). */
  flushStep(): void {
    if (this.forStep.length === 0) return;
    const entries = this.forStep;
    this.forStep = [];
    const paced = this.paced;
    this.send(entries, (id, configuration) => !paced || !this.isPacedLearner(id, configuration));
  }

  /** One tick: the nodes that only learn get what was gathered once it waited learnerDecideTicks. */
  tick(): void {
    this.flushStep();
    if (this.forLearners.length === 0) return;
    this.learnerElapsedTicks += 1;
    if (this.learnerElapsedTicks >= this.config.options.learnerDecideTicks) this.flushLearners();
  }

  /** What the nodes that only learn wait for goes now (a heartbeat to them, a leader stepping down). */
  flushLearners(): void {
    if (this.forLearners.length === 0) return;
    const entries = this.forLearners;
    this.forLearners = [];
    this.learnerBytes = 0;
    this.learnerElapsedTicks = 0;
    this.send(entries, (id, configuration) => this.isPacedLearner(id, configuration));
  }

  /** One Decide object (encoded once) to every node but this one that does not accept and `wanted`. */
  private send(
    entries: DecidedEntry[],
    wanted: (id: NodeId, configuration: Configuration) => boolean,
  ): void {
    const configuration = this.configFor(entries[0]!.slot);
    const to = this.config.learners.filter(
      (id) =>
        id !== this.config.id && !configuration.acceptors.includes(id) && wanted(id, configuration),
    );
    if (to.length > 0) this.out.sendAll(to, { type: 'decide', entries });
  }
}

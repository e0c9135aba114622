import type { Command, NodeId, Slot } from './types';

/**
 * Membership change by consensus: the α-window of Lamport's "Reconfiguring a State Machine"
 * (docs/PAXOS.md, "Membership change"). A reconfiguration is an ordinary command decided in some
 * slot i; it takes effect at slot i + α, so every replica that has applied slot i knows the
 * configuration of every slot up to i + α, and a proposer never proposes beyond the decided
 * prefix + α. Pure: no I/O, clock or randomness (docs/STYLE.md).
 */

/** One acceptor configuration: who votes, and how many make each quorum. */
export interface Configuration {
  readonly acceptors: readonly NodeId[];
  readonly phase1Quorum: number;
  readonly phase2Quorum: number;
}

/** Optional explicit quorums for the configuration a change produces (default: majorities). */
export interface QuorumSizes {
  readonly phase1Quorum?: number;
  readonly phase2Quorum?: number;
}

/** A change of the acceptor set: add one, remove one, or replace a (dead) one with a new one. */
export type Reconfiguration = QuorumSizes &
  (
    | { readonly kind: 'add'; readonly acceptor: NodeId }
    | { readonly kind: 'remove'; readonly acceptor: NodeId }
    | {
        readonly kind: 'replace';
        readonly acceptor: NodeId;
        readonly by: NodeId;
        /**
         * In place (`by` equal to `acceptor`): the incarnation the node runs as since it lost its
         * state (its data dir's IDENTITY). It votes again as that incarnation only, and only from
         * the slot this change takes effect (docs/PAXOS.md, "Re-admission").
         */
        readonly incarnation?: number;
      }
  );

/** A re-admitted acceptor: which incarnation may vote, from which slot on. */
export interface Admission {
  readonly acceptor: NodeId;
  readonly incarnation: number;
  readonly fromSlot: Slot;
}

/** Re-admissions a history keeps, at most (one per node: a later one replaces an earlier). */
export const admissionsMax = 1024;

export type ReconfigurationOutcome =
  | { readonly ok: true; readonly configuration: Configuration }
  | { readonly ok: false; readonly problems: readonly string[] };

export type DecidedReconfiguration =
  | {
      readonly ok: true;
      readonly configuration: Configuration;
      /** The first slot the new configuration decides: the deciding slot + α. */
      readonly effectiveSlot: Slot;
    }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Acceptors in one configuration, at most (a limit on everything: docs/STYLE.md rule 3). */
export const configurationAcceptorsMax = 64;

/** The payload tag of a reconfiguration command: the learner acts on it, the application never sees it. */
export const reconfigurationPayloadType = 'paxos.reconfigure';

/**
 * The quorum rules, one sentence per broken one. Shared by the static configuration (resolveConfig)
 * and every configuration a change produces, so both refuse exactly the same sets.
 */
export function quorumProblems(
  acceptorCount: number,
  phase1Quorum: number,
  phase2Quorum: number,
): string[] {
  const problems: string[] = [];
  for (const [name, size] of [
    ['phase-1', phase1Quorum],
    ['phase-2', phase2Quorum],
  ] as const) {
    if (!Number.isInteger(size) || size < 1 || size > acceptorCount) {
      problems.push(
        `The ${name} quorum (${size}) must be a whole number from 1 to ${acceptorCount}.`,
      );
    }
  }
  // Flexible Paxos §3: every phase-1 quorum must intersect every phase-2 quorum, which for
  // counting quorums is q1 + q2 > n; otherwise two leaders could choose different values for a slot.
  if (phase1Quorum + phase2Quorum <= acceptorCount) {
    problems.push(
      `The phase-1 quorum (${phase1Quorum}) plus the phase-2 quorum (${phase2Quorum}) must exceed ` +
        `the number of acceptors (${acceptorCount}), or two leaders could decide different values for one slot.`,
    );
  }
  // Proposers keep no state across a restart (a central's ballot lives in memory), so the only
  // thing stopping a restarted proposer from leading again with the ballot of its previous life is
  // that a phase-1 quorum already promised it (Acceptor.handlePrepare): phase-1 quorums must meet.
  if (2 * phase1Quorum <= acceptorCount) {
    problems.push(
      `The phase-1 quorum (${phase1Quorum}) must be more than half the acceptors (${acceptorCount}), ` +
        'or a restarted proposer could lead twice with the same ballot.',
    );
  }
  return problems;
}

function majority(acceptorCount: number): number {
  return Math.floor(acceptorCount / 2) + 1;
}

/** The acceptor set a change asks for, or why it cannot apply to `current`. */
function changedAcceptors(current: readonly NodeId[], change: Reconfiguration): NodeId[] | string {
  const has = (id: NodeId): boolean => current.includes(id);
  switch (change.kind) {
    case 'add':
      if (has(change.acceptor)) return `"${change.acceptor}" is already an acceptor.`;
      return [...current, change.acceptor];
    case 'remove':
      if (!has(change.acceptor)) return `"${change.acceptor}" is not an acceptor.`;
      if (current.length === 1) return `"${change.acceptor}" is the last acceptor.`;
      return current.filter((id) => id !== change.acceptor);
    case 'replace':
      if (!has(change.acceptor)) return `"${change.acceptor}" is not an acceptor.`;
      if (change.by === change.acceptor) {
        // In place, after a disk loss: the same set, a new incarnation (ConfigurationHistory.decide).
        if (change.incarnation === undefined || change.incarnation < 2) {
          return `Replacing "${change.acceptor}" in place names the incarnation it runs as now (2 or more).`;
        }
        return [...current];
      }
      if (has(change.by)) return `"${change.by}" is already an acceptor.`;
      // In place: the order of the list is the thrifty quorum's fallback order (Proposer).
      return current.map((id) => (id === change.acceptor ? change.by : id));
  }
}

/**
 * The configuration `change` makes of `current`, or every reason it cannot. The quorums are the
 * change's, else majorities of the new set; either way q1 + q2 > n and 2·q1 > n are checked.
 */
export function applyReconfiguration(
  current: Configuration,
  change: Reconfiguration,
): ReconfigurationOutcome {
  const ids = change.kind === 'replace' ? [change.acceptor, change.by] : [change.acceptor];
  if (ids.some((id) => id === '')) return { ok: false, problems: ['An acceptor id is empty.'] };
  const acceptors = changedAcceptors(current.acceptors, change);
  if (typeof acceptors === 'string') return { ok: false, problems: [acceptors] };
  if (acceptors.length > configurationAcceptorsMax) {
    return {
      ok: false,
      problems: [`A configuration has at most ${configurationAcceptorsMax} acceptors.`],
    };
  }
  const phase1Quorum = change.phase1Quorum ?? majority(acceptors.length);
  const phase2Quorum = change.phase2Quorum ?? majority(acceptors.length);
  const problems = quorumProblems(acceptors.length, phase1Quorum, phase2Quorum);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, configuration: { acceptors, phase1Quorum, phase2Quorum } };
}

/** A command that asks the cluster to change its acceptors: decided through the log like any other. */
export function reconfigurationCommand(
  clientId: string,
  seq: number,
  change: Reconfiguration,
): Command {
  return { clientId, seq, payload: { type: reconfigurationPayloadType, change } };
}

function isOptionalQuorum(value: unknown): boolean {
  return value === undefined || (typeof value === 'number' && Number.isInteger(value));
}

/**
 * The reconfiguration a command carries, or undefined when it is an application command. Checks
 * the shape: a command arrives from the network and may be anything.
 */
export function reconfigurationOf(command: Command): Reconfiguration | undefined {
  const payload = command.payload as { type?: unknown; change?: unknown } | null;
  if (typeof payload !== 'object' || payload === null) return undefined;
  if (payload.type !== reconfigurationPayloadType) return undefined;
  const change = payload.change as Record<string, unknown> | null;
  if (typeof change !== 'object' || change === null) return undefined;
  if (typeof change.acceptor !== 'string') return undefined;
  if (!isOptionalQuorum(change.phase1Quorum) || !isOptionalQuorum(change.phase2Quorum)) {
    return undefined;
  }
  const quorums = {
    ...(change.phase1Quorum === undefined ? {} : { phase1Quorum: change.phase1Quorum as number }),
    ...(change.phase2Quorum === undefined ? {} : { phase2Quorum: change.phase2Quorum as number }),
  };
  if (change.kind === 'add' || change.kind === 'remove') {
    return { kind: change.kind, acceptor: change.acceptor, ...quorums };
  }
  if (change.kind === 'replace' && typeof change.by === 'string') {
    const incarnation = change.incarnation;
    if (incarnation !== undefined && !Number.isSafeInteger(incarnation)) return undefined;
    return {
      kind: 'replace',
      acceptor: change.acceptor,
      by: change.by,
      ...quorums,
      ...(incarnation === undefined ? {} : { incarnation: incarnation as number }),
    };
  }
  return undefined;
}

/** One step of the history: `configuration` holds from `fromSlot` until the next step's. */
export interface ConfigurationStep {
  readonly fromSlot: Slot;
  readonly configuration: Configuration;
}

/**
 * The history of configurations a learner builds by applying the log in slot order. A change
 * decided in slot i is applied to the latest configuration (changes compose in decision order) and
 * holds from slot i + α. Carried in a snapshot (`steps`), so a replica that restores one knows the
 * configuration of every slot it will apply and propose.
 */
export class ConfigurationHistory {
  private readonly steps: ConfigurationStep[];
  /** Re-admissions by node: never compacted (a node that installs a snapshot still needs its own). */
  private readonly admissionsById = new Map<NodeId, Admission>();

  /**
   * @param alphaSlots α: a cluster constant, the same on every replica, at least the proposer's
   *   window (windowSlotsMax), or the window would be cut short by the α limit.
   */
  constructor(
    readonly alphaSlots: number,
    initial: Configuration | readonly ConfigurationStep[],
    /**
     * The nodes of the cluster (its file): a change naming another is void, since no node could
     * reach it. Undefined: any id (the simulator's checker, which mirrors the nodes' verdicts).
     */
    private readonly nodes?: readonly NodeId[],
    admissions: readonly Admission[] = [],
  ) {
    if (!Number.isInteger(alphaSlots) || alphaSlots < 1) {
      throw new RangeError(`α (${alphaSlots}) must be a whole number of at least 1.`);
    }
    const steps = 'acceptors' in initial ? [{ fromSlot: 0, configuration: initial }] : initial;
    if (steps.length === 0) throw new RangeError('A configuration history needs a first step.');
    this.steps = [...steps];
    for (const admission of admissions) this.admissionsById.set(admission.acceptor, admission);
  }

  /** The re-admissions, for a snapshot (plain data). */
  get admissions(): readonly Admission[] {
    return [...this.admissionsById.values()];
  }

  /** The latest re-admission of `id`, if it was ever replaced in place. */
  admissionOf(id: NodeId): Admission | undefined {
    return this.admissionsById.get(id);
  }

  /** The steps, oldest first: plain data for a snapshot. */
  get snapshotSteps(): readonly ConfigurationStep[] {
    return this.steps;
  }

  /** The slot the latest configuration holds from: above the applied prefix while a change is pending. */
  get latestFromSlot(): Slot {
    return this.steps[this.steps.length - 1]!.fromSlot;
  }

  /** The latest configuration decided, whether or not it holds yet. */
  get latest(): Configuration {
    return this.steps[this.steps.length - 1]!.configuration;
  }

  /**
   * The configuration that decides `slot`. Final for every slot below the applied prefix + α;
   * above that a later reconfiguration may still change it, so a proposer never goes there.
   */
  configurationFor(slot: Slot): Configuration {
    for (let index = this.steps.length - 1; index > 0; index -= 1) {
      const step = this.steps[index]!;
      if (step.fromSlot <= slot) return step.configuration;
    }
    return this.steps[0]!.configuration;
  }

  /**
   * The highest slot a proposer may propose in once every slot below `firstUnapplied` is decided
   * and applied: only there is each slot's configuration final (Lamport's α-window).
   */
  proposableThrough(firstUnapplied: Slot): Slot {
    return firstUnapplied - 1 + this.alphaSlots;
  }

  /**
   * Applies the reconfiguration decided in `slot` (called by the learner, in slot order). A change
   * that no longer fits the latest configuration (two operators raced) is decided but void: every
   * replica reaches the same verdict, and the command's result says why.
   */
  decide(
    slot: Slot,
    change: Reconfiguration,
    effectiveAfterSlots: number = this.alphaSlots,
  ): DecidedReconfiguration {
    const last = this.steps[this.steps.length - 1]!;
    // effectiveAfterSlots differs from α only for the planted bug 'config-at-decide-time'.
    const effectiveSlot = slot + effectiveAfterSlots;
    if (effectiveSlot < last.fromSlot) {
      throw new RangeError(`Slot ${slot} was decided out of order with a reconfiguration.`);
    }
    const named = change.kind === 'replace' ? [change.acceptor, change.by] : [change.acceptor];
    const unknown = named.find((id) => this.nodes !== undefined && !this.nodes.includes(id));
    if (unknown !== undefined) {
      return { ok: false, problems: [`"${unknown}" is not a node of the cluster.`] };
    }
    const outcome = applyReconfiguration(last.configuration, change);
    if (!outcome.ok) return outcome;
    if (change.kind === 'replace' && change.by === change.acceptor) {
      if (this.admissionsById.size >= admissionsMax && !this.admissionsById.has(change.acceptor)) {
        return { ok: false, problems: [`At most ${admissionsMax} nodes can be re-admitted.`] };
      }
      const { acceptor, incarnation } = change;
      this.admissionsById.set(acceptor, {
        acceptor,
        incarnation: incarnation as number,
        fromSlot: effectiveSlot,
      });
    }
    // Several changes in one slot's batch compose, in batch order, into one step.
    if (effectiveSlot === last.fromSlot && this.steps.length > 1) this.steps.pop();
    this.steps.push({ fromSlot: effectiveSlot, configuration: outcome.configuration });
    return { ...outcome, effectiveSlot };
  }

  /** Forgets steps that no slot from `slot` on can use (after a snapshot at slot - 1). */
  compactBelow(slot: Slot): void {
    while (this.steps.length > 1 && this.steps[1]!.fromSlot <= slot) this.steps.shift();
  }

  /** The configurations of the slots from `slot` to `throughSlot`, oldest first. */
  configurationsBetween(slot: Slot, throughSlot: Slot): Configuration[] {
    const configurations = [this.configurationFor(slot)];
    for (const step of this.steps) {
      if (step.fromSlot > slot && step.fromSlot <= throughSlot) {
        configurations.push(step.configuration);
      }
    }
    return configurations;
  }

  /** Every acceptor of some configuration for slots from `slot` to `throughSlot`: who to Prepare. */
  acceptorsBetween(slot: Slot, throughSlot: Slot): NodeId[] {
    const ids = new Set<NodeId>();
    for (const configuration of this.configurationsBetween(slot, throughSlot)) {
      for (const id of configuration.acceptors) ids.add(id);
    }
    return [...ids];
  }
}

/**
 * Whether `answered` holds a quorum of `configuration` for `phase`. Only the configuration's own
 * acceptors count: a node outside it answering for its slots proves nothing about them.
 */
export function hasQuorum(
  configuration: Configuration,
  answered: Iterable<NodeId>,
  phase: 1 | 2,
): boolean {
  let count = 0;
  for (const id of answered) if (configuration.acceptors.includes(id)) count += 1;
  return count >= (phase === 1 ? configuration.phase1Quorum : configuration.phase2Quorum);
}

/**
 * Whether a candidate's promises cover every slot it may propose in: a phase-1 quorum of each
 * configuration from `slot` to `throughSlot` (after a change, of the old and the new set both).
 */
export function phase1CoversWindow(
  history: ConfigurationHistory,
  slot: Slot,
  throughSlot: Slot,
  promisedBy: Iterable<NodeId>,
): boolean {
  const promised = [...promisedBy];
  return history
    .configurationsBetween(slot, throughSlot)
    .every((configuration) => hasQuorum(configuration, promised, 1));
}

/**
 * The bare phase-2 quorum a thrifty Accept goes to (Proposer): `self` if it is an acceptor of the
 * slot's configuration (no network), then those that answered the last decided slot first, then
 * the rest in configuration order. A target that fell silent is dropped after one slot: that slot
 * is decided by a held copy's answer at the next tick, and its answerers become the next quorum.
 */
export function thriftyQuorum(
  configuration: Configuration,
  self: NodeId,
  answeredFirst: Iterable<NodeId>,
): NodeId[] {
  const quorum: NodeId[] = [];
  for (const id of [self, ...answeredFirst, ...configuration.acceptors]) {
    if (quorum.length >= configuration.phase2Quorum) break;
    if (configuration.acceptors.includes(id) && !quorum.includes(id)) quorum.push(id);
  }
  return quorum;
}

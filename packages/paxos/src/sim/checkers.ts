import { ballotToString, compareBallots, type Ballot } from '../ballot';
import type { Message } from '../messages';
import {
  ConfigurationHistory,
  hasQuorum,
  reconfigurationOf,
  type Configuration,
} from '../membership';
import { commandKey, type AppliedEntry, type Command, type NodeId, type Slot } from '../types';

/** The properties of docs/DESIGN.md the simulator checks, named after the guarantees. */
export type Property =
  | 'promise-kept'
  | 'one-value-per-ballot'
  | 'agreement'
  | 'validity'
  | 'in-order'
  | 'exactly-once'
  | 'durability'
  | 'liveness'
  | 'sticky-leader'
  | 'configuration';

export const properties: readonly Property[] = [
  'promise-kept',
  'one-value-per-ballot',
  'agreement',
  'validity',
  'in-order',
  'exactly-once',
  'durability',
  'liveness',
  'sticky-leader',
  'configuration',
];

export interface Violation {
  readonly seed: number;
  readonly property: Property;
  readonly tick: number;
  readonly detail: string;
}

/**
 * Checks every applied entry as it happens (safety) and the end state (durability, liveness).
 * OmniPaxos-style: one method per guarantee, each naming what it found.
 */
export class Checkers {
  readonly violations: Violation[] = [];
  /**
   * How many times each property was put to the test: a check that had nothing to compare (one
   * replica, no retried command, no crash) proves nothing, and a run reports it as vacuous.
   */
  readonly exercised: Record<Property, number> = {
    'promise-kept': 0,
    'one-value-per-ballot': 0,
    agreement: 0,
    validity: 0,
    'in-order': 0,
    'exactly-once': 0,
    durability: 0,
    liveness: 0,
    'sticky-leader': 0,
    configuration: 0,
  };
  /**
   * The configuration history as the log decides it, with the true α: built from the first
   * replica to apply each slot (agreement makes them all the same), never from a node's own view.
   */
  private readonly history: ConfigurationHistory;
  /** Reconfigurations decided that changed the acceptors. */
  reconfigurations = 0;
  /** The next slot the history takes in. */
  private historyNext: Slot = 0;
  /** Decisions a leader made, waiting until the configuration of their slot is final. */
  private undecidedQuorums: { node: NodeId; slot: Slot; acceptedBy: readonly NodeId[] }[] = [];
  /** The first value seen chosen for each slot, as a canonical key. */
  private readonly chosen = new Map<Slot, string>();
  /** Every command applied anywhere, ever: durability says none may vanish. */
  readonly everApplied = new Set<string>();
  private readonly submitted = new Map<string, string>();
  /** Per acceptor: the highest ballot it ever promised, as its own messages show, across restarts. */
  private readonly promisedMax = new Map<NodeId, Ballot>();
  /** Per "ballot@slot": the value first proposed there (an Accept's value), as a canonical key. */
  private readonly proposed = new Map<string, string>();
  /** Per node: the last slot it applied in its current life. */
  private readonly lastApplied = new Map<NodeId, Slot>();

  constructor(
    private readonly seed: number,
    private readonly now: () => number,
    first: Configuration,
    alphaSlots: number,
  ) {
    this.history = new ConfigurationHistory(alphaSlots, first);
  }

  /** The latest configuration the log decided (what an operator would read from the cluster). */
  get configurations(): ConfigurationHistory {
    return this.history;
  }

  /**
   * Every slot decided under the configuration agreed for it (Lamport, "Reconfiguring a State
   * Machine"): the acceptors a leader counted form a phase-2 quorum of that slot's configuration,
   * the one the log fixed α slots earlier — whatever the leader believed at the time.
   */
  checkDecision(node: NodeId, slot: Slot, acceptedBy: readonly NodeId[]): void {
    this.undecidedQuorums.push({ node, slot, acceptedBy });
    this.checkFinalDecisions();
  }

  private checkFinalDecisions(): void {
    const finalThrough = this.history.proposableThrough(this.historyNext);
    const waiting: typeof this.undecidedQuorums = [];
    for (const decision of this.undecidedQuorums) {
      if (decision.slot > finalThrough) {
        waiting.push(decision);
        continue;
      }
      const configuration = this.history.configurationFor(decision.slot);
      this.exercised.configuration += 1;
      if (!hasQuorum(configuration, decision.acceptedBy, 2)) {
        this.violate(
          'configuration',
          `${decision.node} decided slot ${decision.slot} with [${decision.acceptedBy.join(',')}], ` +
            `not a phase-2 quorum (${configuration.phase2Quorum}) of its configuration [${configuration.acceptors.join(',')}]`,
        );
      }
    }
    this.undecidedQuorums = waiting;
  }

  /** The slot's reconfigurations go into the history, the first time any replica applies it. */
  private learnConfiguration(entry: AppliedEntry): void {
    if (entry.slot !== this.historyNext) return;
    for (const applied of entry.commands) {
      const change = reconfigurationOf(applied.command);
      if (change === undefined || applied.duplicate) continue;
      if (this.history.decide(entry.slot, change).ok) this.reconfigurations += 1;
    }
    this.historyNext += 1;
    this.checkFinalDecisions();
  }

  private violate(property: Property, detail: string): void {
    // One report per property is enough to fail a seed and keeps the output readable.
    if (this.violations.some((violation) => violation.property === property)) return;
    this.violations.push({ seed: this.seed, property, tick: this.now(), detail });
  }

  recordSubmitted(command: Command): void {
    this.submitted.set(commandKey(command), JSON.stringify(command.payload));
  }

  /** A node (re)started with its applied point at `appliedThrough` (its snapshot, or -1). */
  resetNode(node: NodeId, appliedThrough: Slot): void {
    this.lastApplied.set(node, appliedThrough);
  }

  /** Agreement, validity and in-order application, for one applied entry. */
  checkApplied(node: NodeId, entry: AppliedEntry): void {
    this.checkInOrder(node, entry.slot);
    this.checkAgreement(node, entry);
    for (const applied of entry.commands) this.checkValidity(node, entry.slot, applied.command);
    for (const applied of entry.commands) {
      // A retried command the learner recognised: exactly-once had something to refuse.
      if (applied.duplicate) this.exercised['exactly-once'] += 1;
      // A reconfiguration changes the history, not the application's state.
      else if (reconfigurationOf(applied.command) === undefined)
        this.everApplied.add(commandKey(applied.command));
    }
    this.learnConfiguration(entry);
  }

  /**
   * Promise kept: an acceptor never answers a ballot below one it has promised, in this life or an
   * earlier one (Paxos Made Simple §2.2, P1a; the promise must survive a crash). Checked on every
   * message an acceptor sends, so a broken promise is caught even when no two values collide.
   */
  checkAcceptorMessage(acceptor: NodeId, message: Message): void {
    let answered: Ballot | undefined;
    let promised: Ballot | undefined;
    if (message.type === 'promise' || message.type === 'accepted') {
      answered = message.ballot;
      promised = message.ballot;
    } else if (message.type === 'nack') {
      promised = message.promised;
    } else {
      return;
    }
    const max = this.promisedMax.get(acceptor);
    if (answered && max) this.exercised['promise-kept'] += 1;
    if (answered && max && compareBallots(answered, max) < 0) {
      this.violate(
        'promise-kept',
        `${acceptor} answered ${message.type} for ballot ${ballotToString(answered)} after promising ${ballotToString(max)}`,
      );
    }
    if (!max || compareBallots(promised, max) > 0) this.promisedMax.set(acceptor, promised);
  }

  /**
   * One value per ballot and slot: a ballot is issued once (Paxos Made Simple §2.2: different
   * proposals have different numbers), so every Accept with that ballot for a slot carries the same
   * value, across the proposer's restarts too (a restarted central must not lead twice with one
   * ballot). Checked on every Accept a proposer sends, so a reused ballot is caught when it
   * happens, even when no acceptor ends up holding both values.
   */
  checkProposerMessage(proposer: NodeId, message: Message): void {
    if (message.type !== 'accept') return;
    const where = `${ballotToString(message.ballot)}@${message.slot}`;
    const value = valueKey(message.value.commands.map(commandKey));
    const known = this.proposed.get(where);
    if (known === undefined) {
      this.proposed.set(where, value);
      return;
    }
    this.exercised['one-value-per-ballot'] += 1;
    if (known !== value) {
      this.violate(
        'one-value-per-ballot',
        `${proposer} proposed [${value}] in slot ${message.slot} with ballot ${ballotToString(message.ballot)}, which already carried [${known}]`,
      );
    }
  }

  checkInOrder(node: NodeId, slot: Slot): void {
    const last = this.lastApplied.get(node) ?? -1;
    this.exercised['in-order'] += 1;
    if (slot !== last + 1)
      this.violate('in-order', `${node} applied slot ${slot} right after slot ${last}`);
    this.lastApplied.set(node, slot);
  }

  checkAgreement(node: NodeId, entry: AppliedEntry): void {
    const key = valueKey(entry.commands.map((c) => commandKey(c.command)));
    const known = this.chosen.get(entry.slot);
    if (known === undefined) this.chosen.set(entry.slot, key);
    else this.exercised.agreement += 1;
    if (known !== undefined && known !== key) {
      this.violate(
        'agreement',
        `slot ${entry.slot}: ${node} decided [${key}] but [${known}] was decided before`,
      );
    }
  }

  checkValidity(node: NodeId, slot: Slot, command: Command): void {
    const payload = this.submitted.get(commandKey(command));
    this.exercised.validity += 1;
    if (payload === undefined || payload !== JSON.stringify(command.payload)) {
      this.violate(
        'validity',
        `${node} applied ${commandKey(command)} in slot ${slot}, which no client submitted`,
      );
    }
  }

  checkExactlyOnce(
    node: NodeId,
    problems: readonly { property: 'in-order' | 'exactly-once'; detail: string }[],
  ): void {
    for (const problem of problems) this.violate(problem.property, `${node}: ${problem.detail}`);
  }

  /**
   * Durability: every command ever applied anywhere is in every live replica's final state. It is
   * put to the test only when some node crashed (lost its memory) after commands were applied.
   */
  checkDurability(finalStates: ReadonlyMap<NodeId, readonly string[]>, crashed: boolean): void {
    if (crashed) this.exercised.durability += this.everApplied.size;
    for (const [node, keys] of finalStates) {
      const have = new Set(keys);
      for (const key of this.everApplied) {
        if (!have.has(key)) {
          this.violate(
            'durability',
            `${key} was applied earlier but is missing from ${node}'s final state`,
          );
          return;
        }
      }
    }
    // Agreement of whole states: replicas that applied the same slots hold the same sequence.
    const states = [...finalStates.entries()];
    const [firstNode, firstKeys] = states[0] ?? ['', []];
    for (const [node, keys] of states) {
      if (keys.join(',') !== firstKeys.join(',')) {
        this.violate(
          'agreement',
          `final states differ: ${firstNode} has ${firstKeys.length} commands, ${node} has ${keys.length}`,
        );
        return;
      }
    }
  }

  checkLiveness(undecided: readonly string[], ticksAfterHeal: number, commands: number): void {
    this.exercised.liveness += commands;
    if (undecided.length === 0) return;
    this.violate(
      'liveness',
      `${undecided.length} command(s) not applied everywhere ${ticksAfterHeal} ticks after the last fault healed (first: ${undecided[0]})`,
    );
  }

  /** sim/sticky-leader.ts: a restarted standby's campaign must not depose a leader the acceptors hear. */
  checkStickyLeader(
    leaderBefore: NodeId,
    leaderAfter: NodeId | undefined,
    elections: number,
    standby: NodeId,
  ): void {
    this.exercised['sticky-leader'] += 1;
    if (elections === 0 && leaderAfter === leaderBefore) return;
    this.violate(
      'sticky-leader',
      `${standby} restarted and campaigned against the stable leader ${leaderBefore}: ` +
        `${elections} election(s), ${leaderAfter ?? 'no one'} leads after`,
    );
  }
}

function valueKey(commandKeys: readonly string[]): string {
  return commandKeys.length === 0 ? 'noop' : commandKeys.join(',');
}

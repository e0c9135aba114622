import { ballotToString, compareBallots, type Ballot } from '../ballot';
import type { Message } from '../messages';
import { commandKey, type AppliedEntry, type Command, type NodeId, type Slot } from '../types';

/** The properties of docs/DESIGN.md the simulator checks, named after the guarantees. */
export type Property =
  | 'promise-kept'
  | 'agreement'
  | 'validity'
  | 'in-order'
  | 'exactly-once'
  | 'durability'
  | 'liveness';

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
  /** The first value seen chosen for each slot, as a canonical key. */
  private readonly chosen = new Map<Slot, string>();
  /** Every command applied anywhere, ever: durability says none may vanish. */
  readonly everApplied = new Set<string>();
  private readonly submitted = new Map<string, string>();
  /** Per acceptor: the highest ballot it ever promised, as its own messages show, across restarts. */
  private readonly promisedMax = new Map<NodeId, Ballot>();
  /** Per node: the last slot it applied in its current life. */
  private readonly lastApplied = new Map<NodeId, Slot>();

  constructor(
    private readonly seed: number,
    private readonly now: () => number,
  ) {}

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
    for (const applied of entry.commands)
      if (!applied.duplicate) this.everApplied.add(commandKey(applied.command));
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
    if (answered && max && compareBallots(answered, max) < 0) {
      this.violate(
        'promise-kept',
        `${acceptor} answered ${message.type} for ballot ${ballotToString(answered)} after promising ${ballotToString(max)}`,
      );
    }
    if (!max || compareBallots(promised, max) > 0) this.promisedMax.set(acceptor, promised);
  }

  checkInOrder(node: NodeId, slot: Slot): void {
    const last = this.lastApplied.get(node) ?? -1;
    if (slot !== last + 1)
      this.violate('in-order', `${node} applied slot ${slot} right after slot ${last}`);
    this.lastApplied.set(node, slot);
  }

  checkAgreement(node: NodeId, entry: AppliedEntry): void {
    const key =
      entry.commands.length === 0
        ? 'noop'
        : entry.commands.map((c) => commandKey(c.command)).join(',');
    const known = this.chosen.get(entry.slot);
    if (known === undefined) this.chosen.set(entry.slot, key);
    else if (known !== key) {
      this.violate(
        'agreement',
        `slot ${entry.slot}: ${node} decided [${key}] but [${known}] was decided before`,
      );
    }
  }

  checkValidity(node: NodeId, slot: Slot, command: Command): void {
    const payload = this.submitted.get(commandKey(command));
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

  /** Durability: every command ever applied anywhere is in every live replica's final state. */
  checkDurability(finalStates: ReadonlyMap<NodeId, readonly string[]>): void {
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

  checkLiveness(undecided: readonly string[], ticksAfterHeal: number): void {
    if (undecided.length === 0) return;
    this.violate(
      'liveness',
      `${undecided.length} command(s) not applied everywhere ${ticksAfterHeal} ticks after the last fault healed (first: ${undecided[0]})`,
    );
  }
}

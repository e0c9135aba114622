import { commandKey, type Command, type Slot, type StateMachine } from '../types';

export interface RecordingState {
  /** Command keys in the order they were applied. */
  readonly keys: readonly string[];
  readonly lastSlot: Slot;
}

/**
 * The simulator's application: it records every command it applies, so the checkers can compare
 * replicas and see a command applied twice.
 */
export class RecordingStateMachine implements StateMachine<RecordingState, number> {
  keys: string[] = [];
  private seen = new Set<string>();
  lastSlot: Slot = -1;
  /** Problems seen while applying: an out-of-order slot, a command applied twice. */
  readonly problems: { property: 'in-order' | 'exactly-once'; detail: string }[] = [];

  apply(command: Command, slot: Slot): number {
    const key = commandKey(command);
    if (slot < this.lastSlot) {
      this.problems.push({
        property: 'in-order',
        detail: `applied slot ${slot} after slot ${this.lastSlot}`,
      });
    }
    if (this.seen.has(key)) {
      this.problems.push({
        property: 'exactly-once',
        detail: `command ${key} applied twice (again in slot ${slot})`,
      });
    }
    this.lastSlot = slot;
    this.seen.add(key);
    this.keys.push(key);
    return this.keys.length;
  }

  snapshot(): RecordingState {
    return { keys: [...this.keys], lastSlot: this.lastSlot };
  }

  restore(snapshot: RecordingState): void {
    this.keys = [...snapshot.keys];
    this.seen = new Set(this.keys);
    this.lastSlot = snapshot.lastSlot;
  }
}

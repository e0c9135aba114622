import { ballotZero } from '@evpaxos/paxos';
import type {
  AcceptedEntry,
  Ballot,
  PersistDelta,
  PersistedState,
  Slot,
  Snapshot,
} from '@evpaxos/paxos';

/**
 * The persisted acceptor state, folded from deltas. Both stores replay through this one class, so
 * the memory twin and the file log cannot disagree about what a sequence of deltas means.
 *
 * Replay rules, in this order within one delta:
 * 1. `promised`, when present, replaces the promised ballot (the core only ever raises it).
 * 2. Each accepted entry replaces the slot's entry: the latest written wins.
 * 3. `snapshot`, when present, replaces the snapshot and drops accepted entries for slots
 *    <= snapshot.appliedThrough (they are reflected in the snapshot's state).
 */
export class AcceptorState {
  private promised: Ballot = ballotZero;
  private readonly acceptedBySlot = new Map<Slot, AcceptedEntry>();
  private snapshot: Snapshot | undefined = undefined;

  applyDelta(delta: PersistDelta): void {
    if (delta.promised !== undefined) this.promised = delta.promised;
    for (const entry of delta.accepted) this.acceptedBySlot.set(entry.slot, entry);
    if (delta.snapshot !== undefined) {
      const snapshot = delta.snapshot;
      this.snapshot = snapshot;
      for (const slot of this.acceptedBySlot.keys()) {
        if (slot <= snapshot.appliedThrough) this.acceptedBySlot.delete(slot);
      }
    }
  }

  /**
   * Replaces everything with `state`, verbatim: no snapshot rule is applied, because a compacted log
   * must replay to exactly the state it was written from (an entry accepted after a snapshot for a
   * slot below it is kept, as replaying the original deltas would keep it).
   */
  reset(state: PersistedState): void {
    this.promised = state.promised;
    this.acceptedBySlot.clear();
    for (const entry of state.accepted) this.acceptedBySlot.set(entry.slot, entry);
    this.snapshot = state.snapshot;
  }

  /**
   * A copy of the state for `load()`: entries copied, values shared (never changed, and an encoded
   * value must stay the object it is), the snapshot cloned.
   */
  copy(): PersistedState {
    const view = this.view();
    const state: PersistedState = {
      promised: { ...view.promised },
      accepted: view.accepted.map((entry) => ({ ...entry })),
    };
    if (view.snapshot !== undefined) state.snapshot = structuredClone(view.snapshot);
    return state;
  }

  /** The state as plain data, accepted entries in slot order. Shares objects: copy before handing out. */
  view(): PersistedState {
    const accepted = [...this.acceptedBySlot.values()].sort((a, b) => a.slot - b.slot);
    const state: PersistedState = { promised: this.promised, accepted };
    if (this.snapshot !== undefined) state.snapshot = this.snapshot;
    return state;
  }
}

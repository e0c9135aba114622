import type { AcceptedEntry, PersistDelta, PersistedState, Slot } from '../types';
import { ballotZero } from '../ballot';

/**
 * The simulator's durable storage: it keeps exactly what a node's Ready batches persisted, and
 * nothing else survives a crash. Same semantics as the storage package's stores.
 */
export class SimDisk {
  private state: PersistedState = { promised: ballotZero, accepted: [] };
  private readonly accepted = new Map<Slot, AcceptedEntry>();

  write(delta: PersistDelta): void {
    if (delta.promised) this.state.promised = delta.promised;
    if (delta.snapshot) {
      this.state.snapshot = delta.snapshot;
      for (const slot of this.accepted.keys()) {
        if (slot <= delta.snapshot.appliedThrough) this.accepted.delete(slot);
      }
    }
    for (const entry of delta.accepted) this.accepted.set(entry.slot, entry);
  }

  read(): PersistedState {
    return {
      promised: this.state.promised,
      accepted: [...this.accepted.values()].sort((a, b) => a.slot - b.slot),
      ...(this.state.snapshot ? { snapshot: this.state.snapshot } : {}),
    };
  }
}

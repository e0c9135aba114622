import type { AcceptedEntry, PersistDelta, PersistedState, Slot } from '../types';
import { ballotZero } from '../ballot';

/**
 * The simulator's durable storage: it keeps exactly what a node's Ready batches persisted, and
 * nothing else survives a crash. Same semantics as the storage package's stores.
 */
export class SimDisk {
  private state: PersistedState = { promised: ballotZero, accepted: [] };
  private readonly accepted = new Map<Slot, AcceptedEntry>();
  /**
   * Set by the disk-loss fault: the state is gone but the node can tell, as a real data dir's
   * IDENTITY outlives a deleted log (docs/STORAGE.md, "Knowing what was lost").
   */
  private amnesiaFlag = false;

  get amnesia(): boolean {
    return this.amnesiaFlag;
  }

  /** The disk-loss fault: everything persisted is gone. */
  wipe(): void {
    this.state = { promised: ballotZero, accepted: [] };
    this.accepted.clear();
    this.amnesiaFlag = true;
  }

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

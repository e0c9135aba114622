/**
 * The site as a Paxos `StateMachine`: decided commands are applied here in slot order on every
 * replica. Exactly-once for retried commands is the paxos package's job (its client table); this
 * adapter only checks and applies payloads.
 */
import type { Command, Slot, StateMachine } from '@evpaxos/paxos';
import { readSiteCommand } from './commands';
import type { SiteResult } from './handlers/kit';
import { applySiteCommand } from './reducer';
import type { SiteOptions, SiteState } from './state';
import { cloneSiteState, createSiteState } from './state';

export interface SiteStateMachine extends StateMachine<SiteState, SiteResult> {
  /** The current state. Read-only by contract: the reducer never mutates a state it returns. */
  readonly state: SiteState;
}

/** A replica of the site state, starting empty with `options` (identical on every replica). */
export function createSiteStateMachine(options: SiteOptions = {}): SiteStateMachine {
  let state = createSiteState(options);
  return {
    get state(): SiteState {
      return state;
    },
    apply(command: Command, _slot: Slot): SiteResult {
      const parsed = readSiteCommand(command.payload);
      if (!parsed.ok) return parsed;
      const next = applySiteCommand(state, parsed.command);
      state = next.state;
      return next.result;
    },
    snapshot(): SiteState {
      return cloneSiteState(state);
    },
    restore(snapshot: SiteState): void {
      state = cloneSiteState(snapshot);
    },
  };
}

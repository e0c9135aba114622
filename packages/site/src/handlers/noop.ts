/** Noop: nothing; advances the replicated clock (also what a leader proposes to fill a hole). */
import type { Noop } from '../commands';
import type { SiteState } from '../state';
import type { SiteTransition } from './kit';
import { accept, begin } from './kit';

/** Always accepted: the clock moves to t and expired reservations go, as for every command. */
export function handleNoop(state: SiteState, command: Noop, t: number): SiteTransition {
  return accept(begin(state, t), { ok: true, type: command.type });
}

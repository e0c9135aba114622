/** SetSiteLimit: the operator changes the site's grid limit. */
import type { SetSiteLimit } from '../commands';
import { SITE_LIMIT_W_MAX } from '../constants';
import type { SiteState } from '../state';
import type { Refusal, SiteTransition } from './kit';
import { accept, begin, refuse } from './kit';

/** What needs no state: the limit is at most SITE_LIMIT_W_MAX. */
export function checkSetSiteLimit(command: SetSiteLimit): Refusal | null {
  return command.siteLimitW > SITE_LIMIT_W_MAX
    ? {
        code: 'site-limit-out-of-range',
        reason: `siteLimitW ${command.siteLimitW} is above ${SITE_LIMIT_W_MAX}`,
      }
    : null;
}

/**
 * Sets the limit. Lowering it takes effect on drawn power within two leases (lease.ts, A3): the
 * grants already recorded are drawn until their epochs run out.
 */
export function handleSetSiteLimit(
  state: SiteState,
  command: SetSiteLimit,
  t: number,
): SiteTransition {
  const refusal = checkSetSiteLimit(command);
  if (refusal !== null) return refuse(state, refusal);
  const draft = begin(state, t);
  draft.siteLimitW = command.siteLimitW;
  return accept(draft, { ok: true, type: command.type });
}

import { expect } from 'chai';
import { SITE_LIMIT_W_MAX, createSiteState } from '../../src';
import { checkSetSiteLimit, handleSetSiteLimit } from '../../src/handlers/set-site-limit';
import { T0 } from '../helpers';

describe('handlers: SetSiteLimit', () => {
  const limit = (siteLimitW: number) => ({ type: 'SetSiteLimit', atMs: T0, siteLimitW }) as const;

  it('sets the limit', () => {
    const { state, result } = handleSetSiteLimit(createSiteState(), limit(30_000), T0);
    expect(result).to.deep.equal({ ok: true, type: 'SetSiteLimit' });
    expect(state.siteLimitW).to.equal(30_000);
  });

  it('needs no state to refuse a limit above SITE_LIMIT_W_MAX, and the reducer refuses it too', () => {
    expect(checkSetSiteLimit(limit(SITE_LIMIT_W_MAX + 1))).to.include({
      code: 'site-limit-out-of-range',
    });
    expect(checkSetSiteLimit(limit(SITE_LIMIT_W_MAX))).to.equal(null);
    const site = createSiteState();
    const { state, result } = handleSetSiteLimit(site, limit(SITE_LIMIT_W_MAX + 1), T0);
    expect(result).to.include({ ok: false, code: 'site-limit-out-of-range' });
    expect(state).to.equal(site);
  });
});

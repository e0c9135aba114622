import { expect } from 'chai';
import { applySiteCommand, type SiteCommand } from '../../src';
import { T0, siteWithLeases, start } from '../helpers';

const refused = (chargePointId: string): SiteCommand => ({
  type: 'RecordProfileRefused',
  atMs: T0 + 2,
  chargePointId,
});

describe('handlers: RecordProfileRefused (a station without Smart Charging)', () => {
  it('budgets its session at the charge point maximum, before the others', () => {
    // Limit 30 kW, three charge points of 22 kW; cp1 refuses profiles.
    let state = siteWithLeases(['cp1', 'cp2', 'cp3'], { siteLimitW: 30_000, chargePointsMax: 3 });
    state = applySiteCommand(state, refused('cp1')).state;
    expect(state.chargePoints.cp1?.profilesRefused).to.equal(true);
    state = applySiteCommand(state, start('tx1', 'cp1', 1, T0 + 3)).state;
    state = applySiteCommand(state, start('tx2', 'cp2', 1, T0 + 4)).state;
    expect(state.sessions.tx1?.allocatedW).to.equal(22_000);
    expect(state.sessions.tx1?.allocationStatus).to.equal('scheduled');
    expect(state.sessions.tx2?.allocatedW).to.be.at.most(8_000);
  });

  it('refuses to start it when its maximum does not fit (no-headroom), changing nothing', () => {
    let state = siteWithLeases(['cp1', 'cp2'], { siteLimitW: 30_000, chargePointsMax: 2 });
    state = applySiteCommand(state, refused('cp1')).state;
    state = applySiteCommand(state, refused('cp2')).state;
    state = applySiteCommand(state, start('tx1', 'cp1', 1, T0 + 3)).state;
    const second = applySiteCommand(state, start('tx2', 'cp2', 1, T0 + 4));
    expect(second.result).to.include({ ok: false, code: 'no-headroom' });
    expect(second.state).to.equal(state);
  });

  it('rejects an unknown charge point', () => {
    const state = siteWithLeases(['cp1']);
    expect(applySiteCommand(state, refused('cpX')).result).to.include({
      ok: false,
      code: 'unknown-charge-point',
    });
  });
});

import { expect } from 'chai';
import { siteConfigSection, siteSizeProblems } from '../src';

function read(value: unknown): { site: unknown; problems: string[] } {
  const problems: string[] = [];
  return { site: siteConfigSection.read(value, problems), problems };
}

describe('siteConfigSection (the cluster file\'s "site")', () => {
  it('is the "site" key', () => {
    expect(siteConfigSection.key).to.equal('site');
  });

  it('reads siteLimitW and leaseMs', () => {
    expect(read({ siteLimitW: 44_000, leaseMs: 30_000 })).to.deep.equal({
      site: { siteLimitW: 44_000, leaseMs: 30_000 },
      problems: [],
    });
    expect(read({})).to.deep.equal({ site: {}, problems: [] });
  });

  it('refuses what is not an object', () => {
    for (const value of [null, 44_000, [1], 'site']) {
      expect(read(value)).to.deep.equal({
        site: undefined,
        problems: ['The cluster file\'s "site" must be an object, e.g. { "siteLimitW": 44000 }.'],
      });
    }
  });

  it('names each unknown key and refuses a limit that is not a positive whole number', () => {
    expect(read({ siteLimitW: 1.5, limit: 3 })).to.deep.equal({
      site: undefined,
      problems: [
        'The cluster file\'s "site" has an unknown key "limit".',
        'site.siteLimitW (1.5) must be a positive whole number of W.',
      ],
    });
    expect(read({ leaseMs: 0 }).problems).to.deep.equal([
      'site.leaseMs (0) must be a positive whole number of ms.',
    ]);
  });

  it('reads chargePointsMax, and completes it from the cluster file: the number of charge points', () => {
    expect(read({ chargePointsMax: 9 })).to.deep.equal({
      site: { chargePointsMax: 9 },
      problems: [],
    });
    const nodes = [
      { role: 'central' },
      ...Array.from({ length: 9 }, () => ({ role: 'charge-point' })),
    ];
    const problems: string[] = [];
    expect(siteConfigSection.complete(undefined, nodes, problems)).to.deep.equal({
      chargePointsMax: 9,
    });
    expect(siteConfigSection.complete({ chargePointsMax: 12 }, nodes, problems)).to.deep.equal({
      chargePointsMax: 12,
    });
    expect(problems).to.deep.equal([]);
  });

  it('refuses a site that cannot work: too few places for its charge points, or no fail-safe power', () => {
    expect(siteSizeProblems({ chargePointsMax: 5 }, 9)).to.deep.equal([
      'site.chargePointsMax (5) is below the 9 charge points of the cluster: 4 of them could never register.',
    ]);
    // 44 kW holds 31 charge points at 1,419 W each; 32 would get 1,375 W.
    expect(siteSizeProblems({ siteLimitW: 44_000 }, 31)).to.deep.equal([]);
    expect(siteSizeProblems({ siteLimitW: 44_000 }, 32)).to.deep.equal([
      'The fail-safe share, site.siteLimitW / site.chargePointsMax = 44000 / 32 = 1375 W, is below 1380 W, the least an EV charges at: raise the site limit or lower chargePointsMax.',
    ]);
    expect(siteSizeProblems({ chargePointsMax: 2_000, siteLimitW: 10_000_000 }, 3)).to.deep.equal([
      'site.chargePointsMax (2000) is above 1000, the most one site holds.',
    ]);
  });
});

import { expect } from 'chai';
import { siteConfigSection } from '../src';

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
});

import { expect } from 'chai';
import {
  defaultSimOptions,
  drawScenario,
  faultKinds,
  formatScenario,
  resolveConfig,
  simulate,
} from '../src';

const allFaults = new Set(faultKinds);

describe('simulation swarm: each seed draws its own scenario', () => {
  it('draws the same scenario for the same seed, and different ones across seeds', () => {
    expect(drawScenario(17, allFaults)).to.deep.equal(drawScenario(17, allFaults));
    const shapes = new Set<string>();
    for (let seed = 1; seed <= 200; seed += 1) {
      const s = drawScenario(seed, allFaults);
      shapes.add(`${s.proposers}/${s.acceptors}/${s.phase1Quorum}/${s.phase2Quorum}`);
    }
    expect(shapes.size).to.be.greaterThan(20);
  });

  it('draws every dimension within its range: proposers 1-3, acceptors 3-7, quorums that intersect', () => {
    const seen = { proposers: new Set<number>(), acceptors: new Set<number>(), smallValues: 0 };
    for (let seed = 1; seed <= 500; seed += 1) {
      const s = drawScenario(seed, allFaults);
      seen.proposers.add(s.proposers);
      seen.acceptors.add(s.acceptors);
      if ((s.paxosOptions.valueBytesMax ?? Infinity) < 1000) seen.smallValues += 1;
      // Flexible Paxos §3: q1 + q2 > n, and this core's 2·q1 > n (docs/PAXOS.md).
      expect(s.phase1Quorum + s.phase2Quorum, `seed ${seed}`).to.be.greaterThan(s.acceptors);
      expect(2 * s.phase1Quorum, `seed ${seed}`).to.be.greaterThan(s.acceptors);
      // The drawn limits pass the core's own checks.
      expect(() =>
        resolveConfig({
          id: 'a1',
          cluster: {
            proposers: ['p1'],
            acceptors: Array.from({ length: s.acceptors }, (_, i) => `a${i + 1}`),
            phase1Quorum: s.phase1Quorum,
            phase2Quorum: s.phase2Quorum,
          },
          options: s.paxosOptions,
        }),
      ).to.not.throw();
    }
    expect([...seen.proposers].sort()).to.deep.equal([1, 2, 3]);
    expect([...seen.acceptors].sort()).to.deep.equal([3, 4, 5, 6, 7]);
    expect(seen.smallValues, 'seeds with a small value-size limit').to.be.greaterThan(100);
  });

  it('leaves some allowed faults out of each seed, and never draws one that was not allowed', () => {
    const allowed = new Set(['loss', 'crash'] as const);
    let omitted = 0;
    for (let seed = 1; seed <= 100; seed += 1) {
      const { faults } = drawScenario(seed, allowed);
      for (const fault of faults) expect(allowed.has(fault as 'loss' | 'crash')).to.equal(true);
      if (faults.length < allowed.size) omitted += 1;
    }
    expect(omitted).to.be.greaterThan(10).and.lessThan(90);
  });

  it('a pinned dimension is kept and leaves the other draws of the seed as they were', () => {
    for (let seed = 1; seed <= 50; seed += 1) {
      const free = drawScenario(seed, allFaults);
      const pinned = drawScenario(seed, allFaults, { acceptors: 5 });
      expect(pinned.acceptors).to.equal(5);
      expect({ ...pinned, acceptors: 0, phase1Quorum: 0, phase2Quorum: 0 }).to.deep.equal({
        ...free,
        acceptors: 0,
        phase1Quorum: 0,
        phase2Quorum: 0,
      });
    }
  });

  it('a pinned quorum moves the drawn acceptor count to one it fits (q1 = 2: at most 3 acceptors)', () => {
    for (let seed = 1; seed <= 50; seed += 1) {
      const s = drawScenario(seed, allFaults, { phase1Quorum: 2 });
      expect(s.phase1Quorum).to.equal(2);
      expect(s.acceptors).to.be.within(2, 3);
      expect(s.phase1Quorum + s.phase2Quorum).to.be.greaterThan(s.acceptors);
    }
  });

  it('leans some seeds to a nemesis profile: leader churn, split brain (two proposers at least), an amnesiac lone leader', () => {
    const counts = new Map<string, number>();
    for (let seed = 1; seed <= 400; seed += 1) {
      const s = drawScenario(seed, allFaults);
      counts.set(s.profile, (counts.get(s.profile) ?? 0) + 1);
      if (s.profile === 'split-brain') expect(s.proposers, `seed ${seed}`).to.be.at.least(2);
      if (s.profile === 'leader-churn') {
        expect(s.rates.crashMidSendProbability, `seed ${seed}`).to.be.at.least(0.2);
      }
      if (s.profile === 'amnesiac-leader') {
        expect(s.proposers, `seed ${seed}`).to.equal(1);
        expect(s.leaderCrashShare, `seed ${seed}`).to.equal(1);
      }
      expect(formatScenario(s)).to.include(`faults (${s.profile})`);
    }
    // Weights 3, 2, 3, 8 and 3 of 19 (sim/swarm.ts): about 63, 42, 63, 168 and 63 of 400 seeds.
    for (const profile of [
      'mixed',
      'leader-churn',
      'split-brain',
      'stale-minority',
      'amnesiac-leader',
    ])
      expect(counts.get(profile) ?? 0, profile).to.be.greaterThan(25);
    // A pin wins over a profile's lean.
    for (let seed = 1; seed <= 50; seed += 1)
      expect(drawScenario(seed, allFaults, { proposers: 1 }).proposers).to.equal(1);
  });

  it('a run reports its scenario and what its checks exercised', () => {
    const result = simulate({ ...defaultSimOptions, seed: 5 });
    expect(result.scenario).to.deep.equal(drawScenario(5, defaultSimOptions.faults));
    expect(result.exercised.validity).to.be.greaterThan(0);
    expect(result.exercised.liveness).to.equal(
      result.scenario.clients * result.scenario.commandsPerClient,
    );
  });

  it('reports durability as not exercised when no node crashed', () => {
    const result = simulate({ ...defaultSimOptions, seed: 3, faults: new Set() });
    expect(result.crashes).to.equal(0);
    expect(result.exercised.durability).to.equal(0);
    expect(result.violations).to.deep.equal([]);
  });
});

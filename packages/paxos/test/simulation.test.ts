import { expect } from 'chai';
import {
  defaultSimOptions,
  plantedBugs,
  properties,
  simulate,
  type FaultKind,
  type PlantedBug,
  type SimResult,
} from '../src';

function run(seed: number, extra: Partial<Parameters<typeof simulate>[0]> = {}): SimResult {
  return simulate({ ...defaultSimOptions, seed, ...extra });
}

describe('simulation', () => {
  it('300 seeds with loss, duplication, reordering, partitions and crashes: no violation, every command decided', () => {
    let decided = 0;
    let submitted = 0;
    let drawn = 0;
    for (let seed = 1; seed <= 300; seed += 1) {
      const result = run(seed);
      expect(result.violations, `seed ${seed}`).to.deep.equal([]);
      decided += result.commandsDecided;
      submitted += result.commandsSubmitted;
      drawn += result.scenario.clients * result.scenario.commandsPerClient;
    }
    expect(decided).to.equal(submitted);
    expect(submitted).to.equal(drawn);
  });

  it('exercises every fault: leader changes, crashes, disk losses, partitions and snapshot installs happen', () => {
    const totals = {
      leaderChanges: 0,
      crashes: 0,
      partitions: 0,
      snapshotsInstalled: 0,
      diskLosses: 0,
    };
    for (let seed = 1; seed <= 50; seed += 1) {
      const result = run(seed);
      for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += result[key];
    }
    for (const [key, count] of Object.entries(totals)) expect(count, key).to.be.greaterThan(10);
  });

  it('with membership changes among the faults: no violation, every command decided, configurations change', () => {
    let changes = 0;
    for (let seed = 1; seed <= 100; seed += 1) {
      const faults = new Set<FaultKind>(['loss', 'reorder', 'crash', 'membership']);
      const result = run(seed, { faults });
      expect(result.violations, `seed ${seed}`).to.deep.equal([]);
      expect(result.commandsDecided, `seed ${seed}`).to.equal(result.commandsSubmitted);
      changes += result.reconfigurations;
    }
    expect(changes).to.be.greaterThan(20);
  });

  it('replays a seed exactly: the same seed gives the same trace, which starts with the drawn scenario', () => {
    const traces: string[][] = [[], []];
    for (const trace of traces) run(42, { trace: (line) => trace.push(line) });
    expect(traces[0]!.length).to.be.greaterThan(100);
    expect(traces[0]).to.deep.equal(traces[1]);
    expect(traces[0]![0]).to.match(/scenario: \d proposer\(s\), \d acceptors \(q1 \d, q2 \d\)/);
  });

  it('with 3 proposers, 7 acceptors and flexible quorums (q1 = 5, q2 = 3): no violation', () => {
    for (let seed = 1; seed <= 40; seed += 1) {
      const result = run(seed, { proposers: 3, acceptors: 7, phase1Quorum: 5, phase2Quorum: 3 });
      expect(result.violations, `seed ${seed}`).to.deep.equal([]);
    }
  });

  it('with a single central that crashes and restarts with no state (1 proposer, 3 acceptors): no violation', () => {
    for (let seed = 1; seed <= 300; seed += 1) {
      const result = run(seed, { proposers: 1, acceptors: 3 });
      expect(result.violations, `seed ${seed}`).to.deep.equal([]);
    }
  });

  it('with a one-slot window and frequent snapshots, candidates far behind catch up first: no violation', () => {
    const paxosOptions = {
      windowSlotsMax: 1,
      batchCommandsMax: 1,
      decidedAheadSlotsMax: 4,
      snapshotEverySlots: 8,
      logTailSlots: 4,
    };
    let behind = 0;
    for (let seed = 1; seed <= 150; seed += 1) {
      const result = run(seed, {
        paxosOptions,
        commandsPerClient: 12,
        trace: (line) => {
          if (line.includes('(behind:')) behind += 1;
        },
      });
      expect(result.violations, `seed ${seed}`).to.deep.equal([]);
      expect(result.commandsDecided, `seed ${seed}`).to.equal(result.commandsSubmitted);
    }
    expect(behind, 'prepares answered "catch up first"').to.be.greaterThan(100);
  });

  it('with promises and catch-up replies split by a 150-byte budget: no violation, every command decided', () => {
    const paxosOptions = { valueBytesMax: 150, catchupBytesMax: 150 };
    let parts = 0;
    for (let seed = 1; seed <= 150; seed += 1) {
      const result = run(seed, {
        paxosOptions,
        trace: (line) => {
          if (line.includes(' promise ') && line.includes(' of ')) parts += 1;
        },
      });
      expect(result.violations, `seed ${seed}`).to.deep.equal([]);
      expect(result.commandsDecided, `seed ${seed}`).to.equal(result.commandsSubmitted);
    }
    expect(parts, 'promise parts sent, delivered or lost').to.be.greaterThan(1000);
  });

  describe('planted bugs: the default command catches each within its first 200 seeds, in at least 1 % of them', () => {
    // What `npx evpaxos sim --seeds 200 --bug B` runs: the default faults (membership and disk loss
    // included), no dimension pinned, so the swarm must draw the conditions that expose each bug
    // (docs/PAXOS.md, "Planted bugs").
    const faults = defaultSimOptions.faults;
    const seeds = 200;
    /**
     * Bugs caught in well over 1 % of seeds run over fewer: one catch in the first 40 is a rate of
     * at least 2.5 % there and a first catch within 200 — both targets — in a fifth of the time.
     */
    const frequent: ReadonlySet<PlantedBug> = new Set<PlantedBug>([
      'proposer-ignores-accepted',
      'commit-without-quorum',
      'acceptor-accepts-lower-ballot',
      'learner-skips-dedup',
      'acceptor-ignores-lease',
      'config-at-decide-time',
    ]);
    for (const bug of Object.keys(plantedBugs) as PlantedBug[]) {
      const budget = frequent.has(bug) ? 40 : seeds;
      it(`catches ${bug} (first ${budget} seeds)`, () => {
        const caught: number[] = [];
        for (let seed = 1; seed <= budget; seed += 1) {
          if (run(seed, { bug, faults }).violations.length > 0) caught.push(seed);
        }
        expect(caught.length, `${bug}: seeds that caught it of ${budget}`).to.be.at.least(
          Math.ceil(budget / 100),
        );
      });
    }
    it('and a bug-free run over the same seeds passes every property, none of them vacuously', () => {
      const exercised = new Map<string, number>();
      for (let seed = 1; seed <= seeds; seed += 1) {
        const result = run(seed, { faults });
        expect(result.violations, `seed ${seed}`).to.deep.equal([]);
        expect(result.commandsDecided, `seed ${seed}`).to.equal(result.commandsSubmitted);
        for (const [property, count] of Object.entries(result.exercised))
          if (count > 0) exercised.set(property, (exercised.get(property) ?? 0) + 1);
      }
      for (const property of properties)
        expect(exercised.get(property) ?? 0, `seeds that exercised ${property}`).to.be.greaterThan(
          0,
        );
    });
  });
});

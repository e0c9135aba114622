// Per planted bug: how many of the first N seeds of the default `evpaxos sim` command catch it, and
// the first that does (docs/PAXOS.md, "Planted bugs"). Usage: node scripts/sim-bug-table.mjs [N] [bug...]
import { defaultSimOptions, plantedBugs, simulate } from '@evpaxos/paxos';

const seeds = Number(process.argv[2] ?? 200);
const bugs = process.argv.length > 3 ? process.argv.slice(3) : Object.keys(plantedBugs);
for (const bug of bugs) {
  const startedMs = Date.now();
  const caught = [];
  for (let seed = 1; seed <= seeds; seed += 1) {
    if (simulate({ ...defaultSimOptions, seed, bug }).violations.length > 0) caught.push(seed);
  }
  const rate = ((100 * caught.length) / seeds).toFixed(1);
  console.log(
    `${bug}: ${caught.length} of ${seeds} (${rate} %), first ${caught[0] ?? '-'}, ${((Date.now() - startedMs) / 1000).toFixed(1)} s`,
  );
}

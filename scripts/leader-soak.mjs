// Leader stability under load (docs/LIMITS.md, "Election timing"): two default clusters on this
// host, each under a pipelined client load, for --minutes; counts the elections in cluster A after
// its first leader (no central is killed, so every one of them is spontaneous), the campaigns
// (pre-votes won) and the CheckQuorum step-downs, for each cluster.
// Usage: node scripts/leader-soak.mjs [minutes=10] [dir=/tmp/evpaxos-soak]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clusterUp } from '@evpaxos/cli';
import { PaxosClient } from '../packages/bench/dist/src/paxos-client.js';

const minutes = Number(process.argv[2] ?? 10);
const root = process.argv[3] ?? '/tmp/evpaxos-soak';
const clientsPerCluster = 4;
const inFlightPerClient = 8;

/** Lines of the centrals' logs whose message is `message` (and, if given, that contain `also`). */
function countIn(dir, message, also) {
  const logs = path.join(dir, 'logs');
  let count = 0;
  for (const file of fs.readdirSync(logs)) {
    if (!file.startsWith('central')) continue;
    for (const line of fs.readFileSync(path.join(logs, file), 'utf8').split('\n'))
      if (line.includes(`"message":"${message}"`) && (also === undefined || line.includes(also)))
        count += 1;
  }
  return count;
}

/** Elections (became-leader), campaigns (a won pre-vote, or preVote off) and CheckQuorum step-downs. */
function electionsIn(dir) {
  return {
    elections: countIn(dir, 'became-leader'),
    campaigns: countIn(dir, 'became-candidate'),
    stepDowns: countIn(dir, 'became-follower', '"reason":"check-quorum"'),
  };
}

const since = (after, before) =>
  Object.fromEntries(Object.entries(after).map(([key, value]) => [key, value - before[key]]));

async function load(cluster, stopAt, tag) {
  const centrals = cluster.nodes.filter((n) => n.role === 'central');
  let commits = 0;
  let refused = 0;
  const client = async (index) => {
    let seq = 0;
    let target = index;
    while (Date.now() < stopAt) {
      const node = centrals[target % centrals.length];
      let paxos;
      try {
        paxos = await PaxosClient.connect(
          `ws://${node.host}:${node.httpPort}/client`,
          2000,
          true,
          cluster.apiToken,
        );
      } catch {
        target += 1;
        continue;
      }
      const id = `soak-${tag}-${index}-${process.pid}`;
      const lane = async () => {
        while (Date.now() < stopAt && paxos.isOpen) {
          seq += 1;
          const reply = await paxos.submit(id, seq, { type: 'Noop', atMs: 0, soak: seq });
          if (reply?.type === 'result') commits += 1;
          else {
            refused += 1;
            return;
          }
        }
      };
      await Promise.all(Array.from({ length: inFlightPerClient }, lane));
      paxos.close();
      target += 1;
    }
  };
  await Promise.all(Array.from({ length: clientsPerCluster }, (_, i) => client(i)));
  return { commits, refused };
}

fs.rmSync(root, { recursive: true, force: true });
// A loaded host starts seven processes slowly: a generous bound for the first leader.
const a = await clusterUp({ dir: path.join(root, 'a'), basePort: 0, readyTimeoutMs: 60_000 });
let b;
try {
  b = await clusterUp({ dir: path.join(root, 'b'), basePort: 0, readyTimeoutMs: 60_000 });
  await a.waitForLeader(30_000);
  await b.waitForLeader(30_000);
  const before = electionsIn(path.join(root, 'a'));
  const beforeB = electionsIn(path.join(root, 'b'));
  const startedMs = Date.now();
  const stopAt = startedMs + minutes * 60_000;
  const [loadA, loadB] = await Promise.all([load(a, stopAt, 'a'), load(b, stopAt, 'b')]);
  const after = electionsIn(path.join(root, 'a'));
  const afterB = electionsIn(path.join(root, 'b'));
  console.log(
    JSON.stringify({
      minutes,
      loadAverage1m: os.loadavg()[0],
      a: since(after, before),
      b: since(afterB, beforeB),
      commitsA: loadA.commits,
      commitsB: loadB.commits,
      refusedA: loadA.refused,
      refusedB: loadB.refused,
    }),
  );
} finally {
  await a.down();
  await b?.down();
}

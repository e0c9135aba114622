import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ClusterHandle } from '../src/launcher';
import { checkLogsAgree, useClusters, waitFor } from './cluster-harness';

/** Elections so far: every became-leader line the centrals logged (docs/SITE.md log lines). */
function elections(cluster: ClusterHandle): number {
  const logs = path.join(cluster.dir, 'logs');
  let count = 0;
  for (const file of fs.readdirSync(logs)) {
    if (!file.startsWith('central')) continue;
    const text = fs.readFileSync(path.join(logs, file), 'utf8');
    count += text.split('\n').filter((line) => line.includes('became-leader')).length;
  }
  return count;
}

describe('leader stickiness (real processes on 127.0.0.1)', function () {
  this.timeout(120_000);
  const clusters = useClusters();

  it('cluster: a restarted standby central does not disrupt the stable leader (centrals=2, charge-points=5, 3 crash-restarts)', async () => {
    const cluster = await clusters.up('sticky', {
      centrals: 2,
      chargePoints: 5,
      unsafeNoFsync: true,
    });
    const acknowledged = [await cluster.submit({ type: 'Noop', phase: 'before' })];
    const { leaderId } = await cluster.waitForLeader(10_000);
    const standby = cluster.nodes.find((n) => n.role === 'central' && n.id !== leaderId)!.id;
    const electionsBefore = elections(cluster);
    for (let restart = 1; restart <= 3; restart += 1) {
      await cluster.restartNode(standby); // kill -9, then start again with the same arguments
      // The restarted standby has heard the leader once it names it; from then on its election
      // timer is held back. Any campaign it ran before that shows in the election count.
      await waitFor(
        `${standby} to follow ${leaderId} after restart ${restart}`,
        20_000,
        async () =>
          (await cluster.nodeStatus(standby)).paxos.leaderId === leaderId ? true : undefined,
      );
      acknowledged.push(await cluster.submit({ type: 'Noop', restart }, { via: leaderId }));
      expect(acknowledged.at(-1)!.nodeId, `restart ${restart}: who committed`).to.equal(leaderId);
    }
    expect(elections(cluster) - electionsBefore, 'elections while the standby restarted').to.equal(
      0,
    );
    expect((await cluster.waitForLeader(5_000)).leaderId).to.equal(leaderId);
    await checkLogsAgree(cluster, acknowledged);
  });
});

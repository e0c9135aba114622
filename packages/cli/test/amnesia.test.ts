import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { changeMembership, readmissionOf, type SubmitResult } from '../src/launcher';
import { checkLogsAgree, useClusters } from './cluster-harness';

/**
 * Issue 20.1 on real processes (docs/STORAGE.md, "Knowing what was lost"): an acceptor whose log
 * was deleted must not vote as a fresh acceptor, or an acknowledged command can be lost.
 */
describe('amnesia (real processes on 127.0.0.1)', function () {
  this.timeout(240_000);
  // Generous: on a loaded 2-core host seven node processes take 20 s and more to start.
  const startMs = 60_000;
  const clusters = useClusters();

  it('a charge point whose acceptor log was deleted starts as a non-voting learner, the command only it and two dead nodes held is kept, and `member replace` re-admits it; one whose whole data dir was deleted waits for re-admission too (centrals=2, charge-points=5, fsync)', async () => {
    const cluster = await clusters.up('amnesia', {
      centrals: 2,
      chargePoints: 5,
      readyTimeoutMs: startMs,
    });
    await cluster.partition('central-b,cp1,cp2,cp3 | central-a,cp4,cp5');
    await cluster.waitForLeader(startMs, ['central-b']);
    const x = await cluster.submit(
      { type: 'Noop', phase: 'X, majority side' },
      { via: 'central-b', follow: false, timeoutMs: 30_000 },
    );
    // X is on cp1, cp2 and cp3 only. Lose all three: two crash, one forgets.
    for (const id of ['central-b', 'cp1', 'cp3', 'cp2']) await cluster.killNode(id);
    fs.rmSync(path.join(cluster.dir, 'data', 'cp2', 'acceptor.log'));
    // cp2 starts over as a new incarnation that must not vote (docs/PAXOS.md, "Joining and
    // re-admission"): a non-voting learner until `evpaxos member replace cp2` re-admits it.
    await cluster.restartNode('cp2', startMs);
    const cp2 = await cluster.nodeStatus('cp2');
    expect(cp2.paxos.standing).to.equal('awaiting-readmission');
    expect(cp2.paxos.incarnation).to.be.greaterThan(1);
    expect(fs.readFileSync(path.join(cluster.dir, 'logs', 'cp2.log'), 'utf8')).to.include(
      'evpaxos member replace',
    );
    await cluster.heal();
    // Two of five acceptors answer central-a now: Y must wait, not be decided over a lost X.
    const early = await cluster
      .submit(
        { type: 'Noop', phase: 'Y, cp4 and cp5 only' },
        { via: 'central-a', timeoutMs: 3_000 },
      )
      .then(
        (result) => result,
        (error: Error) => error,
      );
    expect(early, 'a commit with cp4, cp5 and an amnesiac cp2').to.be.an('error');
    // cp1 comes back with its log: a quorum (cp1, cp4, cp5) that still holds X.
    await cluster.restartNode('cp1', startMs);
    const y: SubmitResult = await cluster.submit(
      { type: 'Noop', phase: 'Y, after cp1 is back' },
      { via: 'central-a', timeoutMs: startMs },
    );
    expect(y.slot).to.be.greaterThan(x.slot);
    await checkLogsAgree(cluster, [x, y]);
    // Re-admitted in place: a decided change names cp2's new incarnation, from its slot + α on.
    const readmitted = await changeMembership(cluster, await readmissionOf(cluster, 'cp2'));
    expect(readmitted.effectiveSlot).to.be.greaterThan(readmitted.slot);
    expect(readmitted.configuration.acceptors).to.include('cp2');
    // A data dir deleted whole leaves nothing to tell by, but the launcher knows cp4 ran on it:
    // cp4 starts again as a learner that waits for its own re-admission.
    await cluster.killNode('cp4');
    fs.rmSync(path.join(cluster.dir, 'data', 'cp4'), { recursive: true, force: true });
    await cluster.restartNode('cp4', startMs);
    expect((await cluster.nodeStatus('cp4')).paxos.standing).to.equal('awaiting-readmission');
  });
});

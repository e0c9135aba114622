import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SubmitResult } from '../src/launcher';
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

  it('a charge point whose acceptor log was deleted refuses to start, and the command only it and two dead nodes held is kept; one whose whole data dir was deleted refuses too (centrals=2, charge-points=5, fsync)', async () => {
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
    const refusal = await cluster.restartNode('cp2', startMs).then(
      () => expect.fail('cp2 started with its acceptor log deleted'),
      (error: Error) => error,
    );
    expect(refusal.message).to.include('exited during start');
    expect(refusal.message).to.include('is gone but');
    expect(refusal.message).to.include('this acceptor must not vote');
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
    // A data dir deleted whole leaves nothing to tell by, but the launcher knows cp4 ran on it.
    await cluster.killNode('cp4');
    fs.rmSync(path.join(cluster.dir, 'data', 'cp4'), { recursive: true, force: true });
    const wiped = await cluster.restartNode('cp4', startMs).then(
      () => expect.fail('cp4 started on an empty data dir'),
      (error: Error) => error,
    );
    expect(wiped.message).to.include('holds no acceptor state, but cp4 ran on it before');
    expect(fs.existsSync(path.join(cluster.dir, 'data', 'cp4', 'IDENTITY'))).to.equal(false);
  });
});

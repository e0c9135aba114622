import { expect } from 'chai';
import { LauncherError, addNode, changeMembership, type ClusterHandle } from '../src/launcher';
import { verifyDir } from '../src/verify';
import { checkLogsAgree, runCli, startLoad, useClusters, waitFor } from './cluster-harness';

/**
 * Issue 17.3 on real processes (docs/CLUSTER.md, "Membership"): the acceptor set changes while
 * clients commit — a spare is added, a charge point dies (kill -9) and is replaced by a fresh one,
 * another is removed — and nothing acknowledged is lost.
 */
describe('membership (real processes on 127.0.0.1)', function () {
  this.timeout(300_000);
  // Generous: on a loaded 2-core host node processes take many seconds to start.
  const startMs = 60_000;
  const clusters = useClusters();

  /** The leader's configuration once it holds `acceptors` (the change took effect). */
  async function waitForAcceptors(cluster: ClusterHandle, acceptors: string[]): Promise<void> {
    await waitFor(`acceptors ${acceptors.join(',')} in effect`, startMs, async () => {
      const { leaderId } = await cluster.waitForLeader(startMs);
      const status = await cluster.nodeStatus(leaderId);
      const current = [...status.paxos.configuration.acceptors].sort().join(',');
      return current === [...acceptors].sort().join(',') ? true : undefined;
    });
  }

  /** The member command as a user types it: its output, and exit 0. */
  async function member(cluster: ClusterHandle, args: string[]): Promise<string> {
    const out = await runCli(cluster, ['member', ...args, '--timeout-ms', String(startMs)]);
    expect(out.code, `evpaxos member ${args.join(' ')}: ${out.stderr}`).to.equal(0);
    expect(out.stdout).to.match(/decided in slot \d+, takes effect at slot \d+/);
    return out.stdout;
  }

  it('under client load: add a spare, kill -9 an acceptor and replace it with a fresh node, remove another; commands keep committing and verify passes with the configuration property exercised (centrals=2, charge-points=5, spares=2)', async () => {
    const cluster = await clusters.up('membership', {
      centrals: 2,
      chargePoints: 5,
      spares: 2,
      readyTimeoutMs: startMs,
    });
    const load = startLoad(cluster, 'membership');
    try {
      // A spare that is not running cannot be added, nor a node the cluster file lacks: refused
      // with the reason (the CLI's exit 1; checked in-process to spare two node starts).
      for (const [acceptor, reason] of [
        ['cp6', '"cp6" is not connected to the leader'],
        ['cp9', '"cp9" is not a node of the cluster file'],
      ] as const) {
        const refusal = await changeMembership(cluster, { kind: 'add', acceptor }).then(
          () => expect.fail(`add ${acceptor} was decided`),
          (error: LauncherError) => error,
        );
        expect(refusal.exitCode).to.equal(1);
        expect(refusal.message).to.include(reason);
      }

      const unlisted = await addNode(cluster, 'cp9', startMs).then(
        () => expect.fail('add-node cp9 started a node the cluster file lacks'),
        (error: LauncherError) => error,
      );
      expect(unlisted.message).to.include('cp9 is not in cluster.json');
      expect(unlisted.message).to.include('not running instead (cp6, cp7)');
      await addNode(cluster, 'cp6', startMs);
      await member(cluster, ['add', 'cp6']);
      await waitForAcceptors(cluster, ['cp1', 'cp2', 'cp3', 'cp4', 'cp5', 'cp6']);
      const duplicate = await runCli(cluster, ['member', 'add', 'cp6']);
      expect(duplicate.code).to.equal(1);
      expect(duplicate.stderr).to.include('"cp6" is already an acceptor.');

      await cluster.killNode('cp2');
      await addNode(cluster, 'cp7', startMs);
      await member(cluster, ['replace', 'cp2', '--with', 'cp7']);
      await member(cluster, ['remove', 'cp3']);
      await waitForAcceptors(cluster, ['cp1', 'cp7', 'cp4', 'cp5', 'cp6']);
      // Commands commit in the last configuration too.
      const committed = load.acknowledged.length;
      await waitFor('commits in the new configuration', startMs, () =>
        load.acknowledged.length >= committed + 5 ? true : undefined,
      );
    } finally {
      await load.stop();
    }
    expect(load.acknowledged.length).to.be.above(10);
    await checkLogsAgree(cluster, load.acknowledged);
    const report = verifyDir(cluster.dir);
    const failed = report.results.filter((result) => !result.pass);
    expect(failed.map((result) => `${result.property}: ${result.evidence}`)).to.deep.equal([]);
    const configuration = report.results.find((result) => result.property === 'configuration');
    expect(configuration?.vacuous ?? false, configuration?.evidence).to.equal(false);
    expect(configuration?.evidence).to.match(/^3 membership changes applied/);
  });
});

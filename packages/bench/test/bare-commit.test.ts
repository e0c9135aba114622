import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runJob, startBareCommitPath } from '../src/child';
import type { PaxosRunResult } from '../src/client';

describe('the bare commit path (bench floor of this stack)', function () {
  this.timeout(20_000);
  let dir: string;
  const stops: (() => void)[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bare-commit-test-'));
  });

  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('commits what a /client client submits through 3 acceptor processes, each syncing it to disk', async () => {
    const bare = await startBareCommitPath(3, dir);
    stops.push(() => bare.stop());
    const run = await runJob<PaxosRunResult>({
      mode: 'paxos',
      url: bare.url,
      concurrency: 8,
      warmupMs: 100,
      warmupOperationsMin: 50,
      measureMs: 300,
      valueBytes: 100,
      statsUrls: bare.statsUrls,
      arrayFrames: true,
    });
    expect(run.errors).to.equal(0);
    expect(run.operations).to.be.greaterThan(0);
    // GET /stats in a node's shape, read as the window opened and closed.
    type Stats = {
      id: string;
      appliedThrough: number;
      transport: { framesOut: number };
      store: { syncCount: number } | null;
      cpu: { userMicros: number; systemMicros: number };
    };
    const [proposer, ...acceptors] = run.statsAfter as Stats[];
    const [proposerBefore] = run.statsBefore as Stats[];
    expect(proposer?.id).to.equal('bare-proposer');
    expect(proposer?.store).to.equal(null);
    // Every slot decided in the window went to all 3 acceptors, one frame each.
    const slots = (proposer?.appliedThrough ?? 0) - (proposerBefore?.appliedThrough ?? 0);
    expect(slots).to.be.greaterThan(0);
    expect(proposer?.transport.framesOut).to.be.at.least(3 * ((proposer?.appliedThrough ?? 0) + 1));
    expect(proposer?.cpu.userMicros).to.be.greaterThan(0);
    expect(acceptors.map((a) => a.id)).to.deep.equal(Array(3).fill('bare-acceptor'));
    for (const acceptor of acceptors) {
      expect(acceptor.store?.syncCount).to.be.greaterThan(0);
      expect(acceptor.transport.framesOut).to.be.greaterThan(0);
    }
    const missing = await fetch(bare.statsUrls[0]?.replace('/stats', '/nope') ?? '');
    expect(missing.status).to.equal(404);
    const logs = fs.readdirSync(dir).filter((name) => name.startsWith('bare-acceptor-'));
    expect(logs).to.have.length(3);
    for (const name of logs) {
      // Every operation's 100-byte value went into some slot's frame on every acceptor that acked
      // it: at least a majority holds them all; here every acceptor is up, so each holds them.
      expect(fs.statSync(path.join(dir, name)).size).to.be.greaterThan(run.operations * 100);
    }
  });
});

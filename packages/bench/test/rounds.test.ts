import { expect } from 'chai';
import type { SystemRow } from '../src/report';
import { medianRows, roundOrder } from '../src/rounds';

function row(
  system: string,
  concurrency: number,
  commandsPerSecond: number,
  p50Ms: number,
): SystemRow {
  return {
    system,
    acceptors: 5,
    concurrency,
    commandsPerSecond,
    p50Ms,
    p99Ms: p50Ms * 4,
    errors: 0,
    perCommand:
      system === 'etcd'
        ? null
        : {
            messages: 15,
            frames: 10,
            fsyncs: commandsPerSecond / 1000,
            commandsPerSlot: 1,
            cpuMicros: p50Ms * 100,
            centralCpuMicros: concurrency === 256 ? null : p50Ms * 10,
          },
  };
}

describe('bench rounds', () => {
  it('measures every system first equally often over as many rounds as systems', () => {
    const systems = ['evpaxos', 'baseline', 'etcd'];
    const orders = [0, 1, 2].map((round) => roundOrder(systems, round));
    expect(orders).to.deep.equal([
      ['evpaxos', 'baseline', 'etcd'],
      ['baseline', 'etcd', 'evpaxos'],
      ['etcd', 'evpaxos', 'baseline'],
    ]);
    expect(roundOrder(systems, 3)).to.deep.equal(orders[0]);
    expect(roundOrder([], 2)).to.deep.equal([]);
  });

  it('reports each row as the median of its rounds, with every round kept', () => {
    const rows = medianRows([
      row('evpaxos', 1, 500, 1.5),
      row('etcd', 1, 700, 1.3),
      row('evpaxos', 1, 560, 1.4),
      row('etcd', 1, 720, 1.2),
      row('evpaxos', 1, 400, 1.9),
      row('etcd', 1, 650, 1.25),
    ]);
    expect(rows.map((r) => r.system)).to.deep.equal(['evpaxos', 'etcd']);
    const ours = rows[0] as SystemRow;
    expect(ours.commandsPerSecond).to.equal(500);
    expect(ours.p50Ms).to.equal(1.5);
    expect(ours.perCommand?.fsyncs).to.equal(0.5);
    expect(ours.perCommand?.cpuMicros).to.equal(150);
    expect(ours.perCommand?.centralCpuMicros).to.equal(15);
    expect(ours.rounds).to.deep.equal({
      commandsPerSecond: [500, 560, 400],
      p50Ms: [1.5, 1.4, 1.9],
    });
    expect(rows[1]?.p50Ms).to.equal(1.25);
    expect(rows[1]?.perCommand).to.equal(null);
  });

  it('keeps a row measured once as it is', () => {
    const once = row('evpaxos', 256, 30_000, 6.5);
    expect(medianRows([once])).to.deep.equal([once]);
  });

  it('has no median CPU time where a round lacks it (a build without it in /stats)', () => {
    const rows = medianRows([row('evpaxos', 256, 30_000, 6.5), row('evpaxos', 256, 31_000, 6.4)]);
    expect(rows[0]?.perCommand?.cpuMicros).to.equal(645);
    expect(rows[0]?.perCommand?.centralCpuMicros).to.equal(null);
  });

  it('keeps rows of different concurrencies apart', () => {
    const rows = medianRows([row('evpaxos', 1, 500, 1.5), row('evpaxos', 256, 30_000, 6.5)]);
    expect(rows.map((r) => r.concurrency)).to.deep.equal([1, 256]);
  });
});

import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { logBytes, logLinesSince, renderIdleFootprint, sampleProcess } from '../src/idle-footprint';

describe('idle footprint (bench --idle)', () => {
  it('samples a live process from /proc: CPU ticks, RSS and main-thread wake-ups', function () {
    if (process.platform !== 'linux') this.skip();
    const first = sampleProcess(process.pid);
    let spin = 0;
    for (let i = 0; i < 5e7; i += 1) spin += i;
    expect(spin).to.be.greaterThan(0);
    const second = sampleProcess(process.pid);
    expect(first).to.not.equal(null);
    expect(second!.rssKiB).to.be.greaterThan(1024);
    // PSS counts the pages shared with other processes (the node binary) in part: at most RSS.
    expect(second!.pssKiB).to.be.greaterThan(1024);
    expect(second!.pssKiB).to.be.at.most(second!.rssKiB);
    expect(second!.cpuTicks).to.be.at.least(first!.cpuTicks);
    expect(second!.voluntarySwitches).to.be.at.least(first!.voluntarySwitches);
  });

  it("counts a log's bytes and the lines written after an offset", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-log-')), 'cp1.log');
    fs.writeFileSync(file, '{"a":1}\n');
    const from = logBytes(file);
    fs.appendFileSync(file, '{"b":2}\n{"c":3}\n');
    expect([from, logBytes(file), logLinesSince(file, from)]).to.deep.equal([8, 24, 2]);
    expect(logBytes(`${file}.missing`)).to.equal(0);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('answers null for a process that is gone', () => {
    expect(sampleProcess(2 ** 22 + 12345)).to.equal(null);
  });

  it('renders one row per process and the medians per build and role, with the load average', () => {
    const row = {
      leader: false,
      rssMiB: 80,
      pssMiB: 40,
      wakeupsPerSecond: 50,
      logBytesPerSecond: 120,
      logLinesPerSecond: 0.5,
    } as const;
    const text = renderIdleFootprint({
      windowMs: 20_000,
      loadAverage1m: 3.5,
      rows: [
        { ...row, build: 'evpaxos', id: 'cp1', role: 'charge-point', cpuPercent: 1 },
        { ...row, build: 'evpaxos', id: 'cp2', role: 'charge-point', cpuPercent: 3 },
        { ...row, build: 'evpaxos', id: 'central-a', role: 'central', leader: true, cpuPercent: 4 },
      ],
    });
    expect(text).to.contain('| evpaxos | central-a (leader) | 4 | 80 | 40 | 50 | 120 | 0.5 |');
    expect(text).to.contain('| evpaxos | median charge-point | 2 | 80 | 40 | 50 | 120 | 0.5 |');
    expect(text).to.contain('20 s window, load average (1 min) 3.5');
  });
});

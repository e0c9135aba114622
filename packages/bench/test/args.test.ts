import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { BenchArgsError, parseBenchArgs } from '../src/args';

const parse = (...argv: string[]) => parseBenchArgs(argv, '/tmp/bench-out');

describe('bench arguments', () => {
  it('defaults to a full run of 3 and 5 acceptors at concurrency 1, 64 and 256, one round', () => {
    expect(parse()).to.deep.include({
      quick: false,
      warmupMs: 2_000,
      measureMs: 8_000,
      acceptorCounts: [3, 5],
      concurrencies: [1, 64, 256],
      rounds: 1,
      failoverTrials: 10,
      valueBytes: 100,
      compareBin: null,
      etcd: true,
      bare: true,
      failover: true,
      outDir: '/tmp/bench-out',
    });
  });

  it('reads lists, numbers and switches', () => {
    expect(
      parse('--quick', '--acceptors', '5', '--concurrency', '1,256', '--rounds', '3', '--no-etcd'),
    ).to.deep.include({
      quick: true,
      warmupMs: 500,
      acceptorCounts: [5],
      concurrencies: [1, 256],
      rounds: 3,
      failoverTrials: 3,
      etcd: false,
      bare: false,
    });
  });

  it('traces the failover trials only with --failover-trace', () => {
    expect(parse()?.failoverTrace).to.equal(false);
    expect(parse('--failover-only', '--failover-trace')).to.deep.include({
      failoverOnly: true,
      failoverTrace: true,
    });
  });

  it('measures the bare commit path unless --quick or --no-bare, and with --quick --bare', () => {
    expect(parse('--no-bare')?.bare).to.equal(false);
    expect(parse('--quick', '--bare')?.bare).to.equal(true);
  });

  it('measures only the idle footprint with --idle, over --idle-seconds (default 20)', () => {
    expect(parse()).to.deep.include({ idle: false, idleWindowMs: 20_000 });
    expect(parse('--idle', '--idle-seconds', '45')).to.deep.include({
      idle: true,
      idleWindowMs: 45_000,
    });
  });

  it('reads --compare-v8-flags as V8 flags with their dashes; none is no flag; absent is null', () => {
    expect(parse()?.compareV8Flags).to.equal(null);
    expect(parse('--compare-v8-flags', 'none')?.compareV8Flags).to.deep.equal([]);
    expect(
      parse('--compare-v8-flags', 'max-semi-space-size=1,optimize-for-size')?.compareV8Flags,
    ).to.deep.equal(['--max-semi-space-size=1', '--optimize-for-size']);
  });

  it('returns null for --help', () => {
    expect(parse('--help')).to.equal(null);
  });

  const refused: [string[], RegExp][] = [
    [['--frobnicate'], /unknown option "--frobnicate"/],
    [['--rounds'], /--rounds needs a value/],
    [['--rounds', '--quick'], /--rounds needs a value/],
    [['--rounds', '0'], /--rounds: expected an integer from 1 to 20, got "0"/],
    [['--rounds', 'two'], /--rounds: expected an integer/],
    [['--value-bytes', '9999999'], /--value-bytes: expected an integer from 1 to 524288/],
    [['--failover-trials', '1.5'], /--failover-trials: expected an integer/],
    [['--concurrency', '1,,256'], /--concurrency: expected positive integers/],
    [['--acceptors', '-3'], /--acceptors: expected positive integers/],
    [['--compare', '/no/such/evpaxos.js'], /--compare: no such file/],
    [['--bare', '--no-bare'], /--bare and --no-bare contradict each other/],
    [['--compare-v8-flags', 'a b'], /--compare-v8-flags: expected V8 flags without dashes/],
    [['--idle-seconds', '0'], /--idle-seconds: expected an integer from 1 to 600, got "0"/],
  ];
  for (const [argv, message] of refused) {
    it(`refuses ${argv.join(' ')} with a clear message`, () => {
      expect(() => parse(...argv))
        .to.throw(BenchArgsError)
        .with.property('message')
        .that.matches(message);
    });
  }
});

describe('npm run bench (the process)', () => {
  const main = path.resolve(__dirname, '../src/main.js');

  it('exits 2 with the reason for a bad option, before starting anything', () => {
    const result = spawnSync(process.execPath, [main, '--rounds', '0'], { encoding: 'utf8' });
    expect(result.status).to.equal(2);
    expect(result.stderr).to.match(/^bench: --rounds: expected an integer from 1 to 20, got "0"/);
    expect(result.stdout).to.equal('');
  });

  it('prints the options for --help and exits 0', () => {
    const result = spawnSync(process.execPath, [main, '--help'], { encoding: 'utf8' });
    expect(result.status).to.equal(0);
    expect(result.stdout).to.match(/--rounds N/);
  });
});

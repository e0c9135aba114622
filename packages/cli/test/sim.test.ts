import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const bin = path.resolve(__dirname, '../../bin/evpaxos.js');

function evpaxos(...args: string[]) {
  const run = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('evpaxos sim', () => {
  it('runs seeds with every fault and ends with one JSON summary line', () => {
    const run = evpaxos(
      'sim',
      '--seeds',
      '20',
      '--faults',
      'loss,dup,reorder,partition,crash',
      '--json',
    );
    expect(run.status).to.equal(0);
    const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(summary).to.include({ seeds: 20 });
    expect(summary.violations).to.deep.equal([]);
    expect(summary.commands_decided).to.equal(summary.commands_submitted);
    expect(summary.ticks).to.be.greaterThan(0);
  });

  it('exits 1 and names the seed, the property and the replay command when a planted bug is caught', () => {
    const run = evpaxos('sim', '--seeds', '5', '--bug', 'proposer-ignores-accepted', '--json');
    expect(run.status).to.equal(1);
    expect(run.stdout).to.match(/seed \d+: agreement violated/);
    expect(run.stdout).to.match(
      /replay: npx evpaxos sim --seed \d+ --trace --bug proposer-ignores-accepted/,
    );
    const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(summary.violations[0]).to.have.keys('seed', 'property', 'tick', 'detail');
  });

  it('prints one seed message trace with --seed --trace', () => {
    const run = evpaxos('sim', '--seed', '7', '--trace');
    expect(run.status).to.equal(0);
    expect(run.stdout).to.match(/prepare 1\.p\d from slot 0/);
    expect(run.stdout).to.match(/leads with ballot/);
  });

  for (const [args, message] of [
    [['sim', '--faults', 'meteor'], /Unknown fault "meteor"/],
    [['sim', '--bug', 'nope'], /Unknown bug "nope"/],
    [['sim', '--seeds', '-3'], /--seeds must be a whole number/],
    [['sim', '--trace'], /--trace needs --seed/],
    [
      ['sim', '--acceptors', '4', '--phase1-quorum', '2', '--phase2-quorum', '2'],
      /must exceed the number of acceptors/,
    ],
    [['sim', '--no-such-flag'], /Unknown argument/],
  ] as const) {
    it(`refuses bad arguments with a clear message: ${args.slice(1).join(' ')}`, () => {
      const run = evpaxos(...args);
      expect(run.status).to.not.equal(0);
      expect(run.stderr).to.match(message);
    });
  }
});

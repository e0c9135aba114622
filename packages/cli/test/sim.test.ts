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
    const run = evpaxos('sim', '--seeds', '10', '--bug', 'proposer-ignores-accepted', '--json');
    expect(run.status).to.equal(1);
    expect(run.stdout).to.match(/seed \d+: agreement violated/);
    expect(run.stdout).to.match(
      /replay: npx evpaxos sim --seed \d+ --trace --faults \S+ --bug proposer-ignores-accepted/,
    );
    const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(summary.violations[0]).to.have.keys('seed', 'property', 'tick', 'detail');
    expect(summary.properties.agreement.status).to.equal('violated');
  });

  it('prints one seed message trace with --seed --trace, starting with the drawn scenario', () => {
    const run = evpaxos('sim', '--seed', '7', '--trace');
    expect(run.status).to.equal(0);
    expect(run.stdout.split('\n')[0]).to.match(/scenario: \d proposer\(s\), \d acceptors/);
    expect(run.stdout).to.match(/prepare 1\.p\d from slot 0/);
    expect(run.stdout).to.match(/leads with ballot/);
  });

  it('pins a dimension given on the command line and draws the rest: --acceptors 4', () => {
    const run = evpaxos('sim', '--seed', '9', '--acceptors', '4', '--trace');
    expect(run.status).to.equal(0);
    expect(run.stdout.split('\n')[0]).to.match(/, 4 acceptors \(q1 \d, q2 \d\)/);
  });

  it('the replay command it prints for a failing seed reproduces that failure, faults and scenario included', () => {
    const faults = 'loss,dup,reorder,partition,crash';
    const run = evpaxos(
      'sim',
      '--seeds',
      '30',
      '--faults',
      faults,
      '--bug',
      'proposer-ignores-accepted',
    );
    expect(run.status).to.equal(1);
    const failure =
      /^(seed (\d+): \S+ violated at tick \d+: .*)\n {2}(scenario: .*)\n {2}replay: npx evpaxos (.*)$/m.exec(
        run.stdout,
      );
    expect(failure, run.stdout).to.not.equal(null);
    const [, violation, seed, scenario, replay] = failure!;
    expect(replay).to.equal(
      `sim --seed ${seed} --trace --faults ${faults} --bug proposer-ignores-accepted`,
    );
    const again = evpaxos(...replay!.split(' '));
    expect(again.status).to.equal(1);
    expect(again.stdout.split('\n')[0]).to.equal(`[    0] ${scenario}`);
    expect(again.stdout).to.include(violation);
  });

  it('reports a property no seed exercised as vacuous, never as a pass', () => {
    const run = evpaxos('sim', '--seeds', '3', '--faults', 'none', '--json');
    expect(run.status).to.equal(0);
    expect(run.stdout).to.match(/properties: .*durability vacuous \(0 seed\(s\)\)/);
    const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(summary.properties.durability).to.deep.equal({ status: 'vacuous', seeds_exercised: 0 });
    expect(summary.properties.validity).to.deep.equal({ status: 'pass', seeds_exercised: 3 });
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

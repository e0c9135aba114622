// Every lab's "Run it — local" block, run as printed (lab-runner.ts: one shim, free ports), with
// the lab's stated expectations asserted line by line. Where a lab's check could pass for the wrong
// reason, the lab is run again without the fault and the check must then fail. The measured
// numbers the labs quote (lab 1's election gap) are printed here, so the text can be kept true.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  commandsOf,
  labsDir,
  lineOf,
  localBlock,
  runLab,
  type LabLine,
  type LabRun,
} from './lab-runner';

const labs = fs
  .readdirSync(labsDir)
  .filter((name) => /^\d\d-.*\.md$/.test(name))
  .sort();

/** A line that must have worked. */
function ok(line: LabLine, lab: LabRun): string {
  expect(line.exit, `${line.command} exited ${line.exit}\n${lab.transcript.slice(-6000)}`).to.equal(
    0,
  );
  return line.output;
}

/** The line that is the bare `node scripts/lab-check.mjs` (its comment aside), the nth such. */
function checkLine(lab: LabRun, nth = 0): LabLine {
  const found = lab.lines.filter(
    (line) => line.command.replace(/\s+#.*$/, '').trim() === 'node scripts/lab-check.mjs',
  )[nth];
  if (found === undefined) throw new Error(`no bare lab-check line (#${nth}) in the lab`);
  return found;
}

/** lab-check printed PASS lines and no FAIL. */
function passes(line: LabLine, lab: LabRun): void {
  const output = ok(line, lab);
  expect(output).to.match(/^PASS /m);
  expect(output, output).to.not.match(/^FAIL /m);
}

function submitted(line: LabLine, lab: LabRun): { slot: number; ballot: { round: number } } {
  return JSON.parse(ok(line, lab).trim().split('\n').at(-1)!) as {
    slot: number;
    ballot: { round: number };
  };
}

/** What every lab's lines may not do: be missing (127) or be refused as bad input (2). */
function noBrokenCommands(lab: LabRun, allowed: readonly string[] = []): void {
  for (const line of lab.lines) {
    if (allowed.some((text) => line.command.includes(text))) continue;
    expect([127, 2], `${line.command} exited ${line.exit}:\n${line.output}`).to.not.include(
      line.exit,
    );
    expect(line.exit, `${line.command} never ran`).to.not.equal(-1);
  }
}

type Expectations = (lab: LabRun) => void | Promise<void>;

const expectations: Record<string, Expectations> = {
  'docs/labs/01-boot-and-first-ballots.md': (lab) => {
    expect(ok(lineOf(lab, 'evpaxos status'), lab)).to.match(/leader/);
    // Phase 1 on the wire: the winner's Prepare to the charge points, then a quorum's Promises.
    const election = ok(lineOf(lab, '--type prepare,promise'), lab);
    const leader = /(central-\w) → cp\d +prepare +ballot 1\.\1 /.exec(election)?.[1];
    expect(leader, election).to.be.a('string');
    const promises = new Set(
      [
        ...election.matchAll(
          new RegExp(`(cp\\d) → ${leader} +promise +ballot 1\\.${leader} `, 'g'),
        ),
      ].map((m) => m[1]),
    );
    expect(promises.size, `a quorum promised ${leader}:\n${election}`).to.be.at.least(3);
    expect(election.indexOf(`${leader} → cp`)).to.be.below(election.indexOf(`→ ${leader}`));
    // Phase 2 of the submitted slot: Accept, then Accepted from a quorum, then Decide.
    const slot = submitted(lineOf(lab, 'evpaxos submit'), lab).slot;
    const phase2 = ok(lineOf(lab, '--slot $('), lab);
    const accept = phase2.search(new RegExp(`→ cp\\d +accept +ballot \\S+ +slot ${slot}$`, 'm'));
    const accepted = [
      ...phase2.matchAll(new RegExp(`cp\\d → \\S+ +accepted +ballot \\S+ +slot ${slot}$`, 'gm')),
    ];
    const decide = phase2.search(
      new RegExp(`→ cp\\d +decide +ballot \\S+ +slots (\\d+,)*${slot}\\b`, 'm'),
    );
    expect(accept, phase2).to.be.at.least(0);
    expect(accepted.length, phase2).to.be.at.least(3);
    expect(accepted[0]?.index, 'Accepted after Accept').to.be.above(accept);
    expect(decide, 'Decide after a quorum of Accepted').to.be.above(accepted[2]?.index ?? Infinity);
    expect(ok(lineOf(lab, 'grep -h \'"message":"became-\''), lab)).to.match(/became-leader/);
    const gapMs = [...ok(lineOf(lab, '--election-ms'), lab).matchAll(/in (\d+) ms/g)].map((m) =>
      Number(m[1]),
    );
    console.log(`      measured: candidate → leader in ${gapMs.join(', ')} ms`);
    expect(gapMs.length).to.be.greaterThan(0);
    expect(submitted(lineOf(lab, 'evpaxos submit'), lab).ballot.round).to.be.at.least(1);
    expect(JSON.parse(ok(lineOf(lab, '--status cp1'), lab)).paxos).to.have.property('promised');
    expect(ok(lineOf(lab, 'sim --seed 1'), lab))
      .to.match(/prepare/)
      .and.match(/promise/);
    passes(lineOf(lab, 'lab-check.mjs --min-applied'), lab);
  },
  'docs/labs/02-kill-the-leader.md': (lab) => {
    const leader = ok(lineOf(lab, 'LEADER='), lab).replace('leader: ', '').trim();
    expect(leader).to.match(/^central-/);
    expect(submitted(lineOf(lab, 'evpaxos submit', 1), lab).ballot.round).to.be.at.least(2);
    passes(lineOf(lab, '--min-ballot-round 2 --expect-unreachable'), lab);
    passes(lineOf(lab, 'lab-check.mjs --min-ballot-round 2', 1), lab);
  },
  'docs/labs/03-lose-charge-points.md': (lab) => {
    submitted(lineOf(lab, 'evpaxos submit', 0), lab);
    submitted(lineOf(lab, 'evpaxos submit', 1), lab);
    const noQuorum = lineOf(lab, 'evpaxos submit', 2);
    expect(noQuorum.exit, `2 of 5 must not commit:\n${noQuorum.output}`).to.equal(1);
    expect(noQuorum.output).to.match(/not acknowledged/);
    submitted(lineOf(lab, 'evpaxos submit', 3), lab);
    passes(lineOf(lab, '--expect-unreachable cp4,cp5'), lab);
  },
  'docs/labs/04-partitions-and-fail-safe.md': (lab) => {
    submitted(lineOf(lab, '--via central-b'), lab);
    expect(lineOf(lab, '--via central-a').exit, 'the minority side must not commit').to.equal(1);
    const lost = Number(ok(lineOf(lab, 'grep -c'), lab).trim());
    expect(lost, 'lease losses on the minority side').to.be.at.least(1);
    ok(lineOf(lab, 'kill $EMU'), lab);
    expect(fs.existsSync(path.join(lab.dir, '.evpaxos/logs/ev-emulator.log'))).to.equal(true);
    expect(ok(lineOf(lab, 'evpaxos verify'), lab)).to.match(/All properties hold/);
    passes(checkLine(lab), lab);
  },
  'docs/labs/05-dueling-proposers.md': (lab) => {
    submitted(lineOf(lab, 'evpaxos submit', 1), lab);
    // The standbys' campaigns on the wire: Prepares with round 2 after the leader froze.
    const duel = ok(lineOf(lab, '--type prepare,promise,nack'), lab);
    expect(duel).to.match(/(central-\w) → cp\d +prepare +ballot 2\.\1 /);
    expect(duel).to.match(/cp\d → (central-\w) +promise +ballot 2\.\1 /);
    passes(lineOf(lab, '--min-ballot-round 2'), lab);
  },
  'docs/labs/06-crash-recovery-and-fsync.md': (lab) => {
    const before = JSON.parse(ok(lineOf(lab, '--status cp1', 0), lab)).paxos.promised;
    const after = JSON.parse(ok(lineOf(lab, '--status cp1', 1), lab)).paxos.promised;
    expect(after, 'the promise survives the crash').to.deep.equal(before);
    expect(ok(lineOf(lab, 'ls -la'), lab)).to.match(/acceptor\.log/);
    passes(checkLine(lab), lab);
    const bug = lineOf(lab, 'sim --seeds 50');
    expect(bug.exit, 'the planted bug is caught').to.equal(1);
    expect(bug.output).to.match(/promise-kept|agreement/);
  },
  'docs/labs/07-flexible-quorums.md': (lab) => {
    submitted(lineOf(lab, 'evpaxos submit', 0), lab);
    expect(lineOf(lab, 'evpaxos submit', 1).exit, 'phase 1 needs 4').to.equal(1);
    submitted(lineOf(lab, 'evpaxos submit', 2), lab);
    passes(checkLine(lab), lab);
    const refused = lineOf(lab, 'EVPAXOS_PHASE1_QUORUM=2');
    expect(refused.exit).to.not.equal(0);
    expect(refused.output).to.match(/must exceed the number of acceptors/);
    expect(ok(lineOf(lab, '--seeds 200'), lab)).to.match(/ 0 violation\(s\)/);
  },
  'docs/labs/08-reservations-race.md': (lab) => {
    const exits = ok(lineOf(lab, 'wait $A'), lab);
    const codes = [...exits.matchAll(/exit (\d)/g)].map((m) => Number(m[1])).sort();
    expect(codes, 'one client wins, one is refused').to.deep.equal([0, 1]);
    const both = ok(lineOf(lab, 'cat .evpaxos/alice.txt'), lab);
    const accepted = /accepted in slot (\d+)/.exec(both);
    const refused =
      /refused in slot (\d+): connector-reserved: connector cp3\/1 is held by reservation/.exec(
        both,
      );
    expect(accepted, both).to.not.equal(null);
    expect(refused, both).to.not.equal(null);
    expect(Number(refused![1]), 'the later slot is refused').to.be.greaterThan(
      Number(accepted![1]),
    );
    expect(ok(lineOf(lab, '--id 41'), lab)).to.match(/accepted in slot/);
    const overlap = lineOf(lab, '--id 42', 0);
    expect(overlap.exit).to.equal(1);
    expect(overlap.output).to.match(/held by reservation 41/);
    ok(lineOf(lab, '--cancel 41'), lab);
    expect(ok(lineOf(lab, '--id 42', 1), lab)).to.match(/accepted in slot/);
    expect(ok(lineOf(lab, '--list'), lab)).to.match(/reservation 42 cp4\/1 for BOB/);
    expect(ok(lineOf(lab, '"message":"reservation"'), lab)).to.match(/"event":"cancelled"/);
    expect(ok(lineOf(lab, 'evpaxos verify'), lab)).to.match(
      /PASS\s+reservation-overlap\s+3 reservations agreed, 1 cancelled/,
    );
    passes(checkLine(lab), lab);
  },
};

// About 15 minutes of real clusters (lab 4 waits out a lease, lab 7 runs 200 simulator seeds):
// run with EVPAXOS_LABS=1 (docs/labs/README.md, "For teachers"), like the Docker labs suite.
// Lab 1 (one cluster; 75 s measured, 4.4 minutes at load ~40 on 2 cores) runs in npm test too:
// the labs' CI-sized subset.
const labsSuiteOff = process.env.EVPAXOS_LABS !== '1';
const ciLabs: ReadonlySet<string> = new Set([
  path.basename('docs/labs/01-boot-and-first-ballots.md'),
]);

describe('labs: every local command, as printed, and what the lab says it shows', function () {
  for (const lab of labs) {
    it(`${lab}`, async function () {
      if (labsSuiteOff && !ciLabs.has(lab)) {
        console.log('      skipped: set EVPAXOS_LABS=1 to run every lab (about 15 minutes)');
        this.skip();
      }
      this.timeout(900_000);
      const check = expectations[`docs/labs/${lab}`];
      expect(check, `${lab} has no expectations in this test: add them`).to.be.a('function');
      const run = await runLab(commandsOf(localBlock(lab)));
      let passed = false;
      try {
        noBrokenCommands(run, lab.startsWith('07') ? ['EVPAXOS_PHASE1_QUORUM=2'] : []);
        await check!(run);
        passed = true;
      } finally {
        // A failed lab keeps its dir: the cluster's logs are in its .evpaxos/logs.
        if (passed) fs.rmSync(run.dir, { recursive: true, force: true });
        else console.log(`      lab dir kept: ${run.dir}`);
      }
    });
  }

  it('lab 1’s election trace needs the nodes traced from the start: without --trace nothing is kept', async function () {
    if (labsSuiteOff) this.skip();
    this.timeout(900_000);
    const commands = commandsOf(localBlock('docs/labs/01-boot-and-first-ballots.md')).map((line) =>
      line.replace('cluster up --trace', 'cluster up'),
    );
    const run = await runLab(commands);
    try {
      expect(ok(lineOf(run, '--type prepare,promise'), run)).to.not.match(/prepare|promise/);
    } finally {
      fs.rmSync(run.dir, { recursive: true, force: true });
    }
  });

  it('lab 4’s check fails without the partition (it counts lease losses, not fail-safe samples)', async function () {
    if (labsSuiteOff) this.skip();
    this.timeout(900_000);
    const commands = commandsOf(localBlock('docs/labs/04-partitions-and-fail-safe.md')).filter(
      (line) => !line.startsWith('npx evpaxos partition') && !line.includes('--via central-a'),
    );
    const run = await runLab(commands);
    try {
      expect(lineOf(run, 'grep -c').output.trim()).to.equal('0');
      expect(lineOf(run, 'grep -c').exit, 'grep -c finds nothing: exit 1').to.equal(1);
    } finally {
      fs.rmSync(run.dir, { recursive: true, force: true });
    }
  });

  it('lab 8’s race has a loser only because of the other client: alone, BOB is accepted', async function () {
    if (labsSuiteOff) this.skip();
    this.timeout(900_000);
    const commands = commandsOf(localBlock('docs/labs/08-reservations-race.md'))
      .filter((line) => !line.includes('--token ALICE'))
      .map((line) =>
        line.startsWith('wait $A')
          ? 'wait $B; echo "bob: exit $?"'
          : line.startsWith('cat .evpaxos/alice.txt')
            ? 'cat .evpaxos/bob.txt'
            : line,
      );
    const run = await runLab(commands);
    try {
      expect(ok(lineOf(run, 'cat .evpaxos/bob.txt'), run)).to.match(/accepted in slot/);
      expect(ok(lineOf(run, '--id 42', 0), run)).to.match(/accepted in slot/);
    } finally {
      fs.rmSync(run.dir, { recursive: true, force: true });
    }
  });
});

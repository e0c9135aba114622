import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commandsDigest } from '@evpaxos/runtime';
import { verifyDir } from '../src/verify';

const bin = path.resolve(__dirname, '../../bin/evpaxos.js');
const t0 = Date.parse('2025-01-01T10:00:00.000Z');

type Line = Record<string, unknown>;

function line(node: string, message: string, fields: Line = {}, atMs = t0): string {
  return JSON.stringify({
    level: 'info',
    message,
    node,
    timestamp: new Date(atMs).toISOString(),
    ...fields,
  });
}

/**
 * A "decided" record of one slot as the runtime writes it (docs/CLUSTER.md, "The decided record"):
 * a central lists the commands, a charge point writes their digest only.
 */
function decided(node: string, slot: number, commands: Line[]): string {
  const ids = commands.map(({ clientId, seq, type }) => ({ clientId, seq, type }));
  const duplicates = commands.flatMap((command, index) => (command.duplicate ? [index] : []));
  const tuple: unknown[] = [slot, '1.central-a', commandsDigest(ids), ids.length, 0, duplicates];
  if (node.startsWith('central'))
    tuple.push(ids.map(({ clientId, seq, type }) => [clientId, seq, type]));
  return line(node, 'decided', { atMs: t0, slots: [tuple] });
}

/** The per-slot "decided" line of earlier versions, which verify still reads. */
function legacyDecided(node: string, slot: number, commands: Line[]): string {
  return line(node, 'decided', { slot, ballot: { round: 1, proposerId: 'central-a' }, commands });
}

function cmd(clientId: string, seq: number, type = 'StartSession', duplicate = false): Line {
  return { clientId, seq, duplicate, type };
}

/** A healthy run: three nodes agree, a retry is a duplicate, one session each, power within 44 kW. */
function healthyLogs(): Record<string, string[]> {
  const log = (node: string) => [
    line(node, 'ready'),
    decided(node, 0, [cmd('central-a', 1, 'RegisterChargePoint')]),
    decided(node, 1, []),
    decided(node, 2, [cmd('cp1', 1), cmd('cp2', 1)]),
    decided(node, 3, [cmd('cp1', 1, 'StartSession', true)]),
  ];
  return {
    'central-a.log': log('central-a'),
    'cp1.log': [
      ...log('cp1'),
      line('cp1', 'evse-transition', {
        chargePointId: 'cp1',
        evId: 'EV1',
        from: 'waitingEV',
        to: 'beginSession',
        event: 'plugIn',
      }),
      line('cp1', 'power', {
        chargePointId: 'cp1',
        atMs: t0 + 1_000,
        powerW: 22_000,
        mode: 'profile',
        evId: 'EV1',
      }),
      line('cp1', 'evse-transition', {
        chargePointId: 'cp1',
        evId: 'EV1',
        from: 'charging',
        to: 'endSession',
        event: 'stopRequested',
      }),
      line('cp1', 'evse-transition', {
        chargePointId: 'cp1',
        evId: 'EV1',
        from: 'endSession',
        to: 'waitingEV',
        event: 'sessionClosed',
      }),
      line('cp1', 'evse-transition', {
        chargePointId: 'cp1',
        evId: 'EV4',
        from: 'waitingEV',
        to: 'beginSession',
        event: 'plugIn',
      }),
    ],
    'cp2.log': [
      ...log('cp2'),
      'Error: something printed by hand',
      line('cp2', 'power', {
        chargePointId: 'cp2',
        atMs: t0 + 2_000,
        powerW: 22_000,
        mode: 'profile',
        evId: 'EV2',
      }),
    ],
    'ev-emulator.log': [
      line('ev-emulator', 'ev-transition', {
        evId: 'EV1',
        chargePointId: 'cp1',
        from: 'not_connected',
        to: 'connected_not_charging',
        scenarioMs: 60_000,
      }),
      line('ev-emulator', 'ev-transition', {
        evId: 'EV1',
        chargePointId: 'cp1',
        from: 'connected_not_charging',
        to: 'charging_with_profile',
        scenarioMs: 65_000,
      }),
      line('ev-emulator', 'ev-transition', {
        evId: 'EV1',
        chargePointId: 'cp1',
        from: 'charging_with_profile',
        to: 'not_connected',
        scenarioMs: 90_000,
      }),
      line('ev-emulator', 'ev-transition', {
        evId: 'EV4',
        chargePointId: 'cp1',
        from: 'not_connected',
        to: 'connected_not_charging',
        scenarioMs: 95_000,
      }),
    ],
  };
}

function writeRun(files: Record<string, string[]>, siteLimitW?: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evpaxos-verify-'));
  fs.mkdirSync(path.join(dir, 'logs'));
  for (const [name, lines] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, 'logs', name), `${lines.join('\n')}\n`);
  }
  if (siteLimitW !== undefined) {
    fs.writeFileSync(
      path.join(dir, 'cluster.json'),
      JSON.stringify({ site: { siteLimitW }, nodes: [] }),
    );
  }
  return dir;
}

function resultOf(dir: string, property: string) {
  const result = verifyDir(dir).results.find((r) => r.property === property);
  expect(result, property).to.not.equal(undefined);
  return result!;
}

describe('evpaxos verify', () => {
  const dirs: string[] = [];
  const run = (files: Record<string, string[]>, siteLimitW?: number) => {
    const dir = writeRun(files, siteLimitW);
    dirs.push(dir);
    return dir;
  };
  /** A run whose cluster.json lists three charge points (cp1, cp2, cp3): a side of one is a minority. */
  const runOfThreeChargePoints = (files: Record<string, string[]>) => {
    const dir = run(files);
    fs.writeFileSync(
      path.join(dir, 'cluster.json'),
      JSON.stringify({
        site: { siteLimitW: 44_000 },
        nodes: ['cp1', 'cp2', 'cp3'].map((id) => ({ id, role: 'charge-point' })),
      }),
    );
    return dir;
  };
  after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  it('passes every property on a healthy run and counts the skipped non-JSON line', () => {
    const report = verifyDir(run(healthyLogs(), 44_000));
    expect(report.results.map((r) => `${r.property} ${r.pass}`)).to.deep.equal([
      'agreement true',
      'validity true',
      'durability true',
      'exactly-once true',
      'no-double-booking true',
      'reservation-overlap true',
      'site-limit true',
      'configuration true',
      'liveness true',
      'registration true',
    ]);
    // No restart, no reservation and no BootNotification in these logs: vacuous, and said so, but
    // not required.
    expect(report.results.filter((r) => r.vacuous === true).map((r) => r.property)).to.deep.equal([
      'durability',
      'reservation-overlap',
      'configuration',
      'registration',
    ]);
    expect(report.logs.skippedLines).to.equal(1);
    expect(report.pass).to.equal(true);
  });

  it('agreement: FAILs when two nodes decide different commands for one slot', () => {
    const files = healthyLogs();
    files['cp2.log']!.push(decided('cp2', 1, [cmd('cp9', 1)]));
    const result = resultOf(run(files), 'agreement');
    expect(result.pass).to.equal(false);
    expect(result.counterexample).to.match(
      /^slot 1: central-a decided \[\] \(no-op\) .* but cp2 decided 1 command with digest \w+ \(cp2\.log:\d+\)/,
    );
  });

  it("agreement: FAILs when one charge point's digest of a slot differs from a central's commands", () => {
    const files = healthyLogs();
    files['cp1.log']!.push(line('cp1', 'ready'), decided('cp1', 2, [cmd('cp1', 1), cmd('cp2', 2)]));
    const result = resultOf(run(files), 'agreement');
    expect(result.pass).to.equal(false);
    expect(result.counterexample).to.match(
      /^slot 2: central-a decided \[cp1#1 StartSession, cp2#1 StartSession\] \(central-a\.log:\d+\) but cp1 decided 2 commands with digest \w+ \(cp1\.log:\d+\)/,
    );
  });

  it('agreement: FAILs on a central record whose digest does not match its commands', () => {
    const files = healthyLogs();
    const forged = decided('central-a', 4, [cmd('cp1', 2)]).replace(
      commandsDigest([{ clientId: 'cp1', seq: 2, type: 'StartSession' }]),
      'abc123',
    );
    files['central-a.log']!.push(forged);
    expect(resultOf(run(files), 'agreement').counterexample).to.match(
      /^slot 4: central-a wrote digest abc123 for \[cp1#2 StartSession\], whose digest is \w+ /,
    );
  });

  it('agreement: still reads the per-slot lines of earlier versions', () => {
    const files = healthyLogs();
    files['cp2.log']!.push(legacyDecided('cp2', 1, [cmd('cp9', 1)]));
    expect(resultOf(run(files), 'agreement').counterexample).to.match(
      /^slot 1: central-a decided \[\] \(no-op\) .* but cp2 decided \[cp9#1 StartSession\]/,
    );
  });

  it('validity: FAILs on a decided command with an unknown type or no clientId', () => {
    const files = healthyLogs();
    files['central-a.log']!.push(decided('central-a', 4, [cmd('cp1', 2, 'FreeElectricity')]));
    const result = resultOf(run(files), 'validity');
    expect(result.pass).to.equal(false);
    expect(result.counterexample).to.include('type "FreeElectricity", not a site command');
    const noClient = healthyLogs();
    noClient['central-a.log']!.push(
      decided('central-a', 4, [{ seq: 1, duplicate: false, type: 'Noop' }]),
    );
    expect(resultOf(run(noClient), 'validity').counterexample).to.include(
      'a command without a clientId',
    );
  });

  it('durability: FAILs when a restarted node decides a slot differently than before its crash', () => {
    const files = healthyLogs();
    files['cp2.log']!.push(line('cp2', 'ready'), decided('cp2', 2, [cmd('cp1', 1)]));
    const result = resultOf(run(files), 'durability');
    expect(result.pass).to.equal(false);
    expect(result.counterexample).to.match(/^cp2 slot 2: .* after a restart/);
  });

  it('exactly-once: FAILs when one (clientId, seq) is applied as new in two slots', () => {
    const files = healthyLogs();
    // The central recognised the retry; cp1 (digest only: its commands are the central's) did not.
    files['central-a.log']!.push(decided('central-a', 5, [cmd('cp2', 1, 'StartSession', true)]));
    files['cp1.log']!.push(decided('cp1', 5, [cmd('cp2', 1)]));
    const result = resultOf(run(files), 'exactly-once');
    expect(result.pass).to.equal(false);
    expect(result.counterexample).to.match(/^cp1 applied cp2#1 twice as new: slot 2 .* and slot 5/);
  });

  it('validity and exactly-once: a slot only charge points recorded is counted as not checked', () => {
    const files = healthyLogs();
    // central-a's record of slot 5 was lost (kill -9 within a second of applying it).
    files['cp1.log']!.push(decided('cp1', 5, [cmd('cp2', 1)]));
    files['cp2.log']!.push(decided('cp2', 5, [cmd('cp2', 1)]));
    const report = verifyDir(run(files));
    const exactlyOnce = report.results.find((r) => r.property === 'exactly-once')!;
    expect(exactlyOnce.pass).to.equal(true);
    expect(exactlyOnce.evidence).to.include(
      "2 slot records by digest only whose commands no central's record holds: not checked",
    );
    expect(report.results.find((r) => r.property === 'validity')!.evidence).to.include(
      "1 slots recorded by digest only, no central's record of their commands left: not checked",
    );
  });

  it("validity: only charge points' digests in the logs is vacuous, not a pass on evidence", () => {
    const files = healthyLogs();
    delete files['central-a.log'];
    files['cp1.log'] = files['cp1.log']!.filter((l) => !l.includes('"slots":[[1,'));
    files['cp2.log'] = files['cp2.log']!.filter((l) => !l.includes('"slots":[[1,'));
    const result = resultOf(run(files), 'validity');
    expect(result.vacuous).to.equal(true);
    expect(result.pass).to.equal(false); // nodes started: validity had to be exercised
    expect(result.evidence).to.match(
      /^vacuous: 0 decided commands .*3 slots recorded by digest only/,
    );
  });

  it('exactly-once: a restarted node replaying the log from slot 0 is not a violation', () => {
    const files = healthyLogs();
    files['central-a.log']!.push(
      line('central-a', 'ready'),
      decided('central-a', 2, [cmd('cp1', 1), cmd('cp2', 1)]),
    );
    expect(resultOf(run(files), 'exactly-once').pass).to.equal(true);
  });

  it('no double booking: FAILs when a charge point begins a second session while one is open', () => {
    const files = healthyLogs();
    files['cp1.log']!.push(
      line('cp1', 'evse-transition', {
        chargePointId: 'cp1',
        evId: 'EV5',
        from: 'waitingEV',
        to: 'beginSession',
        event: 'plugIn',
      }),
    );
    const result = resultOf(run(files), 'no-double-booking');
    expect(result.pass).to.equal(false);
    expect(result.counterexample).to.match(
      /^cp1: a session for EV5 begins .* while the session of EV4 is open/,
    );
  });

  it('no double booking: FAILs when two EVs are plugged into one charge point at once', () => {
    const files = healthyLogs();
    files['ev-emulator.log']!.push(
      line('ev-emulator', 'ev-transition', {
        evId: 'EV6',
        chargePointId: 'cp1',
        from: 'not_connected',
        to: 'connected_not_charging',
        scenarioMs: 99_000,
      }),
    );
    expect(resultOf(run(files), 'no-double-booking').counterexample).to.match(
      /^cp1: EV6 plugs in .* while EV4 is still plugged in/,
    );
  });

  it('configuration: FAILs when two nodes applied one membership change differently, and when a lost node votes unre-admitted', () => {
    const change = { kind: 'add', acceptor: 'cp6' };
    const outcome = (acceptors: string[]) => ({
      ok: true,
      configuration: { acceptors, phase1Quorum: 3, phase2Quorum: 3 },
      effectiveSlot: 71,
    });
    const files = healthyLogs();
    files['cp1.log'] = [
      ...(files['cp1.log'] ?? []),
      line('cp1', 'configuration-decided', { slot: 7, change, outcome: outcome(['cp1', 'cp6']) }),
    ];
    files['cp2.log'] = [
      ...(files['cp2.log'] ?? []),
      line('cp2', 'configuration-decided', { slot: 7, change, outcome: outcome(['cp2', 'cp6']) }),
    ];
    const split = resultOf(run(files), 'configuration');
    expect(split.pass).to.equal(false);
    expect(split.counterexample).to.match(/^slot 7: cp1 applied .* cp2 applied/);
    files['cp2.log'] = [
      ...(files['cp2.log'] ?? []).slice(0, -1),
      line('cp2', 'configuration-decided', { slot: 7, change, outcome: outcome(['cp1', 'cp6']) }),
      line('cp2', 'standing', { standing: 'voting', incarnation: 99, fromSlot: 0 }),
    ];
    const unreadmitted = resultOf(run(files), 'configuration');
    expect(unreadmitted.pass).to.equal(false);
    expect(unreadmitted.counterexample).to.include('voted as incarnation 99');
  });

  it('site limit: FAILs at the first sample where the latest powers add up above the limit', () => {
    const files = healthyLogs();
    files['cp3.log'] = [
      line('cp3', 'power', {
        chargePointId: 'cp3',
        atMs: t0 + 3_000,
        powerW: 11_000,
        mode: 'fail-safe',
        evId: 'EV3',
      }),
    ];
    const result = resultOf(run(files, 44_000), 'site-limit');
    expect(result.pass).to.equal(false);
    expect(result.counterexample).to.equal(
      `at ${new Date(t0 + 3_000).toISOString()} (cp3.log:1): cp1 22000 W + cp2 22000 W + cp3 11000 W = 55000 W > 44000 W.`,
    );
  });

  it('site limit: an OCPP station metered above its grant (station-meter at the central) is caught', () => {
    const files = healthyLogs();
    files['central-a.log']!.push(
      line(
        'central-a',
        'station-meter',
        {
          chargePointId: 'ext-1',
          transactionId: 'tx-ext',
          registerWh: 900,
          powerW: 7_000,
          allocatedW: 0,
        },
        t0 + 4_000,
      ),
    );
    const result = resultOf(run(files, 44_000), 'site-limit');
    expect(result.pass).to.equal(false);
    expect(result.counterexample).to.contain('ext-1 7000 W');
    // A reading without power (energy only) is no power sample.
    const energyOnly = healthyLogs();
    energyOnly['central-a.log']!.push(
      line(
        'central-a',
        'station-meter',
        { chargePointId: 'ext-1', registerWh: 900, powerW: null },
        t0 + 4_000,
      ),
    );
    expect(resultOf(run(energyOnly, 44_000), 'site-limit').pass).to.equal(true);
  });

  it('site limit: a restarted charge point ("ready") no longer counts its old power', () => {
    const files = healthyLogs();
    files['cp1.log']!.push(line('cp1', 'ready', {}, t0 + 2_500));
    files['cp3.log'] = [
      line('cp3', 'power', {
        chargePointId: 'cp3',
        atMs: t0 + 3_000,
        powerW: 11_000,
        mode: 'profile',
        evId: 'EV3',
      }),
    ];
    expect(resultOf(run(files, 44_000), 'site-limit').pass).to.equal(true);
  });

  it('site limit: a killed charge point counts at fail-safe power once its lease edge passed in silence', () => {
    // cp1 and cp2 draw 22 kW each (healthyLogs); cp1 then says its power holds until t0 + 2,500
    // and that fail-safe is 11 kW, and falls silent (killed). cp3 starts drawing 11 kW.
    const killedLogs = (cp3AtMs: number, cp1Fields: Line) => {
      const files = healthyLogs();
      files['cp1.log']!.push(
        line('cp1', 'power', {
          chargePointId: 'cp1',
          atMs: t0 + 2_200,
          powerW: 22_000,
          mode: 'leased',
          evId: 'EV1',
          ...cp1Fields,
        }),
      );
      files['cp3.log'] = [
        line('cp3', 'power', {
          chargePointId: 'cp3',
          atMs: cp3AtMs,
          powerW: 11_000,
          mode: 'leased',
          evId: 'EV3',
          untilMs: t0 + 30_000,
          failSafeW: 11_000,
        }),
      ];
      return files;
    };
    const bounded = { untilMs: t0 + 2_500, failSafeW: 11_000 };
    // After cp1's edge: 11 (cp1 at fail-safe) + 22 + 11 = 44 kW, the limit.
    const after = resultOf(run(killedLogs(t0 + 3_000, bounded), 44_000), 'site-limit');
    expect(after.pass, after.counterexample).to.equal(true);
    // Before it (the planted bug: the site handed cp1's power on while its lease still held).
    const before = resultOf(run(killedLogs(t0 + 2_400, bounded), 44_000), 'site-limit');
    expect(before.pass).to.equal(false);
    expect(before.counterexample).to.contain('cp1 22000 W + cp2 22000 W + cp3 11000 W = 55000 W');
    // A sample without untilMs / failSafeW (an older log) keeps counting in full: conservative.
    const old = resultOf(run(killedLogs(t0 + 3_000, {}), 44_000), 'site-limit');
    expect(old.pass).to.equal(false);
  });

  it('durability: a run that restarted a node but decided nothing again FAILs as vacuous', () => {
    const files = healthyLogs();
    files['cp2.log']!.push(line('cp2', 'ready'));
    const result = resultOf(run(files), 'durability');
    expect(result.pass).to.equal(false);
    expect(result.vacuous).to.equal(true);
    expect(result.evidence).to.match(/^vacuous: 1 process restarts.* But the run restarted cp2\.$/);
  });

  const ev2PlugsIntoCp2 = line('ev-emulator', 'ev-transition', {
    evId: 'EV2',
    chargePointId: 'cp2',
    from: 'not_connected',
    to: 'connected_not_charging',
    scenarioMs: 10_000,
  });

  /** The same plug-in, 1 real s after t0 (for the checks that need its real time). */
  const ev2PlugsIntoCp2AtOneSecond = line(
    'ev-emulator',
    'ev-transition',
    {
      evId: 'EV2',
      chargePointId: 'cp2',
      from: 'not_connected',
      to: 'connected_not_charging',
      scenarioMs: 10_000,
    },
    t0 + 1_000,
  );

  it('liveness: FAILs when an EV plugs in at a station that is up and never charges', () => {
    const files = healthyLogs();
    files['ev-emulator.log']!.push(
      ev2PlugsIntoCp2,
      line('ev-emulator', 'scenario-step', {
        ok: true,
        step: { action: 'heal' },
        scenarioMs: 120_000,
      }),
    );
    const result = resultOf(run(files), 'liveness');
    expect(result.pass).to.equal(false);
    expect(result.counterexample).to.match(
      /^EV2 plugged into cp2 at scenario 10\.0 s \(ev-emulator\.log:\d+\), the station up and on the majority side, and never charged\.$/,
    );
  });

  for (const [why, holds] of [
    ['cancelled', true],
    ['scenario', false],
  ] as const) {
    it(`liveness: an EV unplugged 2 real s after plugging in, why "${why}": ${holds ? 'the run was stopped under it, not owed a charge' : 'it stayed past the bound, FAIL'}`, () => {
      const files = healthyLogs();
      files['ev-emulator.log']!.push(
        ev2PlugsIntoCp2AtOneSecond,
        line(
          'ev-emulator',
          'ev-transition',
          {
            evId: 'EV2',
            chargePointId: 'cp2',
            from: 'connected_not_charging',
            to: 'not_connected',
            event: 'unplug',
            why,
            scenarioMs: 60_000,
          },
          t0 + 3_000,
        ),
        line('ev-emulator', 'scenario-step', {
          ok: true,
          step: { action: 'heal' },
          scenarioMs: 120_000,
        }),
      );
      expect(resultOf(run(files), 'liveness').pass).to.equal(holds);
    });
  }

  for (const [withStep, holds] of [
    [true, true],
    [false, false],
  ] as const) {
    it(`liveness: ${withStep ? 'a nemesis pause of the station (nemesis-step, real time) within the bound excuses' : 'without the nemesis step, FAILs'} an EV that never charged`, () => {
      const files = healthyLogs();
      // The emulator's clock: scenario ms = (real ms - t0) x 10. EV2 plugs in at 10 scenario-s
      // (t0 + 1 s real); the nemesis pauses cp2 5 real s later, inside the 20 real s bound.
      files['ev-emulator.log']!.unshift(
        line('ev-emulator', 'scenario-start', { startedAtMs: t0, speed: 10 }),
      );
      files['ev-emulator.log']!.push(
        ev2PlugsIntoCp2AtOneSecond,
        line('ev-emulator', 'scenario-step', {
          ok: true,
          step: { action: 'heal' },
          scenarioMs: 120_000,
        }),
      );
      if (withStep) {
        files['nemesis.log'] = [
          line('nemesis', 'nemesis-step', { step: { action: 'pause', node: 'cp2' } }, t0 + 6_000),
          line('nemesis', 'nemesis-step', { step: { action: 'resume', node: 'cp2' } }, t0 + 7_000),
        ];
      }
      const result = resultOf(run(files), 'liveness');
      expect(result.pass, `${result.evidence} ${result.counterexample ?? ''}`).to.equal(holds);
    });
  }

  it('liveness: an EV at a station cut off on the minority side is not owed a charge', () => {
    const files = healthyLogs();
    files['ev-emulator.log']!.push(
      line('ev-emulator', 'scenario-step', {
        ok: true,
        step: {
          action: 'partition',
          sides: [
            ['central-a', 'cp1'],
            ['central-b', 'cp2'],
          ],
        },
        scenarioMs: 5_000,
      }),
      ev2PlugsIntoCp2,
      line('ev-emulator', 'scenario-step', {
        ok: true,
        step: { action: 'heal' },
        scenarioMs: 600_000,
      }),
    );
    // Of cp1, cp2 and cp3 (cluster.json), cp2's side holds one: a minority.
    expect(resultOf(runOfThreeChargePoints(files), 'liveness').pass).to.equal(true);
  });

  it('liveness: an EV at a station cut off by `evpaxos partition` (its "faults set" line) is not owed a charge, and is again after "faults cleared"', () => {
    const cutOff = (plugAtMs: number, clearedAtMs: number) => {
      const files = healthyLogs();
      const rules = ['central-a', 'cp1', 'cp3'].map((peer) => ({
        peer,
        direction: 'both',
        action: 'drop',
      }));
      files['cp2.log']!.push(
        line('cp2', 'faults set', { rules }, t0 + 1_000),
        line('cp2', 'faults cleared', {}, t0 + clearedAtMs),
      );
      // The emulator's clock at 1x, on which EV2's plug-in at scenario 10 s is at t0 + plugAtMs.
      files['ev-emulator.log']!.unshift(
        line('ev-emulator', 'scenario-start', { startedAtMs: t0 + plugAtMs - 10_000, speed: 1 }),
      );
      files['ev-emulator.log']!.push(
        line(
          'ev-emulator',
          'ev-transition',
          {
            evId: 'EV2',
            chargePointId: 'cp2',
            from: 'not_connected',
            to: 'connected_not_charging',
            scenarioMs: 10_000,
          },
          t0 + plugAtMs,
        ),
        // Past EV2's bound, before EV4's (healthyLogs: it plugs in at 95 s and never charges).
        line('ev-emulator', 'scenario-step', {
          ok: true,
          step: { action: 'heal' },
          scenarioMs: 60_000,
        }),
      );
      return resultOf(runOfThreeChargePoints(files), 'liveness');
    };
    const cut = cutOff(2_000, 600_000);
    expect(cut.pass, `plugged in while cut off: ${cut.evidence} ${cut.counterexample}`).to.equal(
      true,
    );
    const healed = cutOff(60_000, 30_000);
    expect(healed.pass, 'plugged in after the rules were cleared').to.equal(false);
    expect(healed.counterexample).to.match(/^EV2 plugged into cp2 .* and never charged\.$/);
  });

  it('registration (planted bug: a station rejected at boot): FAILs when it is never accepted afterwards', () => {
    const files = healthyLogs();
    files['central-a.log']!.push(
      line('central-a', 'boot-rejected', {
        chargePointId: 'cp3',
        reason: 'the site is built for 2 charge points',
      }),
    );
    files['cp1.log']!.push(line('cp1', 'charge-point-started'), line('cp1', 'boot-accepted'));
    files['cp3.log'] = [
      line('cp3', 'ready'),
      line('cp3', 'charge-point-started'),
      line('cp3', 'boot-not-accepted', { chargePointId: 'cp3', status: 'Rejected' }),
    ];
    const dir = run(files);
    const result = resultOf(dir, 'registration');
    expect(result.pass).to.equal(false);
    expect(result.counterexample).to.match(
      /^cp3 was refused at boot \(central-a\.log:\d+: the site is built for 2 charge points\) and never accepted afterwards\.$/,
    );
    expect(verifyDir(dir).pass).to.equal(false);
    // The retry (B02.FR.02) that is accepted later clears it.
    files['cp3.log'].push(line('cp3', 'boot-accepted', { chargePointId: 'cp3' }));
    expect(resultOf(run(files), 'registration').pass).to.equal(true);
  });

  describe('the command', () => {
    it('prints one PASS line per property and exits 0 on a healthy run', () => {
      const out = spawnSync(process.execPath, [bin, 'verify', run(healthyLogs(), 44_000)], {
        encoding: 'utf8',
      });
      expect(out.status, out.stderr).to.equal(0);
      expect(out.stdout.split('\n').filter((l) => l.startsWith('PASS'))).to.have.length(6);
      const vacuous = out.stdout.split('\n').filter((l) => l.startsWith('VACUOUS'));
      expect(vacuous.map((l) => l.split(/ +/)[1])).to.deep.equal([
        'durability',
        'reservation-overlap',
        'configuration',
        'registration',
      ]);
      for (const l of vacuous) expect(l).to.match(/^VACUOUS {2}\S+ +vacuous: /);
      expect(out.stdout).to.include('1 non-JSON lines skipped');
    });

    it('prints FAIL with the counterexample and exits 1 when a property is broken', () => {
      const files = healthyLogs();
      files['central-a.log']!.push(decided('central-a', 5, [cmd('cp2', 1)]));
      const out = spawnSync(process.execPath, [bin, 'verify', run(files)], { encoding: 'utf8' });
      expect(out.status).to.equal(1);
      expect(out.stdout).to.match(/FAIL {2}exactly-once/);
      expect(out.stdout).to.include('first counterexample: central-a applied cp2#1 twice');
    });

    it('exits 2 with one sentence when the dir has no logs', () => {
      const out = spawnSync(
        process.execPath,
        [bin, 'verify', path.join(os.tmpdir(), 'no-such-evpaxos-run')],
        { encoding: 'utf8' },
      );
      expect(out.status).to.equal(2);
      expect(out.stderr).to.match(
        /^evpaxos verify: No logs to verify: .* cannot be read \(ENOENT\)\./,
      );
    });
  });
});

// The demo's live timeline prints in scenario-time order even when the logs of different
// processes are read one after the other (the emulator's [2:00] used to come before a charge
// point's [1:59]), and places a line without scenarioMs by its own timestamp against the
// scenario start as logged, not as read. The lease the demo picks scales with its speed.
import { expect } from 'chai';
import { demoLeaseMs } from '../src/commands/demo';
import { Timeline } from '../src/demo/timeline';

const start = Date.parse('2026-12-04T12:00:00.000Z');
const iso = (realMs: number) => new Date(start + realMs).toISOString();

describe('demo timeline', () => {
  it('prints lines from different logs in scenario-time order', () => {
    const printed: string[] = [];
    const timeline = new Timeline(10, 44_000, (line) => printed.push(line));
    timeline.accept({
      source: 'ev-emulator',
      record: { message: 'scenario-start', timestamp: iso(0), scenarioMs: 0 },
    });
    // Read first: the emulator's line at scenario 2:00 (12 s real at 10×).
    timeline.accept({
      source: 'ev-emulator',
      record: {
        message: 'ev-transition',
        timestamp: iso(12_000),
        scenarioMs: 120_000,
        evId: 'EV2',
        chargePointId: 'cp2',
        from: 'not_connected',
        to: 'connected_not_charging',
      },
    });
    // Read next: cp1's line written at 11.9 s real = scenario 1:59.
    timeline.accept({
      source: 'cp1',
      record: {
        message: 'evse-transition',
        timestamp: iso(11_900),
        chargePointId: 'cp1',
        from: 'charging',
        to: 'endSession',
        event: 'unplug',
      },
    });
    timeline.flush(Date.now(), 0);
    expect(printed.map((line) => line.slice(0, 7))).to.deep.equal(['[ 1:59]', '[ 2:00]']);
  });

  it('holds lines for the hold time, then prints them', () => {
    const printed: string[] = [];
    const timeline = new Timeline(1, 44_000, (line) => printed.push(line));
    timeline.accept({
      source: 'ev-emulator',
      record: { message: 'scenario-step', timestamp: iso(0), scenarioMs: 0, step: { x: 1 } },
    });
    timeline.flush(Date.now(), 60_000);
    expect(printed).to.deep.equal([]);
    timeline.flush(Date.now() + 60_000, 60_000);
    expect(printed).to.have.length(1);
  });

  it("prints each decided slot once, from a central's record, at the time it was applied", () => {
    const printed: string[] = [];
    const timeline = new Timeline(10, 44_000, (line) => printed.push(line));
    timeline.accept({
      source: 'ev-emulator',
      record: { message: 'scenario-start', timestamp: iso(0), scenarioMs: 0 },
    });
    const startSession = [['cp1/x', 1, 'StartSession']];
    const renew = [['cp2', 4, 'RenewLeases']];
    // A charge point's record comes first: digests only, nothing to print from it yet.
    timeline.accept({
      source: 'cp1',
      record: {
        message: 'decided',
        timestamp: iso(12_000),
        atMs: start + 12_000,
        slots: [[5, '2.central-a', 'abc', 1, 900, []]],
      },
    });
    // The central's record of a second: slot 5 applied at 11.1 s real (1:51), slot 6 a renewal.
    timeline.accept({
      source: 'central-a',
      record: {
        message: 'decided',
        timestamp: iso(12_000),
        atMs: start + 12_000,
        slots: [
          [5, '2.central-a', 'abc', 1, 900, [], startSession],
          [6, '2.central-a', 'def', 1, 100, [], renew],
        ],
      },
    });
    timeline.accept({
      source: 'cp1',
      record: {
        message: 'evse-transition',
        timestamp: iso(11_500),
        chargePointId: 'cp1',
        from: 'charging',
        to: 'endSession',
        event: 'unplug',
      },
    });
    timeline.flush(Date.now(), 0);
    expect(printed).to.deep.equal([
      '[ 1:51]   slot    5 ballot 2.central-a  StartSession',
      '[ 1:55]   cp1  EVSE charging → endSession  (unplug)',
    ]);
    expect([timeline.decisions, timeline.leaseRenewals]).to.deep.equal([2, 1]);
  });

  it('scales the lease with the speed: 30 s of scenario time, never under 3 s real', () => {
    expect(demoLeaseMs(1)).to.equal(30_000);
    expect(demoLeaseMs(5)).to.equal(6_000);
    expect(demoLeaseMs(10)).to.equal(3_000);
    expect(demoLeaseMs(600)).to.equal(3_000);
    expect(demoLeaseMs(10, 12_000)).to.equal(12_000);
  });
});

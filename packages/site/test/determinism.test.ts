import { expect } from 'chai';
import type { Command } from '@evpaxos/paxos';
import type { SiteCommand } from '../src';
import { applySiteCommand, createSiteState, createSiteStateMachine } from '../src';
import { MINUTE_MS, T0, needs, register, start } from './helpers';

const history: SiteCommand[] = [
  register('cp1'),
  register('cp2'),
  {
    type: 'RenewLeases',
    atMs: T0 + 1,
    renewals: [{ chargePointId: 'cp1', heldLeaseExpiresAtMs: null }],
  },
  start('tx1', 'cp1', 1, T0 + 2),
  needs('tx1', T0 + 3, 20_000, 1_400, 11_000, T0 + 60 * MINUTE_MS),
  start('tx1', 'cp2', 1, T0 + 4), // rejected: transaction-exists
  {
    type: 'Reserve',
    atMs: T0 + 5,
    reservationId: 3,
    chargePointId: 'cp2',
    connectorId: 2,
    idToken: 'A',
    expiresAtMs: T0 + MINUTE_MS,
  },
  { type: 'ChargePointFaulted', atMs: T0 + 6, chargePointId: 'cp2' },
  { type: 'SetSiteLimit', atMs: T0 + 7, siteLimitW: 30_000 },
];

function asPaxosCommands(commands: readonly unknown[]): Command[] {
  return commands.map((payload, index) => ({ clientId: 'central-a', seq: index + 1, payload }));
}

describe('site state machine', () => {
  it('gives the same state and results on every replica for the same commands', () => {
    const replicas = [createSiteStateMachine(), createSiteStateMachine(), createSiteStateMachine()];
    const results = replicas.map((replica) =>
      asPaxosCommands(history).map((command, slot) => replica.apply(command, slot + 1)),
    );
    expect(results[1]).to.deep.equal(results[0]);
    expect(results[2]).to.deep.equal(results[0]);
    expect(JSON.stringify(replicas[1]?.snapshot())).to.equal(
      JSON.stringify(replicas[0]?.snapshot()),
    );
    expect(results[0]?.[5]).to.include({ ok: false, code: 'transaction-exists' });
  });

  it('matches the bare reducer step for step', () => {
    const machine = createSiteStateMachine();
    let state = createSiteState();
    for (const [slot, command] of asPaxosCommands(history).entries()) {
      const expected = applySiteCommand(state, command.payload as SiteCommand);
      state = expected.state;
      expect(machine.apply(command, slot + 1)).to.deep.equal(expected.result);
    }
    expect(machine.snapshot()).to.deep.equal(state);
  });

  it('refuses a malformed payload with invalid-command and changes nothing', () => {
    const machine = createSiteStateMachine();
    const before = machine.snapshot();
    const result = machine.apply(
      { clientId: 'x', seq: 1, payload: { type: 'Reserve', atMs: 'soon' } },
      1,
    );
    expect(result).to.include({ ok: false, code: 'invalid-command' });
    expect(machine.snapshot()).to.deep.equal(before);
  });

  it('replays a RenewLease an older build decided as the RenewLeases of its one renewal: the same state', () => {
    // Slots from before RenewLeases (docs/SITE.md, "Leases"): an accepted, a confirmed and a
    // refused (lease-not-held) single renewal, against the same renewals written as RenewLeases.
    const legacy = (atMs: number, chargePointId: string, held: number | null) => ({
      type: 'RenewLease',
      atMs,
      chargePointId,
      heldLeaseExpiresAtMs: held,
    });
    const renewals = (atMs: number, chargePointId: string, held: number | null): SiteCommand => ({
      type: 'RenewLeases',
      atMs,
      renewals: [{ chargePointId, heldLeaseExpiresAtMs: held }],
    });
    const steps: [number, string, number | null][] = [
      [T0 + 1, 'cp1', null],
      [T0 + 10_000, 'cp1', T0 + 1 + 30_000],
      [T0 + 10_001, 'cp1', T0 + 1 + 30_000],
      [T0 + 10_002, 'cp9', null],
    ];
    const old = createSiteStateMachine();
    const now = createSiteStateMachine();
    const setUp = asPaxosCommands([register('cp1'), register('cp2')]);
    setUp.forEach((command, i) => {
      old.apply(command, i + 1);
      now.apply(command, i + 1);
    });
    const results = steps.map(([atMs, id, held], i) => [
      old.apply(asPaxosCommands([legacy(atMs, id, held)])[0] as Command, i + 3),
      now.apply(asPaxosCommands([renewals(atMs, id, held)])[0] as Command, i + 3),
    ]);
    expect(old.snapshot()).to.deep.equal(now.snapshot());
    expect(old.state.chargePoints['cp1']?.lease).to.deep.include({ confirmed: true });
    expect(results.map(([a, b]) => [a?.ok, b?.ok])).to.deep.equal([
      [true, true],
      [true, true],
      [false, false],
      [false, false],
    ]);
    expect(results[2]?.[0]).to.deep.equal(results[2]?.[1]);
  });

  it('round-trips a snapshot: a restored replica continues exactly like the original', () => {
    const original = createSiteStateMachine();
    const commands = asPaxosCommands(history);
    commands.slice(0, 5).forEach((command, i) => original.apply(command, i + 1));
    const snapshot = original.snapshot();
    const restored = createSiteStateMachine();
    restored.restore(JSON.parse(JSON.stringify(snapshot)));
    expect(restored.snapshot()).to.deep.equal(snapshot);
    const rest = commands.slice(5);
    const a = rest.map((command, i) => original.apply(command, i + 6));
    const b = rest.map((command, i) => restored.apply(command, i + 6));
    expect(b).to.deep.equal(a);
    expect(restored.snapshot()).to.deep.equal(original.snapshot());
  });

  it('hands out deep copies: changing a snapshot does not change the replica', () => {
    const machine = createSiteStateMachine();
    machine.apply({ clientId: 'c', seq: 1, payload: register('cp1') }, 1);
    const snapshot = machine.snapshot();
    delete snapshot.chargePoints['cp1'];
    expect(machine.state.chargePoints['cp1']).to.not.equal(undefined);
    const restoredFrom = machine.snapshot();
    machine.restore(restoredFrom);
    restoredFrom.siteLimitW = 1;
    expect(machine.state.siteLimitW).to.equal(44_000);
  });

  it('refuses bad options at construction, one sentence per rule', () => {
    expect(() => createSiteStateMachine({ schedulePeriodsMax: 4 })).to.throw(
      RangeError,
      /schedulePeriodsMax/,
    );
    expect(() => createSiteStateMachine({ leaseMs: 1_000, clockSkewMsMax: 500 })).to.throw(/twice/);
    expect(() => createSiteStateMachine({ siteLimitW: 0 })).to.throw(/siteLimitW/);
  });
});

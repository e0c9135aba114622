// `evpaxos reserve` and `evpaxos submit` against a real cluster (OS processes, TCP): a reservation
// for a window prints its slot and exits 0; an overlapping one on the same connector is decided in
// a later slot, refused by the replicated state with the reason, and exits 1; a window that only
// touches it is accepted; every central logs the changes and `evpaxos verify` checks them. A
// submitted command the site refuses exits 1 too.
import { expect } from 'chai';
import { parseWhen } from '../src/commands/reserve';
import { readLogDir, verifyDir } from '../src/verify';
import { runCli, useClusters, waitFor } from './cluster-harness';

const cli = runCli;

describe('evpaxos reserve (real cluster)', function () {
  this.timeout(240_000);
  const clusters = useClusters();

  it('accepts a window, refuses an overlapping one in a later slot with the reason, exits 1', async () => {
    const cluster = await clusters.up('reserve', { centrals: 2, chargePoints: 3 });
    // cp2 registers over OCPP after boot: until then the site refuses with unknown-charge-point.
    const first = await waitFor('cp2 registered', 90_000, async () => {
      const reply = await cli(cluster, [
        'reserve',
        'cp2',
        '--from',
        '+2m',
        '--to',
        '+10m',
        '--token',
        'ALICE',
        '--id',
        '7',
      ]);
      return /unknown-charge-point|submit-timeout|no answer/.test(reply.stdout + reply.stderr)
        ? undefined
        : reply;
    });
    expect(first.code, first.stdout + first.stderr).to.equal(0);
    const accepted = /^accepted in slot (\d+): reservation 7 cp2\/1 for ALICE /.exec(first.stdout);
    expect(accepted, first.stdout).to.not.equal(null);

    const second = await cli(cluster, [
      'reserve',
      'cp2',
      '--from',
      '+5m',
      '--to',
      '+15m',
      '--token',
      'BOB',
      '--id',
      '8',
    ]);
    expect(second.code, second.stdout + second.stderr).to.equal(1);
    const refused =
      /^refused in slot (\d+): connector-reserved: connector cp2\/1 is held by reservation 7 from /.exec(
        second.stdout,
      );
    expect(refused, second.stdout).to.not.equal(null);
    expect(Number(refused![1])).to.be.greaterThan(Number(accepted![1]));

    const list = await cli(cluster, ['reserve', '--list', '--json']);
    const held = JSON.parse(list.stdout) as {
      reservationId: number;
      startsAtMs: number;
      expiresAtMs: number;
    }[];
    expect(held.map((r) => r.reservationId)).to.deep.equal([7]);
    // A window from the end of 7: [from, to) windows that touch do not overlap.
    const touching = await cli(cluster, [
      'reserve',
      'cp2',
      '--from',
      new Date(held[0]!.expiresAtMs).toISOString(),
      '--to',
      '+20m',
      '--token',
      'BOB',
      '--id',
      '9',
    ]);
    expect(touching.code, touching.stdout + touching.stderr).to.equal(0);

    const cancel = await cli(cluster, ['reserve', '--cancel', '7']);
    expect(cancel.code, cancel.stdout + cancel.stderr).to.equal(0);
    const again = await cli(cluster, ['reserve', '--cancel', '7']);
    expect(again.code).to.equal(1);
    expect(again.stdout).to.match(/unknown-reservation/);

    const badInput = await cli(cluster, [
      'reserve',
      'cp2',
      '--from',
      'soon',
      '--to',
      '+1m',
      '--token',
      'X',
    ]);
    expect(badInput.code).to.equal(2);
    expect(badInput.stderr).to.match(/"soon" is not a time/);

    const refusedSubmit = await cli(cluster, [
      'submit',
      '{"type":"CancelReservation","reservationId":12345}',
    ]);
    expect(refusedSubmit.code, refusedSubmit.stdout + refusedSubmit.stderr).to.equal(1);
    expect(refusedSubmit.stdout).to.match(/"ok":false/);
    expect(refusedSubmit.stderr).to.match(/refused in slot \d+: unknown-reservation/);

    await waitFor('reservation lines on both centrals', 30_000, () => {
      const lines = readLogDir(cluster.dir).lines.filter((line) => line.message === 'reservation');
      const nodes = new Set(lines.filter((l) => l.fields.event === 'cancelled').map((l) => l.node));
      return nodes.size === 2 ? true : undefined;
    });
    const overlap = verifyDir(cluster.dir).results.find(
      (r) => r.property === 'reservation-overlap',
    );
    expect(overlap?.pass, overlap?.counterexample).to.equal(true);
    expect(overlap?.evidence).to.match(/^2 reservations agreed, 1 cancelled/);
  });

  it('parses the times users type', () => {
    const now = new Date(2026, 11, 4, 13, 30, 0).getTime();
    expect(parseWhen('now', now, now)).to.equal(now);
    expect(parseWhen('+10m', now, now)).to.equal(now + 600_000);
    expect(parseWhen('14:00', now, now)).to.equal(new Date(2026, 11, 4, 14, 0, 0).getTime());
    const from = new Date(2026, 11, 4, 23, 0, 0).getTime();
    expect(parseWhen('01:00', now, from), 'a --to before --from is the next day').to.equal(
      new Date(2026, 11, 5, 1, 0, 0).getTime(),
    );
    expect(() => parseWhen('25:00', now, now)).to.throw(/is not a time/);
  });
});

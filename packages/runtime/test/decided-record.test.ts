// The "decided" record (docs/CLUSTER.md, "The decided record"): the applied ring writes one line
// for the slots applied since the last, the centrals with every command, the charge points with a
// digest, and the reader gives back one record per slot, the per-slot lines of earlier versions too.
import { expect } from 'chai';
import { reconfigurationPayloadType, type AppliedEntry } from '@evpaxos/paxos';
import { AppliedLog, type DecidedRecordSink } from '../src/applied-log';
import { commandsDigest, decidedSlotsOf } from '../src/decided-record';

const ballot = { round: 3, proposerId: 'central-a' };

function entry(slot: number, commands: [string, number, unknown, boolean?][]): AppliedEntry {
  return {
    slot,
    ballot,
    commands: commands.map(([clientId, seq, payload, duplicate]) => ({
      command: { clientId, seq, payload },
      result: null,
      duplicate: duplicate === true,
    })),
  };
}

/** An AppliedLog whose record lines are collected; a long interval unless said otherwise. */
function recorded(fullCommands: boolean, capacity = 100, intervalMs = 60_000) {
  const lines: Record<string, unknown>[] = [];
  const sink: DecidedRecordSink = {
    write: (fields) => lines.push(fields),
    fullCommands,
    intervalMs,
  };
  return { log: new AppliedLog(capacity, Number.MAX_SAFE_INTEGER, sink), lines };
}

const start = { type: 'StartSession' };

describe('decided record', () => {
  it('a central writes the slots since its last line as one line, with every command', () => {
    const { log, lines } = recorded(true);
    log.push(entry(0, [['cp1', 1, start]]), 1_000);
    log.push(entry(1, []), 1_010);
    log.push(
      entry(2, [
        ['cp1', 1, start, true],
        ['opaque', 7, 'x'],
      ]),
      1_020,
    );
    expect(lines).to.deep.equal([]);
    log.writeRecord();
    expect(lines).to.have.length(1);
    const slots = decidedSlotsOf(lines[0]!, null);
    const atMs = lines[0]!.atMs as number;
    expect(slots.map(({ slot, count, duplicates }) => ({ slot, count, duplicates }))).to.deep.equal(
      [
        { slot: 0, count: 1, duplicates: [] },
        { slot: 1, count: 0, duplicates: [] },
        { slot: 2, count: 2, duplicates: [0] },
      ],
    );
    expect(slots.map((slot) => slot.atMs)).to.deep.equal([1_000, 1_010, 1_020]);
    expect(slots[0]!.ballot).to.deep.equal(ballot);
    expect(slots[2]!.commands).to.deep.equal([
      { clientId: 'cp1', seq: 1, type: 'StartSession' },
      { clientId: 'opaque', seq: 7, type: null },
    ]);
    expect(slots[2]!.digest).to.equal(commandsDigest(slots[2]!.commands!));
    expect(atMs).to.be.a('number');
    log.writeRecord();
    expect(lines, 'nothing new: no line').to.have.length(1);
    // GET /log reads the same ring.
    expect(log.read(0, 10).map((read) => read.slot)).to.deep.equal([0, 1, 2]);
  });

  it("a charge point writes the digest only, equal to a central's for the same commands", () => {
    const central = recorded(true);
    const chargePoint = recorded(false);
    for (const { log } of [central, chargePoint]) {
      log.push(entry(4, [['cp2', 9, { type: 'RenewLease' }]]));
      log.writeRecord();
    }
    const [mine] = decidedSlotsOf(chargePoint.lines[0]!, null);
    const [theirs] = decidedSlotsOf(central.lines[0]!, null);
    expect(mine!.commands).to.equal(undefined);
    expect(mine!.digest).to.equal(theirs!.digest);
    const other = commandsDigest([{ clientId: 'cp2', seq: 10, type: 'RenewLease' }]);
    expect(other).to.not.equal(mine!.digest);
    expect(JSON.stringify(chargePoint.lines[0]).length).to.be.lessThan(
      JSON.stringify(central.lines[0]).length,
    );
  });

  it('writes within the interval on its own, at once for a membership change', async () => {
    const { log, lines } = recorded(false, 100, 20);
    log.push(entry(0, [['cp1', 1, start]]));
    for (let waitedMs = 0; lines.length === 0 && waitedMs < 10_000; waitedMs += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(lines).to.have.length(1);
    const slow = recorded(false);
    slow.log.push(entry(0, [['cp1', 1, start]]));
    slow.log.push(entry(1, [['central-a', 2, { type: reconfigurationPayloadType }]]));
    expect(slow.lines).to.have.length(1);
    expect(decidedSlotsOf(slow.lines[0]!, null).map((slot) => slot.slot)).to.deep.equal([0, 1]);
  });

  it('writes a line at slotsMax slots (a catch-up), each slot once', () => {
    const lines: Record<string, unknown>[] = [];
    const sink = { write: (fields: Record<string, unknown>) => lines.push(fields) };
    const log = new AppliedLog(100, 1_000, {
      ...sink,
      fullCommands: false,
      intervalMs: 60_000,
      slotsMax: 3,
    });
    for (const slot of [0, 1, 2, 3, 4, 5, 6]) log.push(entry(slot, []));
    expect(lines.map((line) => (line.slots as unknown[]).length)).to.deep.equal([3, 3]);
    log.writeRecord();
    const slots = lines.flatMap((line) => decidedSlotsOf(line, null).map((slot) => slot.slot));
    expect(slots).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
  });

  it('writes the unwritten slots before the ring drops one', () => {
    const { log, lines } = recorded(false, 2);
    for (const slot of [0, 1, 2, 3, 4]) log.push(entry(slot, [['c', slot, start]]));
    log.writeRecord();
    const slots = lines.flatMap((line) => decidedSlotsOf(line, null).map((slot) => slot.slot));
    expect(slots).to.deep.equal([0, 1, 2, 3, 4]);
  });

  it('the digest is cyrb53 of the text clientId#seq#type, a line per command (docs/CLUSTER.md)', () => {
    // The reference: cyrb53 as published, over the whole text at once.
    const cyrb53 = (text: string) => {
      let h1 = 0xdeadbeef;
      let h2 = 0x41c6ce57;
      for (let i = 0; i < text.length; i += 1) {
        const code = text.charCodeAt(i);
        h1 = Math.imul(h1 ^ code, 2654435761);
        h2 = Math.imul(h2 ^ code, 1597334677);
      }
      h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
      h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
      return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
    };
    const commands = [
      { clientId: 'central-a/5e0c', seq: 17, type: 'StartSession' },
      { clientId: 'bench-é', seq: 0, type: null },
    ];
    expect(commandsDigest(commands)).to.equal(
      cyrb53('central-a/5e0c#17#StartSession\nbench-é#0#\n'),
    );
    expect(commandsDigest([])).to.equal(cyrb53(''));
  });

  it('reads the per-slot line of earlier versions', () => {
    const [slot] = decidedSlotsOf(
      {
        slot: 7,
        ballot,
        commands: [{ clientId: 'cp1', seq: 1, duplicate: true, type: 'StartSession' }],
      },
      5_000,
    );
    expect(slot).to.deep.include({ slot: 7, ballot, count: 1, atMs: 5_000, duplicates: [0] });
    expect(slot!.digest).to.equal(
      commandsDigest([{ clientId: 'cp1', seq: 1, type: 'StartSession' }]),
    );
  });
});

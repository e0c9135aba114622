// `evpaxos verify`'s reservation-overlap property: it passes on a healthy history (a window
// cancelled, consumed or replaced before an overlapping one is agreed) and catches a planted
// double booking, pointing at both log lines.
import { expect } from 'chai';
import { checkReservationOverlap } from '../src/verify/reservation-overlap';
import type { LogLine } from '../src/verify/log-reader';

const H = 3_600_000;
let lineNumber = 0;

function reservation(node: string, fields: Record<string, unknown>): LogLine {
  lineNumber += 1;
  return {
    file: `${node}.log`,
    lineNumber,
    node,
    message: 'reservation',
    timestampMs: null,
    fields,
  };
}

function agreed(
  node: string,
  slot: number,
  reservationId: number,
  fromH: number,
  toH: number,
  chargePointId = 'cp3',
): LogLine {
  return reservation(node, {
    event: 'agreed',
    slot,
    reservationId,
    chargePointId,
    connectorId: 1,
    idToken: 'T',
    startsAtMs: fromH * H,
    expiresAtMs: toH * H,
  });
}

describe('verify: reservation-overlap', () => {
  it('passes when every overlapping window was agreed after the other ended', () => {
    const lines = [
      agreed('central-a', 3, 1, 14, 15),
      agreed('central-b', 3, 1, 14, 15), // the other central's record of the same slot
      reservation('central-a', { event: 'cancelled', slot: 5, reservationId: 1 }),
      agreed('central-a', 6, 2, 14, 15),
      reservation('central-b', { event: 'consumed', slot: 8, reservationId: 2 }),
      agreed('central-b', 9, 3, 14, 16),
      agreed('central-a', 10, 3, 15, 16), // the same id replaces its own reservation
      agreed('central-a', 11, 4, 14, 15), // adjacent: [14, 15) and [15, 16) do not overlap
      agreed('central-a', 12, 5, 14, 16, 'cp4'), // another charge point
    ];
    const result = checkReservationOverlap(lines);
    expect(result.pass, result.counterexample).to.equal(true);
    expect(result.evidence).to.match(/^6 reservations agreed, 2 cancelled, consumed or removed/);
  });

  it('fails on two held reservations of one connector whose windows overlap', () => {
    const lines = [
      agreed('central-a', 3, 1, 14, 15),
      reservation('central-a', { event: 'cancelled', slot: 4, reservationId: 9 }),
      agreed('central-b', 7, 2, 14.5, 16),
    ];
    const result = checkReservationOverlap(lines);
    expect(result.pass).to.equal(false);
    expect(result.counterexample).to.match(
      /cp3\/1: reservation 2 .* slot 7 \(central-b\.log:\d+\) overlaps reservation 1 .* slot 3/,
    );
  });

  it('is vacuous, and says so, without reservation lines', () => {
    const result = checkReservationOverlap([]);
    expect(result).to.include({ pass: true });
    expect(result.evidence).to.match(/vacuous/);
  });
});

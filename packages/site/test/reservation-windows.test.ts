// Reservations for a time window: two reservations of one connector whose windows overlap are
// never both accepted (the later is refused by the replicated state), a window holds its connector
// only while open, and expiry, cancellation, consumption and faults free it. The property runs
// random interleavings of reserve / cancel / expire / start / stop / fault and checks every
// accepted Reserve against a ledger kept from the results alone, not from the reducer's state.
import { expect } from 'chai';
import fc from 'fast-check';
import type { SiteCommand, SiteState } from '../src';
import { applySiteCommand, createSiteState } from '../src';
import { MINUTE_MS, T0, register, reserve, run, start, step } from './helpers';

const CHARGE_POINTS = ['cp1', 'cp2'];

function windowed(
  reservationId: number,
  chargePointId: string,
  idToken: string,
  startsAtMs: number,
  expiresAtMs: number,
  atMs = T0,
): SiteCommand {
  return { ...reserve(reservationId, chargePointId, 1, idToken, expiresAtMs, atMs), startsAtMs };
}

describe('Reserve with a time window', () => {
  const base = (): SiteState => run(createSiteState(), [register('cp1')]);
  const at = (minutes: number): number => T0 + minutes * MINUTE_MS;

  it('accepts a window ahead and refuses an overlapping one on the same connector', () => {
    const [afterFirst, first] = step(base(), windowed(1, 'cp1', 'A', at(60), at(120)));
    expect(first.ok).to.equal(true);
    const [, second] = step(afterFirst, windowed(2, 'cp1', 'B', at(90), at(150), at(1)));
    expect(second).to.include({ ok: false, code: 'connector-reserved' });
    expect((second as { reason: string }).reason).to.match(/reservation 1 from .* to /);
    const [, adjacent] = step(afterFirst, windowed(3, 'cp1', 'B', at(120), at(150), at(1)));
    expect(adjacent.ok, 'a window that starts when the other ends does not overlap').to.equal(true);
  });

  it('refuses an empty window before it is proposed and reports the window it holds', () => {
    const [, empty] = step(base(), windowed(1, 'cp1', 'A', at(60), at(60)));
    expect(empty).to.include({ ok: false, code: 'reservation-window-empty' });
    const [, past] = step(base(), windowed(2, 'cp1', 'A', at(-30), at(30)));
    expect(past).to.deep.include({
      ok: true,
      reservationWindow: { startsAtMs: T0, expiresAtMs: at(30) },
    });
  });

  it('blocks another idToken only while the window is open, and expiry frees it', () => {
    const reserved = run(base(), [windowed(1, 'cp1', 'A', at(10), at(20))]);
    const [beforeWindow, early] = step(reserved, start('t1', 'cp1', 1, at(5), 'B'));
    expect(early.ok, 'before the window opens the connector is free').to.equal(true);
    expect(beforeWindow.reservations['1']).to.not.equal(undefined);
    const [, during] = step(reserved, start('t2', 'cp1', 1, at(15), 'B'));
    expect(during).to.include({ ok: false, code: 'connector-reserved' });
    const [consumed, holder] = step(reserved, start('t3', 'cp1', 1, at(15), 'A'));
    expect(holder).to.include({ ok: true, reservationId: 1 });
    expect(consumed.reservations).to.deep.equal({});
    const [expired] = step(reserved, { type: 'Noop', atMs: at(20) });
    expect(expired.reservations, 'gone at its end').to.deep.equal({});
  });

  it('a session on the connector blocks a window that opens now, not one that opens later', () => {
    const busy = run(base(), [start('t1', 'cp1', 1, T0, 'X')]);
    const [, now] = step(busy, windowed(1, 'cp1', 'A', T0, at(30)));
    expect(now).to.include({ ok: false, code: 'connector-occupied' });
    const [, later] = step(busy, windowed(2, 'cp1', 'A', at(60), at(90)));
    expect(later.ok).to.equal(true);
  });

  it('property: no double booking over random reserve / cancel / expire / start / stop / fault', () => {
    const stepArbitrary = fc.record({
      kind: fc.constantFrom(
        'reserve',
        'reserve',
        'reserve',
        'cancel',
        'expire',
        'start',
        'stop',
        'fault',
        'recover',
      ),
      chargePoint: fc.nat({ max: CHARGE_POINTS.length - 1 }),
      connector: fc.integer({ min: 1, max: 2 }),
      id: fc.nat({ max: 6 }),
      token: fc.nat({ max: 2 }),
      startInMin: fc.integer({ min: -5, max: 90 }),
      lengthMin: fc.integer({ min: 0, max: 60 }),
      elapsedMin: fc.integer({ min: 0, max: 20 }),
    });
    fc.assert(
      fc.property(fc.array(stepArbitrary, { minLength: 1, maxLength: 60 }), (steps) => {
        let state = run(
          createSiteState(),
          CHARGE_POINTS.map((id) => register(id)),
        );
        let now = T0;
        /** Accepted reservations not yet cancelled, consumed, removed or replaced: the ledger. */
        const ledger = new Map<number, { key: string; startsAtMs: number; expiresAtMs: number }>();
        let transactions = 0;
        for (const s of steps) {
          const chargePointId = CHARGE_POINTS[s.chargePoint]!;
          const key = `${chargePointId}/${s.connector}`;
          let command: SiteCommand;
          switch (s.kind) {
            case 'reserve':
              command = {
                type: 'Reserve',
                atMs: now,
                reservationId: s.id,
                chargePointId,
                connectorId: s.connector,
                idToken: `tok${s.token}`,
                startsAtMs: now + s.startInMin * MINUTE_MS,
                expiresAtMs: now + (s.startInMin + s.lengthMin) * MINUTE_MS,
              };
              break;
            case 'cancel':
              command = { type: 'CancelReservation', atMs: now, reservationId: s.id };
              break;
            case 'expire':
              now += s.elapsedMin * MINUTE_MS;
              command = { type: 'Noop', atMs: now };
              break;
            case 'start':
              transactions += 1;
              command = start(`t${transactions}`, chargePointId, s.connector, now, `tok${s.token}`);
              break;
            case 'stop':
              command = {
                type: 'StopSession',
                atMs: now,
                transactionId: `t${1 + (s.id % Math.max(1, transactions))}`,
              };
              break;
            case 'fault':
              command = {
                type: 'ChargePointFaulted',
                atMs: now,
                chargePointId,
                connectorId: s.connector,
              };
              break;
            default:
              command = { type: 'ChargePointRecovered', atMs: now, chargePointId };
          }
          const next = applySiteCommand(state, command);
          const result = next.result;
          if (command.type === 'Reserve') {
            const window = {
              startsAtMs: Math.max(command.startsAtMs ?? now, now),
              expiresAtMs: command.expiresAtMs,
            };
            const clash = [...ledger].find(
              ([id, held]) =>
                id !== command.reservationId &&
                held.key === key &&
                held.startsAtMs < window.expiresAtMs &&
                window.startsAtMs < held.expiresAtMs,
            );
            if (result.ok) {
              expect(
                clash,
                `double booking: ${JSON.stringify(command)} over ${JSON.stringify(clash)}`,
              ).to.equal(undefined);
              expect(result.reservationWindow).to.deep.equal(window);
              ledger.set(command.reservationId, { key, ...window });
            } else if (result.code === 'connector-reserved') {
              expect(clash, `refused without a clash: ${result.reason}`).to.not.equal(undefined);
            }
          }
          if (result.ok) {
            if (command.type === 'CancelReservation') ledger.delete(command.reservationId);
            if (result.reservationId !== undefined) ledger.delete(result.reservationId);
            for (const id of result.removedReservationIds ?? []) ledger.delete(id);
          }
          state = next.state;
          // At any instant a connector has at most one open window in the agreed state.
          const open = Object.values(state.reservations).filter(
            (r) => r.startsAtMs <= now && now < r.expiresAtMs,
          );
          const keys = open.map((r) => `${r.chargePointId}/${r.connectorId}`);
          expect(new Set(keys).size, 'two open windows on one connector').to.equal(keys.length);
        }
      }),
      { numRuns: 300 },
    );
  });
});

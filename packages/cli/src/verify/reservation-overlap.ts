/**
 * 5b. No overlapping reservations: two reservations of one connector accepted by the replicated
 * state never hold it over the same instant. Evidence: the centrals' "reservation" lines (one per
 * change the agreed state makes, docs/SITE.md): `agreed` with the window the state holds, and
 * `cancelled` / `consumed` (a session took it, H03) / `removed` (a fault, H01.FR.16) that end one.
 * Lines of every central are merged by slot (a slot's command is the same everywhere, so one
 * central's record fills a gap in another's, e.g. after a snapshot install). An expired
 * reservation needs no line: a window agreed after it ends starts at or after that end.
 */
import { where, type LogLine } from './log-reader';
import type { PropertyResult } from './properties';

interface Held {
  readonly connector: string;
  readonly startsAtMs: number;
  readonly expiresAtMs: number;
  readonly line: LogLine;
}

/** One change per (slot, event, reservation), in slot order; repeats from other centrals dropped. */
function reservationChanges(lines: readonly LogLine[]): LogLine[] {
  const seen = new Set<string>();
  const changes: LogLine[] = [];
  for (const line of lines) {
    if (line.message !== 'reservation' || typeof line.fields.slot !== 'number') continue;
    const key = `${line.fields.slot}/${String(line.fields.event)}/${String(line.fields.reservationId)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    changes.push(line);
  }
  // Stable: the changes of one slot keep the order their central logged them in.
  return changes.sort((a, b) => (a.fields.slot as number) - (b.fields.slot as number));
}

export function checkReservationOverlap(lines: readonly LogLine[]): PropertyResult {
  const held = new Map<string, Held>();
  let agreed = 0;
  let ended = 0;
  let counterexample: string | undefined;
  for (const line of reservationChanges(lines)) {
    const id = String(line.fields.reservationId);
    if (line.fields.event !== 'agreed') {
      if (held.delete(id)) ended += 1;
      continue;
    }
    agreed += 1;
    const window = {
      connector: `${String(line.fields.chargePointId)}/${String(line.fields.connectorId)}`,
      startsAtMs: Number(line.fields.startsAtMs),
      expiresAtMs: Number(line.fields.expiresAtMs),
      line,
    };
    for (const [otherId, other] of held) {
      if (
        otherId !== id &&
        other.connector === window.connector &&
        other.startsAtMs < window.expiresAtMs &&
        window.startsAtMs < other.expiresAtMs
      ) {
        counterexample ??= `${window.connector}: reservation ${id} [${window.startsAtMs}, ${window.expiresAtMs}) agreed in slot ${String(line.fields.slot)} (${where(line)}) overlaps reservation ${otherId} [${other.startsAtMs}, ${other.expiresAtMs}) agreed in slot ${String(other.line.fields.slot)} (${where(other.line)}), still held.`;
      }
    }
    // H01.FR.02: the same id again replaces that reservation.
    held.set(id, window);
  }
  const evidence = `${agreed} reservations agreed, ${ended} cancelled, consumed or removed`;
  if (counterexample !== undefined) {
    return {
      property: 'reservation-overlap',
      pass: false,
      evidence: `${evidence}.`,
      counterexample,
    };
  }
  // A run with no reservation proves nothing about overlap: say vacuous, never PASS.
  if (agreed === 0) {
    return {
      property: 'reservation-overlap',
      pass: true,
      vacuous: true,
      evidence: 'vacuous: no "reservation" lines, nothing to check.',
    };
  }
  return {
    property: 'reservation-overlap',
    pass: true,
    evidence: `${evidence}: no two held one connector at once.`,
  };
}

/**
 * The properties of docs/DESIGN.md ("Properties checked everywhere"), checked on the logs of a real
 * run. Each checker is a pure function of the log lines: it returns PASS or FAIL, the evidence it
 * used (counts), and the first counterexample, pointing at the log line. Every checker has a test
 * with a planted counterexample that it must catch (test/verify.test.ts).
 */
import { checkConfiguration } from './configuration';
import {
  checkAgreement,
  checkDurability,
  checkExactlyOnce,
  checkValidity,
} from './decided-properties';
import { checkLiveness, checkRegistration } from './liveness';
import { where, type LogLine } from './log-reader';
import { checkReservationOverlap } from './reservation-overlap';

export { checkAgreement, checkDurability, checkExactlyOnce, checkValidity };

export interface PropertyResult {
  readonly property: string;
  readonly pass: boolean;
  /** One line: what was checked, how much of it. */
  readonly evidence: string;
  /** The first violation found, pointing at its log line(s). */
  readonly counterexample?: string;
  /**
   * Nothing in the logs exercised the property: it holds only because there was nothing to check.
   * Its evidence line says "vacuous", and the run fails when it should have been exercised
   * (`expectedBy`).
   */
  readonly vacuous?: boolean;
}

export interface VerifyOptions {
  /** The site limit, W (cluster.json site.siteLimitW). */
  readonly siteLimitW: number;
  /** Where the limit came from, for the evidence line. */
  readonly siteLimitSource?: string;
  /** The cluster's charge points (cluster.json), for the majority side of a partition. */
  readonly chargePointIds?: readonly string[];
}

/** EVSE states in which a charge point's connector is taken by a session. */
const evseSessionStates = new Set([
  'beginSession',
  'authentication',
  'energyNegotiation',
  'charging',
  'restartingSession',
  'endSession',
]);

/**
 * 5. No double booking: one session per connector at a time. Evidence: the charge points'
 * "evse-transition" lines (a session runs from beginSession back to waitingEV or failure, and only
 * one EV is seen in it) and the emulator's "ev-transition" lines (at most one EV plugged into a
 * charge point at a time).
 */
export function checkNoDoubleBooking(lines: readonly LogLine[]): PropertyResult {
  let counterexample: string | undefined;
  const fail = (text: string) => {
    counterexample ??= text;
  };
  // Charge point side.
  const sessions = new Map<string, { evId: string | null; line: LogLine }>();
  let sessionCount = 0;
  let evseLines = 0;
  for (const line of lines) {
    if (line.message === 'ready') {
      // A restarted charge point starts with its connector free (waitingEV).
      sessions.delete(line.node);
      continue;
    }
    if (line.message !== 'evse-transition') continue;
    evseLines += 1;
    const chargePointId =
      typeof line.fields.chargePointId === 'string' ? line.fields.chargePointId : line.node;
    const evId = typeof line.fields.evId === 'string' ? line.fields.evId : null;
    const from = String(line.fields.from);
    const to = String(line.fields.to);
    const open = sessions.get(chargePointId);
    if (from === 'waitingEV' && to === 'beginSession') {
      if (open !== undefined) {
        fail(
          `${chargePointId}: a session for ${evId ?? 'an EV'} begins (${where(line)}) while the session of ${open.evId ?? 'another EV'} is open (${where(open.line)}).`,
        );
      }
      sessions.set(chargePointId, { evId, line });
      sessionCount += 1;
      continue;
    }
    if (open !== undefined && evId !== null) {
      if (open.evId === null) open.evId = evId;
      else if (open.evId !== evId) {
        fail(
          `${chargePointId}: ${evId} appears (${where(line)}) in the session of ${open.evId} (${where(open.line)}).`,
        );
      }
    }
    if (!evseSessionStates.has(to)) sessions.delete(chargePointId);
  }
  // EV side (the emulator): plugged in = any state but not_connected.
  const plugged = new Map<string, { evId: string; line: LogLine }>();
  let visits = 0;
  let evLines = 0;
  for (const line of lines) {
    if (line.message !== 'ev-transition') continue;
    evLines += 1;
    const chargePointId = String(line.fields.chargePointId);
    const evId = String(line.fields.evId);
    const there = plugged.get(chargePointId);
    if (line.fields.from === 'not_connected') {
      if (there !== undefined && there.evId !== evId) {
        fail(
          `${chargePointId}: ${evId} plugs in (${where(line)}) while ${there.evId} is still plugged in (${where(there.line)}).`,
        );
      }
      plugged.set(chargePointId, { evId, line });
      visits += 1;
    } else if (line.fields.to === 'not_connected' && there?.evId === evId) {
      plugged.delete(chargePointId);
    }
  }
  const evidence = `${sessionCount} EVSE sessions (${evseLines} evse-transition lines), ${visits} EV visits (${evLines} ev-transition lines)`;
  if (counterexample !== undefined) {
    return { property: 'no-double-booking', pass: false, evidence: `${evidence}.`, counterexample };
  }
  return {
    property: 'no-double-booking',
    pass: true,
    ...(evseLines + evLines === 0 ? { vacuous: true } : {}),
    evidence:
      evseLines + evLines === 0
        ? 'vacuous: no evse-transition or ev-transition lines, nothing to check.'
        : `${evidence}: never two at once on one charge point.`,
  };
}

/**
 * 6. Site limit: at every "power" sample instant, the sum of every charge point's latest sampled
 * power is within the limit. A charge point's power counts until it samples again; a restart
 * ("ready") resets it to 0, because a restarted charge point has no EV session. A sample that says
 * until when it holds (`untilMs`, the charge point's next lease edge) and the site's fail-safe
 * power (`failSafeW`) counts at most that fail-safe power once `untilMs` has passed with no newer
 * sample: a live charge point re-evaluates at that edge and logs any change (and samples every
 * second while charging), so silence past it means it was killed, and the site then counts it at
 * fail-safe power and hands the rest to others (docs/SITE.md, "Leases"). A sample without those
 * fields (an older log) keeps counting its power until the next: conservative. The centrals'
 * "station-meter" lines (a station's metered Power.Active.Import) are samples of that station.
 */
export function checkSiteLimit(lines: readonly LogLine[], options: VerifyOptions): PropertyResult {
  interface Event {
    readonly atMs: number;
    readonly order: number;
    readonly chargePointId: string;
    readonly powerW: number;
    /** After this (the sample's lease edge), at most `failSafeW` counts; null: no such bound. */
    readonly untilMs: number | null;
    readonly failSafeW: number;
    readonly line: LogLine;
    readonly sample: boolean;
  }
  const events: Event[] = [];
  const chargePoints = new Set<string>();
  lines.forEach((line, order) => {
    if (line.message === 'ready' && line.timestampMs !== null && chargePoints.has(line.node)) {
      events.push({
        atMs: line.timestampMs,
        order,
        chargePointId: line.node,
        powerW: 0,
        untilMs: null,
        failSafeW: 0,
        line,
        sample: false,
      });
      return;
    }
    // A station's own meter counts too: an OCPP station reports Power.Active.Import through the
    // central (station-meter, docs/OCPP.md "Meter values"), so one drawing more than granted shows.
    if (line.message !== 'power' && line.message !== 'station-meter') return;
    const atMs = typeof line.fields.atMs === 'number' ? line.fields.atMs : line.timestampMs;
    const powerW = line.fields.powerW;
    if (atMs === null || typeof powerW !== 'number') return;
    const chargePointId =
      typeof line.fields.chargePointId === 'string' ? line.fields.chargePointId : line.node;
    chargePoints.add(chargePointId);
    const { untilMs, failSafeW } = line.fields;
    const bounded = typeof untilMs === 'number' && typeof failSafeW === 'number';
    events.push({
      atMs,
      order,
      chargePointId,
      powerW,
      untilMs: bounded ? untilMs : null,
      failSafeW: bounded ? failSafeW : 0,
      line,
      sample: true,
    });
  });
  events.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
  const latest = new Map<string, Event>();
  const countedW = (event: Event, atMs: number): number =>
    event.untilMs !== null && atMs > event.untilMs
      ? Math.min(event.powerW, event.failSafeW)
      : event.powerW;
  let samples = 0;
  let peakW = 0;
  let peakAtMs = 0;
  let counterexample: string | undefined;
  for (const event of events) {
    latest.set(event.chargePointId, event);
    if (!event.sample) continue;
    samples += 1;
    let sumW = 0;
    for (const held of latest.values()) sumW += countedW(held, event.atMs);
    if (sumW > peakW) {
      peakW = sumW;
      peakAtMs = event.atMs;
    }
    if (sumW > options.siteLimitW && counterexample === undefined) {
      const parts = [...latest.entries()]
        .map(([id, held]) => [id, countedW(held, event.atMs)] as const)
        .filter(([, w]) => w > 0)
        .map(([id, w]) => `${id} ${w} W`)
        .join(' + ');
      counterexample = `at ${new Date(event.atMs).toISOString()} (${where(event.line)}): ${parts} = ${sumW} W > ${options.siteLimitW} W.`;
    }
  }
  const source = options.siteLimitSource ? ` (${options.siteLimitSource})` : '';
  const evidence = `${samples} power samples from ${chargePoints.size} charge points, limit ${options.siteLimitW} W${source}, peak ${peakW} W${samples > 0 ? ` at ${new Date(peakAtMs).toISOString()}` : ''}`;
  if (counterexample !== undefined) {
    return { property: 'site-limit', pass: false, evidence: `${evidence}.`, counterexample };
  }
  return {
    property: 'site-limit',
    pass: true,
    ...(samples === 0 ? { vacuous: true } : {}),
    evidence:
      samples === 0
        ? `vacuous: no "power" lines, nothing to check; limit ${options.siteLimitW} W${source}.`
        : `${evidence}: never above the limit.`,
  };
}

/** Every property, in docs/DESIGN.md's order, then liveness and registration (liveness.ts). */
export function verifyLines(lines: readonly LogLine[], options: VerifyOptions): PropertyResult[] {
  const chargePointIds = options.chargePointIds ?? chargePointsOf(lines);
  const results = [
    checkAgreement(lines),
    checkValidity(lines),
    checkDurability(lines),
    checkExactlyOnce(lines),
    checkNoDoubleBooking(lines),
    checkReservationOverlap(lines),
    checkSiteLimit(lines, options),
    checkConfiguration(lines),
    checkLiveness(lines, chargePointIds),
    checkRegistration(lines),
  ];
  const expected = expectedBy(lines);
  return results.map((result) => {
    const reason = expected.get(result.property);
    // A property the run should have exercised but did not is not a pass (issue 17: a verifier that
    // cannot be fooled by a run that did nothing).
    return result.vacuous === true && reason !== undefined
      ? { ...result, pass: false, evidence: `${result.evidence} But ${reason}.` }
      : result;
  });
}

/** The charge points of a run whose cluster.json is unknown: the nodes that sampled power. */
function chargePointsOf(lines: readonly LogLine[]): string[] {
  const ids = new Set<string>();
  for (const line of lines) {
    if (line.message === 'charge-point-started' || line.message === 'power') ids.add(line.node);
  }
  return [...ids];
}

/** Which properties the run's own lines say must have been exercised, and why. */
function expectedBy(lines: readonly LogLine[]): Map<string, string> {
  const readies = new Map<string, number>();
  let evLines = false;
  let stationsStarted = false;
  for (const line of lines) {
    if (line.message === 'ready') readies.set(line.node, (readies.get(line.node) ?? 0) + 1);
    else if (line.message === 'ev-transition') evLines = true;
    else if (line.message === 'charge-point-started') stationsStarted = true;
  }
  const expected = new Map<string, string>();
  if (readies.size > 0) {
    const nodes = `${readies.size} nodes started`;
    for (const property of ['agreement', 'validity', 'exactly-once']) {
      expected.set(property, nodes);
    }
  }
  const restarted = [...readies.entries()].filter(([, count]) => count > 1).map(([node]) => node);
  if (restarted.length > 0) {
    expected.set('durability', `the run restarted ${restarted.join(', ')}`);
  }
  if (evLines) {
    for (const property of ['no-double-booking', 'site-limit', 'liveness']) {
      expected.set(property, 'EVs plugged in');
    }
  }
  if (stationsStarted) expected.set('registration', 'charge points started their EVSE');
  return expected;
}

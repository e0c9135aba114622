/**
 * The properties a run must make progress on (issue 17, docs/SCENARIOS.md "What `evpaxos verify`
 * checks"): every EV that plugs in at a station that is up and on the majority side starts charging
 * within a bound, and every station that sent a BootNotification ends registered (OCPP 2.0.1 B01).
 * Safety alone is passed by a site that does nothing; these fail it.
 */
import { where, type LogLine } from './log-reader';
import type { PropertyResult } from './properties';

/**
 * The liveness bound in scenario time, ms. Protocol time stays in real milliseconds at any --speed
 * (docs/SCENARIOS.md, "Time"), so an EV also passes when it charged within LIVENESS_REAL_MS_MAX of
 * real time: at 30× the scenario's 30 s are one real second, less than one negotiation round trip
 * on a loaded machine.
 */
export const LIVENESS_SCENARIO_MS_MAX = 30_000;
/**
 * The real-time bound, ms: what the EV link itself promises (docs/EV-LINK.md). SessionSetupReq and
 * ChargeParameterDiscoveryReq may each take up to the link's request timeout (10 s,
 * REQUEST_TIMEOUT_MS_DEFAULT in packages/ev-link/src/constants.ts) before the EV gives up on a
 * schedule and charges on the station's own limits: two of them.
 */
export const LIVENESS_REAL_MS_MAX = 2 * 10_000;

/** A stretch of scenario time in which a node was down (killed or paused) or cut off. */
interface Outage {
  readonly node: string;
  readonly fromMs: number;
  toMs: number;
}

interface StepLine {
  readonly action: string;
  readonly node?: string;
  readonly sides?: readonly (readonly string[])[];
  readonly atMs: number;
}

/**
 * Scenario ms of a real time, on the EV emulator's clock (its `scenario-start` line: scenario ms =
 * (real ms − startedAtMs) × speed); undefined without one.
 */
function scenarioClockOf(lines: readonly LogLine[]): ((realMs: number) => number) | undefined {
  const start = lines.find((line) => line.message === 'scenario-start');
  const startedAtMs = Number(start?.fields.startedAtMs);
  const speed = Number(start?.fields.speed);
  if (!Number.isFinite(startedAtMs) || !(speed > 0)) return undefined;
  return (realMs) => (realMs - startedAtMs) * speed;
}

/**
 * The outage steps of a run, in scenario ms: the scenario's own (`scenario-step`) and the faults a
 * nemesis injected from outside it (`nemesis-step`, stamped in real time: packages/cli/src/nemesis).
 */
function stepsOf(lines: readonly LogLine[]): StepLine[] {
  const steps: StepLine[] = [];
  const scenarioMsOf = scenarioClockOf(lines);
  for (const line of lines) {
    const fromNemesis = line.message === 'nemesis-step';
    if (!fromNemesis && (line.message !== 'scenario-step' || line.fields.ok !== true)) continue;
    const step = line.fields.step as
      { action?: unknown; node?: unknown; sides?: unknown; chargePointId?: unknown } | undefined;
    const atMs = fromNemesis
      ? scenarioMsOf !== undefined && line.timestampMs !== null
        ? scenarioMsOf(line.timestampMs)
        : NaN
      : Number(line.fields.scenarioMs);
    if (typeof step?.action !== 'string' || !Number.isFinite(atMs)) continue;
    const node =
      typeof step.node === 'string'
        ? step.node
        : typeof step.chargePointId === 'string'
          ? step.chargePointId
          : undefined;
    steps.push({
      action: step.action,
      atMs,
      ...(node !== undefined ? { node } : {}),
      ...(Array.isArray(step.sides) ? { sides: step.sides as string[][] } : {}),
    });
  }
  // Two files' steps, each in time order: merged in time order (a stable sort), so each outage's
  // start comes before its end.
  return steps.sort((a, b) => a.atMs - b.atMs);
}

/**
 * When each node was down, faulted or on a side of a partition without a majority of the charge
 * points, from the scenario's own steps: kill/pause … restart/resume, fault … recover, partition …
 * heal. An EV plugging in there is not owed a charge.
 */
function outagesOf(steps: readonly StepLine[], chargePoints: ReadonlySet<string>): Outage[] {
  const outages: Outage[] = [];
  const open = new Map<string, Outage>();
  const start = (node: string, atMs: number, kind: string) => {
    const key = `${kind}\u0000${node}`;
    if (open.has(key)) return;
    const outage = { node, fromMs: atMs, toMs: Infinity };
    open.set(key, outage);
    outages.push(outage);
  };
  const end = (node: string, atMs: number, kind: string) => {
    const key = `${kind}\u0000${node}`;
    const outage = open.get(key);
    if (outage !== undefined) outage.toMs = atMs;
    open.delete(key);
  };
  for (const step of steps) {
    const node = step.node ?? '';
    if (step.action === 'kill' || step.action === 'pause') start(node, step.atMs, 'down');
    else if (step.action === 'restart' || step.action === 'resume') end(node, step.atMs, 'down');
    else if (step.action === 'fault') start(node, step.atMs, 'fault');
    else if (step.action === 'recover') end(node, step.atMs, 'fault');
    else if (step.action === 'partition') {
      for (const side of step.sides ?? []) {
        const voters = side.filter((id) => chargePoints.has(id)).length;
        if (2 * voters > chargePoints.size) continue;
        for (const id of side) start(id, step.atMs, 'cut');
      }
    } else if (step.action === 'heal') {
      for (const key of [...open.keys()].filter((k) => k.startsWith('cut\u0000'))) {
        end(key.slice(4), step.atMs, 'cut');
      }
    }
  }
  return outages;
}

/**
 * When a charge point was cut off by fault rules set on it from outside the scenario (`evpaxos
 * partition`, the dashboard's lab buttons: each node logs "faults set" and "faults cleared",
 * docs/CLUSTER.md), in real ms: rules that drop all traffic with some peers ('*' or ids, never
 * only a chance of it) leave the node a side; a side without a majority of the charge points is
 * cut off, as for the scenario's partition step.
 */
function faultRuleOutagesOf(
  lines: readonly LogLine[],
  chargePoints: ReadonlySet<string>,
): Outage[] {
  const outages: Outage[] = [];
  const open = new Map<string, Outage>();
  for (const line of lines) {
    if (line.timestampMs === null || !chargePoints.has(line.node)) continue;
    if (line.message !== 'faults set' && line.message !== 'faults cleared') continue;
    const rules = (Array.isArray(line.fields.rules) ? line.fields.rules : []) as {
      peer?: unknown;
      action?: unknown;
      probability?: unknown;
    }[];
    const dropped = new Set(
      rules
        .filter((rule) => rule.action === 'drop' && (rule.probability ?? 1) === 1)
        .map((rule) => String(rule.peer)),
    );
    const voters = dropped.has('*')
      ? 1
      : [...chargePoints].filter((id) => id === line.node || !dropped.has(id)).length;
    const cut = line.message === 'faults set' && 2 * voters <= chargePoints.size;
    const current = open.get(line.node);
    if (cut && current === undefined) {
      const outage = { node: line.node, fromMs: line.timestampMs, toMs: Infinity };
      open.set(line.node, outage);
      outages.push(outage);
    } else if (!cut && current !== undefined) {
      current.toMs = line.timestampMs;
      open.delete(line.node);
    }
  }
  return outages;
}

interface Plug {
  readonly evId: string;
  readonly chargePointId: string;
  readonly line: LogLine;
  readonly atMs: number;
  readonly realAtMs: number | null;
  /** Scenario ms at which it started charging, or left (unplugged or stopped) without. */
  chargedAtMs?: number;
  chargedRealAtMs?: number | null;
  leftAtMs?: number;
  leftRealAtMs?: number | null;
  /** The unplug's `why`: `cancelled` when the run was stopped under the EV. */
  leftWhy?: string;
}

/** Every plug-in of an EV, with when it first charged or left. */
function plugsOf(lines: readonly LogLine[]): Plug[] {
  const plugs: Plug[] = [];
  const current = new Map<string, Plug>();
  for (const line of lines) {
    if (line.message !== 'ev-transition') continue;
    const evId = String(line.fields.evId);
    const atMs = Number(line.fields.scenarioMs);
    const to = String(line.fields.to);
    if (line.fields.from === 'not_connected') {
      const plug = {
        evId,
        chargePointId: String(line.fields.chargePointId),
        line,
        atMs,
        realAtMs: line.timestampMs,
      };
      plugs.push(plug);
      current.set(evId, plug);
      continue;
    }
    const plug = current.get(evId);
    if (plug === undefined || plug.chargedAtMs !== undefined || plug.leftAtMs !== undefined) {
      continue;
    }
    if (to.startsWith('charging_')) {
      plug.chargedAtMs = atMs;
      plug.chargedRealAtMs = line.timestampMs;
    } else if (to === 'not_connected' || line.fields.event === 'stopCharging') {
      plug.leftAtMs = atMs;
      plug.leftRealAtMs = line.timestampMs;
      plug.leftWhy = String(line.fields.why);
    }
  }
  return plugs;
}

/**
 * The run was stopped under the EV (its unplug says `cancelled`) before the real-time bound was
 * up: at high speed the scenario bound is a second or two, and the EV might still have charged.
 */
function cancelledInTime(plug: Plug): boolean {
  if (plug.leftWhy !== 'cancelled') return false;
  if (plug.leftRealAtMs === undefined || plug.leftRealAtMs === null || plug.realAtMs === null) {
    return true;
  }
  return plug.leftRealAtMs - plug.realAtMs <= LIVENESS_REAL_MS_MAX;
}

/** Charge points whose EVSE refused this EV's idToken (C01): it is not owed a charge. */
function refusedEvs(lines: readonly LogLine[]): Set<string> {
  const refused = new Set<string>();
  for (const line of lines) {
    if (line.message === 'evse-transition' && line.fields.event === 'authorizationRejected') {
      refused.add(String(line.fields.evId));
    }
  }
  return refused;
}

/**
 * 7. Liveness: every EV that plugs in at a charge point that is up, not faulted and on the majority
 * side for the whole bound (by the scenario's steps or the nodes' own "faults set" lines) starts charging (with or without a profile) within
 * LIVENESS_SCENARIO_MS_MAX of scenario time (or LIVENESS_REAL_MS_MAX of real time), unless it
 * leaves first, its idToken is refused, or the scenario ends or is cancelled under it first.
 */
export function checkLiveness(
  lines: readonly LogLine[],
  chargePointIds: readonly string[],
): PropertyResult {
  const plugs = plugsOf(lines);
  const steps = stepsOf(lines);
  const scenarioMsOf = scenarioClockOf(lines);
  const chargePoints = new Set(chargePointIds);
  // One list in scenario ms: the steps' outages, and the fault rules' (real ms) on the EV
  // emulator's clock. Without that clock no EV plugged in, and nothing is owed.
  const outages = [
    ...outagesOf(steps, chargePoints),
    ...(scenarioMsOf === undefined
      ? []
      : faultRuleOutagesOf(lines, chargePoints).map((outage) => ({
          node: outage.node,
          fromMs: scenarioMsOf(outage.fromMs),
          toMs: outage.toMs === Infinity ? Infinity : scenarioMsOf(outage.toMs),
        }))),
  ];
  const refused = refusedEvs(lines);
  const endMs = Math.max(
    0,
    ...lines
      .filter((line) => line.message === 'ev-transition' || line.message === 'scenario-step')
      .map((line) => Number(line.fields.scenarioMs) || 0),
  );
  let owed = 0;
  let charged = 0;
  let slowestMs = 0;
  let counterexample: string | undefined;
  for (const plug of plugs) {
    const boundMs = plug.atMs + LIVENESS_SCENARIO_MS_MAX;
    // An EV passes when it charged within either bound, so an outage within either excuses it.
    const outageBoundMs =
      scenarioMsOf !== undefined && plug.realAtMs !== null
        ? Math.max(boundMs, scenarioMsOf(plug.realAtMs + LIVENESS_REAL_MS_MAX))
        : boundMs;
    const excused =
      refused.has(plug.evId) ||
      boundMs > endMs ||
      (plug.leftAtMs !== undefined && plug.leftAtMs <= boundMs) ||
      cancelledInTime(plug) ||
      outages.some(
        (outage) =>
          outage.node === plug.chargePointId &&
          outage.fromMs <= outageBoundMs &&
          outage.toMs >= plug.atMs,
      );
    if (plug.chargedAtMs === undefined && excused) continue;
    owed += 1;
    if (plug.chargedAtMs !== undefined) {
      const waitedMs = plug.chargedAtMs - plug.atMs;
      const realMs =
        plug.chargedRealAtMs !== undefined &&
        plug.chargedRealAtMs !== null &&
        plug.realAtMs !== null
          ? plug.chargedRealAtMs - plug.realAtMs
          : Infinity;
      if (waitedMs <= LIVENESS_SCENARIO_MS_MAX || realMs <= LIVENESS_REAL_MS_MAX || excused) {
        charged += 1;
        slowestMs = Math.max(slowestMs, excused ? 0 : waitedMs);
        continue;
      }
      counterexample ??= `${plug.evId} plugged into ${plug.chargePointId} at scenario ${(plug.atMs / 1000).toFixed(1)} s (${where(plug.line)}) and charged only after ${(waitedMs / 1000).toFixed(1)} s.`;
      continue;
    }
    counterexample ??= `${plug.evId} plugged into ${plug.chargePointId} at scenario ${(plug.atMs / 1000).toFixed(1)} s (${where(plug.line)}), the station up and on the majority side, and never charged.`;
  }
  const evidence = `${plugs.length} plug-ins, ${owed} owed a charge within ${LIVENESS_SCENARIO_MS_MAX / 1000} scenario-s (or ${LIVENESS_REAL_MS_MAX / 1000} real s), ${charged} charged, the slowest after ${(slowestMs / 1000).toFixed(1)} scenario-s`;
  if (counterexample !== undefined) {
    return { property: 'liveness', pass: false, evidence: `${evidence}.`, counterexample };
  }
  return owed === 0
    ? {
        property: 'liveness',
        pass: true,
        vacuous: true,
        evidence: `vacuous: ${plugs.length} plug-ins, none owed a charge (no EV, or each one excused).`,
      }
    : { property: 'liveness', pass: true, evidence: `${evidence}: every one charged in time.` };
}

/**
 * 8. Registration: every charge point that sent a BootNotification ends Accepted (B01) — a station
 * Rejected or left Pending (B02, B03) and never accepted afterwards is a site that silently lost a
 * charger (issue 17: its EVs would charge 0 Wh while safety holds).
 */
export function checkRegistration(lines: readonly LogLine[]): PropertyResult {
  const lastRefusal = new Map<string, LogLine>();
  const booted = new Set<string>();
  let accepted = 0;
  let refusals = 0;
  for (const line of lines) {
    const chargePointId =
      typeof line.fields.chargePointId === 'string' ? line.fields.chargePointId : line.node;
    if (line.message === 'boot-accepted') {
      booted.add(chargePointId);
      lastRefusal.delete(chargePointId);
      accepted += 1;
    } else if (line.message === 'boot-not-accepted' || line.message === 'boot-rejected') {
      booted.add(chargePointId);
      refusals += 1;
      // The CP's own line comes after the central's; keep the first refusal not yet followed by
      // an acceptance in the CP's log.
      if (!lastRefusal.has(chargePointId)) lastRefusal.set(chargePointId, line);
    }
  }
  const evidence = `${booted.size} charge points sent BootNotification: ${accepted} Accepted answers, ${refusals} Rejected/Pending`;
  const stuck = [...lastRefusal.entries()];
  if (stuck.length > 0) {
    const [chargePointId, line] = stuck[0]!;
    return {
      property: 'registration',
      pass: false,
      evidence: `${evidence}; ${stuck.length} never registered (${stuck.map(([id]) => id).join(', ')}).`,
      counterexample: `${chargePointId} was refused at boot (${where(line)}: ${String(line.fields.reason ?? line.fields.status ?? '')}) and never accepted afterwards.`,
    };
  }
  return booted.size === 0
    ? {
        property: 'registration',
        pass: true,
        vacuous: true,
        evidence: 'vacuous: no BootNotification in the logs (a consensus-only cluster).',
      }
    : {
        property: 'registration',
        pass: true,
        evidence: `${evidence}: every one registered.`,
      };
}

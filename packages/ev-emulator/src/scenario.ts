/**
 * The scenario model: what an EV emulator run does and when (docs/SCENARIOS.md). This file holds
 * the types and the validator (each step kind's own checks in scenario-steps.ts), so the format is
 * written down once. A scenario comes from a file a
 * person wrote, so it is checked field by field and every problem names its field
 * (`evs[1].needs.maxPowerW must be …`), all problems at once.
 *
 * Times are scenario minutes from the start of the run (fractions allowed: 0.5 is 30 s). The clock
 * that turns them into real time is clock.ts; with `--speed 10` minute 8 comes after 48 real s.
 */
import * as YAML from 'yaml';
import { POWER_W_MAX, ENERGY_WH_MAX, ID_LENGTH_MAX } from '@evpaxos/ev-link';
import {
  type StepContext,
  validateCancelReservationStep,
  validateFaultStep,
  validatePartitionStep,
  validateReserveStep,
  validateEvseFaultStep,
} from './scenario-steps';

/** What the EV tells the EVSE in ChargeParameterDiscoveryReq (ISO 15118-2), in scenario terms. */
export interface EvNeedsSpec {
  /** Energy wanted in this session, Wh (ISO EAmount), 0 … ENERGY_WH_MAX. */
  readonly energyWh: number;
  /** The least power the EV can charge at, W (e.g. 1 400: 6 A on one 230 V phase). */
  readonly minPowerW: number;
  /** The most power the EV accepts, W (11 000 or 22 000 for AC). */
  readonly maxPowerW: number;
  /** When the driver leaves, scenario minutes from the start; after the arrival. */
  readonly departureAtMinute: number;
}

/** One EV: when it plugs in where, what it needs, when it stops and leaves. */
export interface EvSpec {
  /** The EV's identity (ISO EVCCID), 1 … 36 characters, unique in the scenario. */
  readonly id: string;
  /** The charge point it plugs into (a charge-point id of the cluster, e.g. cp1). */
  readonly chargePointId: string;
  /** The idToken the EVSE presents to the CSMS. Default: the EV's id. */
  readonly idToken?: string;
  /** When the cable is plugged in, scenario minutes. */
  readonly arriveAtMinute: number;
  /** When the EV stops charging (PowerDeliveryReq Stop), scenario minutes. Default: never. */
  readonly stopAtMinute?: number;
  /**
   * When the cable is pulled (SessionStopReq, then the connection closes). Default: right after
   * the stop, or at the end of the scenario if there is no stop.
   */
  readonly unplugAtMinute?: number;
  readonly needs: EvNeedsSpec;
  /** The battery, Wh, for the state of charge the EV reports. Default 60 000. */
  readonly batteryWh?: number;
  /** State of charge at arrival, %. Default 20. */
  readonly initialSocPercent?: number;
}

export type FaultAction = 'kill' | 'restart' | 'pause' | 'resume';
export const faultActions: readonly FaultAction[] = ['kill', 'restart', 'pause', 'resume'];

/** SIGKILL / restart / SIGSTOP / SIGCONT one node, through the launcher (needs --dir). */
export interface NodeFaultStep {
  readonly atMinute: number;
  readonly action: FaultAction;
  readonly node: string;
}

/** Cut the cluster into sides (every listed node drops traffic to the other sides). */
export interface PartitionStep {
  readonly atMinute: number;
  readonly action: 'partition';
  /** Node ids per side; at least two sides. */
  readonly sides: readonly (readonly string[])[];
}

/** Remove every partition. */
export interface HealStep {
  readonly atMinute: number;
  readonly action: 'heal';
}

/** POST /reservations to the leader central (docs/SITE.md: Reserve → ReserveNow). */
export interface ReserveStep {
  readonly atMinute: number;
  readonly action: 'reserve';
  readonly chargePointId: string;
  /** Default 1. */
  readonly connectorId?: number;
  readonly idToken: string;
  /** When the window opens, scenario minutes; default `atMinute` (now). Before `expiresAtMinute`. */
  readonly fromMinute?: number;
  /** When the reservation expires, scenario minutes; after `atMinute`. */
  readonly expiresAtMinute: number;
  /** A name a later cancel-reservation step refers to. */
  readonly ref?: string;
}

/**
 * The EVSE of a charge point fails or recovers: POST /evse/fault or /evse/recover on the charge
 * point (docs/CLUSTER.md). Its EV is told to stop; StatusNotification Faulted / Available follows.
 */
export interface EvseFaultStep {
  readonly atMinute: number;
  readonly action: 'fault' | 'recover';
  readonly chargePointId: string;
  /** The one connector (docs/SITE.md: connectorCount 1); default 1. */
  readonly connectorId?: number;
}

/** DELETE /reservations/:id of the reservation an earlier reserve step named `ref`. */
export interface CancelReservationStep {
  readonly atMinute: number;
  readonly action: 'cancel-reservation';
  readonly ref: string;
}

export type ScenarioStep =
  NodeFaultStep | PartitionStep | HealStep | ReserveStep | CancelReservationStep | EvseFaultStep;
export type StepAction = ScenarioStep['action'];
export const stepActions: readonly StepAction[] = [
  ...faultActions,
  'partition',
  'heal',
  'reserve',
  'cancel-reservation',
  'fault',
  'recover',
];

export interface Scenario {
  /** For logs and reports. */
  readonly name: string;
  readonly description?: string;
  /** The run ends here, scenario minutes (every EV still plugged in is unplugged). Default 10. */
  readonly durationMinutes: number;
  readonly evs: readonly EvSpec[];
  /** Fault and reservation steps, run in time order (ties: file order). */
  readonly steps: readonly ScenarioStep[];
}

/** Limits of a scenario file (docs/STYLE.md rule 3). */
export const SCENARIO_EVS_MAX = 100;
export const SCENARIO_STEPS_MAX = 1_000;
/** A day of scenario time: a run longer than that is a mistake, not a demo. */
export const SCENARIO_MINUTES_MAX = 24 * 60;
export const SCENARIO_FILE_BYTES_MAX = 1024 * 1024;
export const DURATION_MINUTES_DEFAULT = 10;
export const BATTERY_WH_DEFAULT = 60_000;
export const INITIAL_SOC_PERCENT_DEFAULT = 20;

/** A refused scenario: one sentence per problem, each naming its field. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  readonly code = 'invalid-scenario';
  constructor(
    readonly problems: readonly string[],
    source = 'The scenario',
  ) {
    super(`${source} is invalid:\n  ${problems.join('\n  ')}`);
  }
}

/** A scenario object's fields, as parsed (scenario-steps.ts reads them too). */
export type Fields = Record<string, unknown>;

/** Collects every problem of a scenario, each naming its field, instead of stopping at the first. */
export class Checker {
  readonly problems: string[] = [];

  object(value: unknown, field: string): Fields | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.problems.push(`${field} must be an object.`);
      return undefined;
    }
    return value as Fields;
  }

  unknownKeys(fields: Fields, field: string, known: readonly string[]): void {
    for (const key of Object.keys(fields)) {
      if (!known.includes(key)) {
        const where = field === '' ? key : `${field}.${key}`;
        this.problems.push(`${where} is not a known field (known: ${known.join(', ')}).`);
      }
    }
  }

  text(fields: Fields, key: string, field: string, optional = false): string | undefined {
    const value = fields[key];
    if (value === undefined && optional) return undefined;
    if (typeof value !== 'string' || value.length === 0 || value.length > ID_LENGTH_MAX) {
      this.problems.push(`${field} must be a string of 1 to ${ID_LENGTH_MAX} characters.`);
      return undefined;
    }
    return value;
  }

  freeText(fields: Fields, key: string, field: string): string | undefined {
    const value = fields[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      this.problems.push(`${field} must be a string.`);
      return undefined;
    }
    return value;
  }

  number(
    fields: Fields,
    key: string,
    field: string,
    min: number,
    max: number,
    options: { optional?: boolean; integer?: boolean } = {},
  ): number | undefined {
    const value = fields[key];
    if (value === undefined && options.optional) return undefined;
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      value >= min &&
      value <= max &&
      (!options.integer || Number.isSafeInteger(value));
    if (!ok) {
      const what = options.integer ? 'an integer' : 'a number';
      this.problems.push(
        `${field} must be ${what} from ${min} to ${max} (got ${JSON.stringify(value) ?? 'nothing'}).`,
      );
      return undefined;
    }
    return value;
  }

  minute(fields: Fields, key: string, field: string, optional = false): number | undefined {
    return this.number(fields, key, field, 0, SCENARIO_MINUTES_MAX, { optional });
  }
}

/**
 * Checks an untrusted value (parsed JSON or YAML) and returns the typed scenario, or throws a
 * ScenarioError listing every problem. `chargePointIds`/`nodeIds`, when given, are the cluster's:
 * an EV plugged into an unknown charge point, or a fault on an unknown node, is refused up front.
 */
export function validateScenario(
  value: unknown,
  cluster: { chargePointIds?: readonly string[]; nodeIds?: readonly string[] } = {},
  source?: string,
): Scenario {
  const check = new Checker();
  const root = check.object(value, 'the scenario');
  if (root === undefined) throw new ScenarioError(check.problems, source);
  check.unknownKeys(root, '', ['name', 'description', 'durationMinutes', 'evs', 'steps']);
  const name = check.text(root, 'name', 'name', true) ?? 'unnamed';
  const description = check.freeText(root, 'description', 'description');
  const durationMinutes =
    check.number(root, 'durationMinutes', 'durationMinutes', 0, SCENARIO_MINUTES_MAX, {
      optional: true,
    }) ?? DURATION_MINUTES_DEFAULT;

  const evs: EvSpec[] = [];
  const rawEvs = root.evs ?? [];
  if (!Array.isArray(rawEvs)) {
    check.problems.push('evs must be a list of EVs.');
  } else if (rawEvs.length > SCENARIO_EVS_MAX) {
    check.problems.push(`evs has ${rawEvs.length} EVs; at most ${SCENARIO_EVS_MAX} are allowed.`);
  } else {
    rawEvs.forEach((raw: unknown, index) => {
      const ev = validateEv(check, raw, `evs[${index}]`, durationMinutes, cluster.chargePointIds);
      if (ev !== undefined) evs.push(ev);
    });
    const seen = new Set<string>();
    evs.forEach((ev) => {
      if (seen.has(ev.id)) check.problems.push(`evs: the id "${ev.id}" is used twice.`);
      seen.add(ev.id);
    });
    // One cable per connector: two EVs on one charge point must not be plugged in at once.
    evs.forEach((ev, index) => {
      const other = evs.find(
        (candidate, otherIndex) =>
          otherIndex < index &&
          candidate.chargePointId === ev.chargePointId &&
          candidate.arriveAtMinute < leaveMinute(ev, durationMinutes) &&
          ev.arriveAtMinute < leaveMinute(candidate, durationMinutes),
      );
      if (other !== undefined) {
        check.problems.push(
          `evs: ${ev.id} and ${other.id} are plugged into ${ev.chargePointId} at the same time (one connector).`,
        );
      }
    });
  }

  const steps: ScenarioStep[] = [];
  const rawSteps = root.steps ?? [];
  if (!Array.isArray(rawSteps)) {
    check.problems.push('steps must be a list of steps.');
  } else if (rawSteps.length > SCENARIO_STEPS_MAX) {
    check.problems.push(
      `steps has ${rawSteps.length} steps; at most ${SCENARIO_STEPS_MAX} are allowed.`,
    );
  } else {
    const refs = new Set<string>();
    rawSteps.forEach((raw: unknown, index) => {
      const step = validateStep(check, raw, `steps[${index}]`, durationMinutes, cluster, refs);
      if (step !== undefined) steps.push(step);
    });
  }

  if (check.problems.length > 0) throw new ScenarioError(check.problems, source);
  // Stable: steps at the same minute keep their file order.
  const ordered = steps
    .map((step, index) => ({ step, index }))
    .sort((a, b) => a.step.atMinute - b.step.atMinute || a.index - b.index)
    .map(({ step }) => step);
  return {
    name,
    ...(description !== undefined ? { description } : {}),
    durationMinutes,
    evs,
    steps: ordered,
  };
}

/** When the EV's cable is pulled, scenario minutes (see EvSpec.unplugAtMinute). */
function leaveMinute(ev: EvSpec, durationMinutes: number): number {
  return ev.unplugAtMinute ?? ev.stopAtMinute ?? durationMinutes;
}

function validateEv(
  check: Checker,
  raw: unknown,
  field: string,
  durationMinutes: number,
  chargePointIds: readonly string[] | undefined,
): EvSpec | undefined {
  const fields = check.object(raw, field);
  if (fields === undefined) return undefined;
  const before = check.problems.length;
  check.unknownKeys(fields, field, [
    'id',
    'chargePointId',
    'idToken',
    'arriveAtMinute',
    'stopAtMinute',
    'unplugAtMinute',
    'needs',
    'batteryWh',
    'initialSocPercent',
  ]);
  const id = check.text(fields, 'id', `${field}.id`);
  const chargePointId = check.text(fields, 'chargePointId', `${field}.chargePointId`);
  if (
    chargePointId !== undefined &&
    chargePointIds !== undefined &&
    !chargePointIds.includes(chargePointId)
  ) {
    check.problems.push(
      `${field}.chargePointId "${chargePointId}" is not a charge point of the cluster (${chargePointIds.join(', ')}).`,
    );
  }
  const idToken = check.text(fields, 'idToken', `${field}.idToken`, true);
  const arriveAtMinute = check.minute(fields, 'arriveAtMinute', `${field}.arriveAtMinute`);
  const stopAtMinute = check.minute(fields, 'stopAtMinute', `${field}.stopAtMinute`, true);
  const unplugAtMinute = check.minute(fields, 'unplugAtMinute', `${field}.unplugAtMinute`, true);
  const batteryWh = check.number(fields, 'batteryWh', `${field}.batteryWh`, 1, ENERGY_WH_MAX, {
    optional: true,
  });
  const initialSocPercent = check.number(
    fields,
    'initialSocPercent',
    `${field}.initialSocPercent`,
    0,
    100,
    { optional: true },
  );
  if (arriveAtMinute !== undefined) {
    if (arriveAtMinute > durationMinutes) {
      check.problems.push(
        `${field}.arriveAtMinute (${arriveAtMinute}) is after the end of the scenario (durationMinutes ${durationMinutes}).`,
      );
    }
    if (stopAtMinute !== undefined && stopAtMinute < arriveAtMinute) {
      check.problems.push(
        `${field}.stopAtMinute (${stopAtMinute}) must not be before arriveAtMinute (${arriveAtMinute}).`,
      );
    }
    if (unplugAtMinute !== undefined && unplugAtMinute < (stopAtMinute ?? arriveAtMinute)) {
      check.problems.push(
        `${field}.unplugAtMinute (${unplugAtMinute}) must not be before ${stopAtMinute !== undefined ? 'stopAtMinute' : 'arriveAtMinute'}.`,
      );
    }
  }
  const needs = validateNeeds(check, fields.needs, `${field}.needs`, arriveAtMinute);
  if (check.problems.length > before) return undefined;
  return {
    id: id!,
    chargePointId: chargePointId!,
    ...(idToken !== undefined ? { idToken } : {}),
    arriveAtMinute: arriveAtMinute!,
    ...(stopAtMinute !== undefined ? { stopAtMinute } : {}),
    ...(unplugAtMinute !== undefined ? { unplugAtMinute } : {}),
    needs: needs!,
    ...(batteryWh !== undefined ? { batteryWh } : {}),
    ...(initialSocPercent !== undefined ? { initialSocPercent } : {}),
  };
}

function validateNeeds(
  check: Checker,
  raw: unknown,
  field: string,
  arriveAtMinute: number | undefined,
): EvNeedsSpec | undefined {
  const fields = check.object(raw, field);
  if (fields === undefined) return undefined;
  check.unknownKeys(fields, field, ['energyWh', 'minPowerW', 'maxPowerW', 'departureAtMinute']);
  const energyWh = check.number(fields, 'energyWh', `${field}.energyWh`, 0, ENERGY_WH_MAX, {
    integer: true,
  });
  const minPowerW = check.number(fields, 'minPowerW', `${field}.minPowerW`, 0, POWER_W_MAX, {
    integer: true,
  });
  const maxPowerW = check.number(fields, 'maxPowerW', `${field}.maxPowerW`, 1, POWER_W_MAX, {
    integer: true,
  });
  const departureAtMinute = check.minute(fields, 'departureAtMinute', `${field}.departureAtMinute`);
  if (minPowerW !== undefined && maxPowerW !== undefined && minPowerW > maxPowerW) {
    check.problems.push(
      `${field}.minPowerW (${minPowerW}) must not be above ${field}.maxPowerW (${maxPowerW}).`,
    );
  }
  if (
    departureAtMinute !== undefined &&
    arriveAtMinute !== undefined &&
    departureAtMinute <= arriveAtMinute
  ) {
    check.problems.push(
      `${field}.departureAtMinute (${departureAtMinute}) must be after arriveAtMinute (${arriveAtMinute}).`,
    );
  }
  if (
    energyWh === undefined ||
    minPowerW === undefined ||
    maxPowerW === undefined ||
    departureAtMinute === undefined
  ) {
    return undefined;
  }
  return { energyWh, minPowerW, maxPowerW, departureAtMinute };
}

function validateStep(
  check: Checker,
  raw: unknown,
  field: string,
  durationMinutes: number,
  cluster: { chargePointIds?: readonly string[]; nodeIds?: readonly string[] },
  refs: Set<string>,
): ScenarioStep | undefined {
  const fields = check.object(raw, field);
  if (fields === undefined) return undefined;
  const before = check.problems.length;
  const action = fields.action;
  if (typeof action !== 'string' || !(stepActions as readonly string[]).includes(action)) {
    check.problems.push(`${field}.action must be one of ${stepActions.join(', ')}.`);
    return undefined;
  }
  const atMinute = check.minute(fields, 'atMinute', `${field}.atMinute`);
  if (atMinute !== undefined && atMinute > durationMinutes) {
    check.problems.push(
      `${field}.atMinute (${atMinute}) is after the end of the scenario (durationMinutes ${durationMinutes}).`,
    );
  }
  const context: StepContext = { check, fields, field, atMinute, cluster, refs };
  let step: ScenarioStep | undefined;
  switch (action as StepAction) {
    case 'kill':
    case 'restart':
    case 'pause':
    case 'resume':
      step = validateFaultStep(context, action as FaultAction);
      break;
    case 'partition':
      step = validatePartitionStep(context);
      break;
    case 'heal':
      check.unknownKeys(fields, field, ['atMinute', 'action']);
      step = { atMinute: atMinute!, action: 'heal' };
      break;
    case 'reserve':
      step = validateReserveStep(context);
      break;
    case 'cancel-reservation':
      step = validateCancelReservationStep(context);
      break;
    case 'fault':
    case 'recover':
      step = validateEvseFaultStep(context, action as 'fault' | 'recover');
      break;
  }
  return check.problems.length > before ? undefined : step;
}

/**
 * Parses a scenario file's text: YAML when the name ends in .yaml/.yml, JSON otherwise (JSON is
 * YAML too, but JSON's own parser gives the better error for a JSON file). Throws ScenarioError.
 */
export function parseScenarioText(
  text: string,
  fileName: string,
  cluster: { chargePointIds?: readonly string[]; nodeIds?: readonly string[] } = {},
): Scenario {
  const source = `The scenario file ${fileName}`;
  if (Buffer.byteLength(text) > SCENARIO_FILE_BYTES_MAX) {
    throw new ScenarioError([`it is larger than ${SCENARIO_FILE_BYTES_MAX} bytes.`], source);
  }
  let value: unknown;
  if (/\.ya?ml$/i.test(fileName)) {
    const document = YAML.parseDocument(text, { prettyErrors: true });
    if (document.errors.length > 0) {
      throw new ScenarioError(
        document.errors.map((error) => `it is not valid YAML: ${error.message.split('\n')[0]}`),
        source,
      );
    }
    value = document.toJS();
  } else {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ScenarioError([`it is not valid JSON: ${(error as Error).message}.`], source);
    }
  }
  return validateScenario(value, cluster, source);
}

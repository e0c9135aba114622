/**
 * One validator per kind of scenario step (docs/SCENARIOS.md): scenario.ts's validateStep checks
 * what every step has (action, atMinute) and hands the rest to the one for its action. Each records
 * its problems on the Checker, naming the field; the step is dropped when any was recorded.
 */
import type { Checker, FaultAction, Fields, ScenarioStep } from './scenario';

/** What the validator of one step kind works on: the step's fields and the scenario so far. */
export interface StepContext {
  readonly check: Checker;
  readonly fields: Fields;
  /** Where the step is in the file, e.g. `steps[3]`: every problem names it. */
  readonly field: string;
  /** Undefined when missing or malformed: a problem is recorded, and the step is dropped. */
  readonly atMinute: number | undefined;
  readonly cluster: { chargePointIds?: readonly string[]; nodeIds?: readonly string[] };
  /** The refs of the reserve steps listed so far. */
  readonly refs: Set<string>;
}

/** Records a problem when `id` is not a node of the cluster (when the cluster is known). */
function checkNode(context: StepContext, id: string | undefined, where: string): void {
  const nodeIds = context.cluster.nodeIds;
  if (id !== undefined && nodeIds !== undefined && !nodeIds.includes(id)) {
    context.check.problems.push(
      `${where} "${id}" is not a node of the cluster (${nodeIds.join(', ')}).`,
    );
  }
}

/** kill, restart, pause, resume: one node. */
export function validateFaultStep(context: StepContext, action: FaultAction): ScenarioStep {
  const { check, fields, field } = context;
  check.unknownKeys(fields, field, ['atMinute', 'action', 'node']);
  const node = check.text(fields, 'node', `${field}.node`);
  checkNode(context, node, `${field}.node`);
  return { atMinute: context.atMinute!, action, node: node! };
}

/** partition: at least two non-empty sides, no node on two of them. */
export function validatePartitionStep(context: StepContext): ScenarioStep | undefined {
  const { check, fields, field } = context;
  check.unknownKeys(fields, field, ['atMinute', 'action', 'sides']);
  const sides = fields.sides;
  if (
    !Array.isArray(sides) ||
    sides.length < 2 ||
    !sides.every(
      (side: unknown) =>
        Array.isArray(side) &&
        side.length > 0 &&
        side.every((id: unknown) => typeof id === 'string' && id.length > 0),
    )
  ) {
    check.problems.push(
      `${field}.sides must be a list of at least two non-empty lists of node ids.`,
    );
    return undefined;
  }
  const all = (sides as string[][]).flat();
  all.forEach((id) => checkNode(context, id, `${field}.sides`));
  if (new Set(all).size !== all.length) {
    check.problems.push(`${field}.sides lists a node on more than one side.`);
  }
  return { atMinute: context.atMinute!, action: 'partition', sides: sides as string[][] };
}

/** reserve: a charge point of the cluster, an idToken, an expiry after the step, a unique ref. */
export function validateReserveStep(context: StepContext): ScenarioStep {
  const { check, fields, field, atMinute, refs } = context;
  check.unknownKeys(fields, field, [
    'atMinute',
    'action',
    'chargePointId',
    'connectorId',
    'idToken',
    'fromMinute',
    'expiresAtMinute',
    'ref',
  ]);
  const { chargePointId, connectorId } = checkChargePointAndConnector(context);
  const idToken = check.text(fields, 'idToken', `${field}.idToken`);
  const expiresAtMinute = check.minute(fields, 'expiresAtMinute', `${field}.expiresAtMinute`);
  const fromMinute = check.minute(fields, 'fromMinute', `${field}.fromMinute`, true);
  if (fromMinute !== undefined && expiresAtMinute !== undefined && fromMinute >= expiresAtMinute) {
    check.problems.push(
      `${field}.fromMinute (${fromMinute}) must be before expiresAtMinute (${expiresAtMinute}).`,
    );
  }
  if (atMinute !== undefined && expiresAtMinute !== undefined && expiresAtMinute <= atMinute) {
    check.problems.push(
      `${field}.expiresAtMinute (${expiresAtMinute}) must be after atMinute (${atMinute}).`,
    );
  }
  const ref = check.text(fields, 'ref', `${field}.ref`, true);
  if (ref !== undefined) {
    if (refs.has(ref)) check.problems.push(`${field}.ref "${ref}" is used twice.`);
    refs.add(ref);
  }
  return {
    atMinute: atMinute!,
    action: 'reserve',
    chargePointId: chargePointId!,
    ...(connectorId !== undefined ? { connectorId } : {}),
    idToken: idToken!,
    ...(fromMinute !== undefined ? { fromMinute } : {}),
    expiresAtMinute: expiresAtMinute!,
    ...(ref !== undefined ? { ref } : {}),
  };
}

/** The `chargePointId` (a charge point of the cluster, when known) and optional `connectorId`. */
function checkChargePointAndConnector(context: StepContext): {
  chargePointId: string | undefined;
  connectorId: number | undefined;
} {
  const { check, fields, field, cluster } = context;
  const chargePointId = check.text(fields, 'chargePointId', `${field}.chargePointId`);
  if (
    chargePointId !== undefined &&
    cluster.chargePointIds !== undefined &&
    !cluster.chargePointIds.includes(chargePointId)
  ) {
    check.problems.push(
      `${field}.chargePointId "${chargePointId}" is not a charge point of the cluster (${cluster.chargePointIds.join(', ')}).`,
    );
  }
  const connectorId = check.number(fields, 'connectorId', `${field}.connectorId`, 1, 1_000, {
    optional: true,
    integer: true,
  });
  return { chargePointId, connectorId };
}

/** fault, recover: the EVSE of one charge point of the cluster (its one connector). */
export function validateEvseFaultStep(
  context: StepContext,
  action: 'fault' | 'recover',
): ScenarioStep {
  const { check, fields, field } = context;
  check.unknownKeys(fields, field, ['atMinute', 'action', 'chargePointId', 'connectorId']);
  const { chargePointId, connectorId } = checkChargePointAndConnector(context);
  return {
    atMinute: context.atMinute!,
    action,
    chargePointId: chargePointId!,
    ...(connectorId !== undefined ? { connectorId } : {}),
  };
}

/** cancel-reservation: the ref of a reserve step listed earlier. */
export function validateCancelReservationStep(context: StepContext): ScenarioStep {
  const { check, fields, field, refs } = context;
  check.unknownKeys(fields, field, ['atMinute', 'action', 'ref']);
  const ref = check.text(fields, 'ref', `${field}.ref`);
  // Steps run in time order, so the reserve step must be listed and due earlier.
  if (ref !== undefined && !refs.has(ref)) {
    check.problems.push(
      `${field}.ref "${ref}" names no earlier reserve step (give that step ref: "${ref}").`,
    );
  }
  return { atMinute: context.atMinute!, action: 'cancel-reservation', ref: ref! };
}

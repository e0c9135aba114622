/**
 * Runs a scenario against a running cluster: the EVs (one EvRunner each, concurrently) and the
 * timeline of steps (faults through an injected FaultController — the launcher's ClusterHandle —
 * and reservations over the leader central's HTTP API), all on one scaled ScenarioClock.
 *
 * Log lines (docs/SITE.md): "scenario-step" {minute, step, ok, …} per step, "ev-transition"
 * per EV state change, "ev-summary" per EV at the end, then "scenario-done".
 */
import * as fs from 'node:fs';
import { httpJson } from '@evpaxos/runtime';
import { MS_PER_MINUTE, ScenarioClock, systemClock, type RealClock } from './clock';
import { defaultScenario } from './default-scenario';
import {
  EvRunner,
  type EmulatorLogger,
  type EvLinkConnector,
  type EvRunnerOptions,
  type EvSummary,
} from './ev-runner';
import {
  ScenarioError,
  faultActions,
  type Scenario,
  type ScenarioStep,
  type CancelReservationStep,
  type ReserveStep,
} from './scenario';

/** One node of the cluster file, as far as the emulator needs it. */
export interface ClusterNodeInfo {
  readonly id: string;
  readonly role: 'central' | 'charge-point';
  readonly host: string;
  readonly httpPort: number;
  /** OCPP-J on a central, the EV link on a charge point (docs/SITE.md, "Ports"). */
  readonly servicePort?: number;
}

export interface ClusterInfo {
  readonly nodes: readonly ClusterNodeInfo[];
  /** cluster.json `site.siteLimitW`, when there. */
  readonly siteLimitW?: number;
}

/** The launcher operations fault steps need; `ClusterHandle` from @evpaxos/cli fits as it is. */
export interface FaultController {
  killNode(id: string): Promise<void>;
  restartNode(id: string): Promise<void>;
  pauseNode(id: string): void | Promise<void>;
  resumeNode(id: string): void | Promise<void>;
  partition(sides: readonly (readonly string[])[]): Promise<void>;
  heal(): Promise<void>;
}

export interface RunScenarioOptions {
  /** Default: the seed's timeline (defaultScenario). */
  readonly scenario?: Scenario;
  readonly cluster: ClusterInfo;
  /** Scenario ms per real ms. Default 1 (real time: the default scenario lasts 10 minutes). */
  readonly speed?: number;
  readonly ev?: EvRunnerOptions;
  /** How long one reservation step may take over HTTP, real ms. Default 10 000. */
  readonly reservationTimeoutMs?: number;
  /** The cluster's API token: reservation steps change state (docs/CLUSTER.md, "Authentication"). */
  readonly apiToken?: string;
}

export interface RunScenarioCollaborators {
  readonly logger: EmulatorLogger;
  /** Required when the scenario has kill/restart/pause/resume/partition/heal steps. */
  readonly faults?: FaultController;
  readonly clock?: RealClock;
  readonly connect?: EvLinkConnector;
  /** Aborting it ends the scenario early (every EV unplugs). */
  readonly signal?: AbortSignal;
}

export interface StepOutcome {
  readonly minute: number;
  readonly step: ScenarioStep;
  readonly ok: boolean;
  readonly error?: string;
  /** The reservation id the central assigned, for a reserve step. */
  readonly reservationId?: number | string;
}

export interface ScenarioReport {
  readonly scenario: string;
  readonly speed: number;
  readonly evs: EvSummary[];
  readonly steps: StepOutcome[];
  /** Scenario and real time the run took. */
  readonly scenarioMs: number;
  readonly realMs: number;
}

export const RESERVATION_TIMEOUT_MS_DEFAULT = 10_000;
const HTTP_ATTEMPT_TIMEOUT_MS = 2_000;
const HTTP_RETRY_PAUSE_MS = 100;

/**
 * Reads a cluster file (the launcher's `<dir>/cluster.json`). Only what the emulator needs is
 * checked; the nodes check the rest when they start. Throws ScenarioError naming the field.
 */
export function readClusterFile(file: string): ClusterInfo {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ScenarioError(
      [`it cannot be read as JSON (${(error as Error).message}).`],
      `The cluster file ${file}`,
    );
  }
  return parseClusterInfo(value, `The cluster file ${file}`);
}

export function parseClusterInfo(value: unknown, source = 'The cluster description'): ClusterInfo {
  const problems: string[] = [];
  const root = value as { nodes?: unknown; site?: { siteLimitW?: unknown } } | null;
  if (typeof root !== 'object' || root === null || !Array.isArray(root.nodes)) {
    throw new ScenarioError(['nodes must be a list of nodes.'], source);
  }
  const nodes: ClusterNodeInfo[] = [];
  root.nodes.forEach((raw: unknown, index) => {
    const node = raw as Partial<Record<keyof ClusterNodeInfo, unknown>> | null;
    if (
      typeof node !== 'object' ||
      node === null ||
      typeof node.id !== 'string' ||
      (node.role !== 'central' && node.role !== 'charge-point') ||
      typeof node.host !== 'string' ||
      typeof node.httpPort !== 'number' ||
      (node.servicePort !== undefined && typeof node.servicePort !== 'number')
    ) {
      problems.push(`nodes[${index}] needs id, role, host, httpPort (and a numeric servicePort).`);
      return;
    }
    nodes.push({
      id: node.id,
      role: node.role,
      host: node.host,
      httpPort: node.httpPort,
      ...(typeof node.servicePort === 'number' ? { servicePort: node.servicePort } : {}),
    });
  });
  const siteLimitW = root.site?.siteLimitW;
  if (siteLimitW !== undefined && (typeof siteLimitW !== 'number' || siteLimitW <= 0)) {
    problems.push('site.siteLimitW must be a positive number of W.');
  }
  if (problems.length > 0) throw new ScenarioError(problems, source);
  return { nodes, ...(typeof siteLimitW === 'number' ? { siteLimitW } : {}) };
}

/** Problems that make a scenario impossible on this cluster, found before anything starts. */
function checkAgainstCluster(
  scenario: Scenario,
  cluster: ClusterInfo,
  faults: FaultController | undefined,
): void {
  const problems: string[] = [];
  const byId = new Map(cluster.nodes.map((node) => [node.id, node]));
  scenario.evs.forEach((ev, index) => {
    const node = byId.get(ev.chargePointId);
    if (node === undefined || node.role !== 'charge-point') {
      problems.push(
        `evs[${index}].chargePointId "${ev.chargePointId}" is not a charge point of the cluster.`,
      );
    } else if (node.servicePort === undefined) {
      problems.push(
        `evs[${index}].chargePointId "${ev.chargePointId}" has no servicePort in the cluster file (no EV link to plug into).`,
      );
    }
  });
  scenario.steps.forEach((step, index) => {
    const needsLauncher =
      (faultActions as readonly string[]).includes(step.action) ||
      step.action === 'partition' ||
      step.action === 'heal';
    if (needsLauncher && faults === undefined) {
      problems.push(
        `steps[${index}].action "${step.action}" needs the launcher: give the cluster's --dir.`,
      );
    }
  });
  if (problems.length > 0) throw new ScenarioError(problems, `The scenario "${scenario.name}"`);
}

/** Runs the scenario to its end and resolves with what happened. */
export async function runScenario(
  options: RunScenarioOptions,
  collaborators: RunScenarioCollaborators,
): Promise<ScenarioReport> {
  const scenario = options.scenario ?? defaultScenario;
  const speed = options.speed ?? 1;
  checkAgainstCluster(scenario, options.cluster, collaborators.faults);
  const real = collaborators.clock ?? systemClock;
  const clock = new ScenarioClock(speed, real);
  const { logger } = collaborators;
  const endMs = scenario.durationMinutes * MS_PER_MINUTE;
  const end = new AbortController();
  const cancelled = collaborators.signal;
  const onCancel = () => end.abort();
  cancelled?.addEventListener('abort', onCancel, { once: true });

  logger.info('scenario-start', {
    scenario: scenario.name,
    speed,
    durationMinutes: scenario.durationMinutes,
    evs: scenario.evs.map((ev) => ev.id),
    steps: scenario.steps.length,
    startedAtMs: clock.startRealMs,
  });

  const nodes = new Map(options.cluster.nodes.map((node) => [node.id, node]));
  const runners = scenario.evs.map((spec) => {
    const node = nodes.get(spec.chargePointId)!;
    return new EvRunner(
      spec,
      `ws://${node.host}:${node.servicePort!}/ev`,
      endMs,
      options.ev ?? {},
      {
        clock,
        logger,
        ...(collaborators.connect ? { connect: collaborators.connect } : {}),
      },
    );
  });
  const evRuns = runners.map((runner) => runner.run(end.signal));
  const steps = runSteps(scenario, options, clock, collaborators, end.signal);

  await clock.sleepUntil(endMs, end.signal);
  end.abort();
  const stepOutcomes = await steps;
  const evs = await Promise.all(evRuns);
  cancelled?.removeEventListener('abort', onCancel);
  for (const summary of evs) logger.info('ev-summary', { ...summary });
  const report: ScenarioReport = {
    scenario: scenario.name,
    speed,
    evs,
    steps: stepOutcomes,
    scenarioMs: Math.round(clock.nowMs()),
    realMs: real.nowMs() - clock.startRealMs,
  };
  logger.info('scenario-done', {
    scenario: scenario.name,
    scenarioMs: report.scenarioMs,
    realMs: report.realMs,
    evs: evs.map((ev) => ({ evId: ev.evId, energyWh: ev.energyWh, finalState: ev.finalState })),
    stepsFailed: stepOutcomes.filter((outcome) => !outcome.ok).length,
    cancelled: cancelled?.aborted ?? false,
  });
  return report;
}

async function runSteps(
  scenario: Scenario,
  options: RunScenarioOptions,
  clock: ScenarioClock,
  collaborators: RunScenarioCollaborators,
  end: AbortSignal,
): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  const reservations = new Map<string, number | string>();
  for (const step of scenario.steps) {
    if (!(await clock.sleepUntil(step.atMinute * MS_PER_MINUTE, end))) {
      // Steps due exactly at the end still run; later ones (cancelled run) do not.
      if (collaborators.signal?.aborted || clock.nowMs() < step.atMinute * MS_PER_MINUTE) break;
    }
    let outcome: StepOutcome;
    try {
      const reservationId = await runStep(step, options, clock, collaborators, reservations);
      outcome = {
        minute: step.atMinute,
        step,
        ok: true,
        ...(reservationId !== undefined ? { reservationId } : {}),
      };
    } catch (error) {
      // A failed step (killing a node that is already down, no leader for a reservation) is an
      // outcome of the experiment, logged; the scenario goes on.
      outcome = {
        minute: step.atMinute,
        step,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      };
    }
    outcomes.push(outcome);
    const log = outcome.ok ? collaborators.logger.info : collaborators.logger.warn;
    log.call(collaborators.logger, 'scenario-step', {
      ...outcome,
      scenarioMs: Math.round(clock.nowMs()),
    });
  }
  return outcomes;
}

async function runStep(
  step: ScenarioStep,
  options: RunScenarioOptions,
  clock: ScenarioClock,
  collaborators: RunScenarioCollaborators,
  reservations: Map<string, number | string>,
): Promise<number | string | undefined> {
  const faults = collaborators.faults;
  switch (step.action) {
    case 'kill':
      await faults!.killNode(step.node);
      return undefined;
    case 'restart':
      await faults!.restartNode(step.node);
      return undefined;
    case 'pause':
      await faults!.pauseNode(step.node);
      return undefined;
    case 'resume':
      await faults!.resumeNode(step.node);
      return undefined;
    case 'partition':
      await faults!.partition(step.sides);
      return undefined;
    case 'heal':
      await faults!.heal();
      return undefined;
    case 'reserve': {
      const id = await reserve(step, options, clock);
      if (step.ref !== undefined) reservations.set(step.ref, id);
      return id;
    }
    case 'cancel-reservation': {
      const id = reservations.get(step.ref);
      if (id === undefined) {
        throw new Error(`The reservation "${step.ref}" was never made: nothing to cancel.`);
      }
      await cancelReservation(step, id, options);
      return id;
    }
    case 'fault':
    case 'recover':
      await postToChargePoint(options, step.chargePointId, `/evse/${step.action}`);
      return undefined;
  }
}

/** POST to a charge point's HTTP API (docs/CLUSTER.md): its EVSE fails or recovers. */
async function postToChargePoint(
  options: RunScenarioOptions,
  chargePointId: string,
  path: string,
): Promise<void> {
  const node = options.cluster.nodes.find((candidate) => candidate.id === chargePointId);
  if (node === undefined) throw new Error(`${chargePointId} is not in the cluster file.`);
  // A state change: the cluster's API token (docs/CLUSTER.md, "Authentication").
  const response = await httpJson(
    `http://${node.host}:${node.httpPort}${path}`,
    'POST',
    {},
    HTTP_ATTEMPT_TIMEOUT_MS,
    options.apiToken,
  );
  if (response.status !== 200) {
    throw new Error(
      `POST ${path} refused by ${chargePointId}: ${response.status} ${JSON.stringify(response.body)}.`,
    );
  }
}

async function reserve(
  step: ReserveStep,
  options: RunScenarioOptions,
  clock: ScenarioClock,
): Promise<number | string> {
  const body = {
    chargePointId: step.chargePointId,
    connectorId: step.connectorId ?? 1,
    idToken: step.idToken,
    // Wall-clock, like every time on the wire.
    ...(step.fromMinute === undefined
      ? {}
      : { startsAtMs: clock.wallClockAtMs(step.fromMinute * MS_PER_MINUTE) }),
    expiresAtMs: clock.wallClockAtMs(step.expiresAtMinute * MS_PER_MINUTE),
  };
  const reply = await callLeader(options, 'POST', '/reservations', body);
  const answer = (reply ?? {}) as { reservationId?: unknown; id?: unknown };
  const id = answer.reservationId ?? answer.id;
  if (typeof id !== 'number' && typeof id !== 'string') {
    throw new Error(
      `POST /reservations answered without a reservation id: ${JSON.stringify(reply)}.`,
    );
  }
  return id;
}

async function cancelReservation(
  step: CancelReservationStep,
  id: number | string,
  options: RunScenarioOptions,
): Promise<void> {
  void step;
  await callLeader(options, 'DELETE', `/reservations/${encodeURIComponent(String(id))}`, undefined);
}

/**
 * Sends one request to the leader central: asks every central's /status who leads, follows a 421
 * to the leader it names, and retries (other centrals, after a pause) until the timeout. Resolves
 * with the JSON body of a 2xx answer; a 4xx other than 421 is final.
 */
async function callLeader(
  options: RunScenarioOptions,
  method: 'POST' | 'DELETE',
  path: string,
  body: unknown,
): Promise<unknown> {
  const centrals = options.cluster.nodes.filter((node) => node.role === 'central');
  const deadline = Date.now() + (options.reservationTimeoutMs ?? RESERVATION_TIMEOUT_MS_DEFAULT);
  let lastProblem = 'no central answered';
  while (Date.now() < deadline) {
    const leader = await findLeader(centrals);
    const order =
      leader === undefined ? centrals : [leader, ...centrals.filter((c) => c !== leader)];
    for (const central of order) {
      const url = `http://${central.host}:${central.httpPort}${path}`;
      try {
        const response = await httpJson(
          url,
          method,
          body,
          HTTP_ATTEMPT_TIMEOUT_MS,
          options.apiToken,
        );
        const parsed = response.body;
        if (response.status >= 200 && response.status < 300) return parsed;
        lastProblem = `${central.id}: ${response.status} ${typeof parsed === 'string' ? parsed : JSON.stringify(parsed)}`;
        if (response.status === 421 || response.status === 503 || response.status === 504) continue;
        throw new Error(`${method} ${path} refused by ${lastProblem}.`);
      } catch (error) {
        if (error instanceof Error && error.message.startsWith(`${method} ${path} refused`)) {
          throw error;
        }
        lastProblem = `${central.id}: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, HTTP_RETRY_PAUSE_MS));
  }
  throw new Error(`${method} ${path} got no answer from a leader in time (${lastProblem}).`);
}

async function findLeader(
  centrals: readonly ClusterNodeInfo[],
): Promise<ClusterNodeInfo | undefined> {
  const answers = await Promise.all(
    centrals.map(async (central) => {
      try {
        const response = await fetch(`http://${central.host}:${central.httpPort}/status`, {
          signal: AbortSignal.timeout(500),
        });
        const status = (await response.json()) as { paxos?: { proposerState?: unknown } };
        return status.paxos?.proposerState === 'leader' ? central : undefined;
      } catch {
        return undefined;
      }
    }),
  );
  return answers.find((central) => central !== undefined);
}

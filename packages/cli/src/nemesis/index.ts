/**
 * A nemesis of our own (issue 20): a real cluster of OS processes under continuous client load
 * and EVs charging, while kill -9, pause, partition and disk-loss faults come and go at seeded random
 * times; then every fault is undone and the run is checked. Every acknowledged command must be in
 * the decided log, at the slot it was acknowledged with, on every node (durability), and the logs
 * must pass `evpaxos verify` (agreement, validity, exactly-once, site limit).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPrng, randomInt } from '@evpaxos/paxos';
import { clusterUp, EVPAXOS_BIN, openCluster, type ClusterHandle } from '../launcher';
import { verifyDir, type VerifyReport } from '../verify';
import { nemesisFaults, type NemesisFault, type NemesisStep } from './faults';

export { nemesisFaults, type NemesisFault } from './faults';

export interface NemesisOptions {
  readonly dir: string;
  readonly seed: number;
  /** How long faults are injected, ms. */
  readonly durationMs: number;
  /** Concurrent clients, each submitting one command at a time. Default 4. */
  readonly clients?: number;
  /** Default: every kind of `nemesisFaults`. */
  readonly faults?: readonly NemesisFault[];
  readonly log?: (line: string) => void;
}

export interface NemesisReport {
  readonly seed: number;
  readonly faults: readonly string[];
  readonly submitted: number;
  readonly acknowledged: number;
  /** Acknowledged commands missing from some node's decided log (or at another slot): must be 0. */
  readonly lost: readonly string[];
  readonly verify: VerifyReport;
  /** The verify properties that failed, with their evidence; durability as below. */
  readonly failedProperties: readonly string[];
  readonly evEmulatorExit: number | null;
  readonly pass: boolean;
}

/**
 * The verify properties that failed. `evpaxos verify` fails durability as vacuous when nodes
 * restarted but none decided a slot again (a restarted node may install a snapshot instead of
 * replaying): the logs hold nothing to compare. The nemesis checked durability itself, directly
 * (every acknowledged command at its slot on every node), so that vacuous verdict is exercised
 * here whenever commands were acknowledged and none was lost.
 */
function failedProperties(
  verify: VerifyReport,
  acknowledged: number,
  lost: readonly string[],
): string[] {
  const checkedHere = acknowledged > 0 && lost.length === 0;
  const failed = verify.results
    .filter((r) => !r.pass && !(checkedHere && r.property === 'durability' && r.vacuous === true))
    .map((r) => `${r.property}: ${r.evidence}${r.counterexample ? ` ${r.counterexample}` : ''}`);
  // The run promises EVs charging through the faults: a run where none plugged in checked nothing
  // of the charging side (the EV emulator failed to start, or never reached a charge point).
  for (const property of ['liveness', 'no-double-booking']) {
    const result = verify.results.find((r) => r.property === property);
    if (result?.vacuous === true) {
      failed.push(
        `${property}: vacuous (no EV charged; see logs/ev-emulator.log): ${result.evidence}`,
      );
    }
  }
  return failed;
}

interface Acknowledged {
  readonly clientId: string;
  readonly seq: number;
  readonly slot: number;
}

/** Starts a cluster in `dir` (2 centrals, 3 charge points), runs the nemesis, checks, stops it. */
export async function runNemesis(options: NemesisOptions): Promise<NemesisReport> {
  const log = options.log ?? (() => undefined);
  const handle = await clusterUp({
    dir: options.dir,
    centrals: 2,
    chargePoints: 3,
    basePort: 0,
    readyTimeoutMs: 60_000,
  });
  const emulator = startEvEmulator(options.dir, options.durationMs);
  try {
    const random = createPrng(options.seed);
    const nodeIds = handle.table().nodes.map((node) => node.id);
    const acknowledged: Acknowledged[] = [];
    let submitted = 0;
    let stopping = false;
    const clients = Array.from({ length: options.clients ?? 4 }, async () => {
      // Each client its own handle: its own clientId and seq, retried exactly once (docs/CLUSTER.md).
      const client = openCluster(options.dir);
      while (!stopping) {
        submitted += 1;
        try {
          const result = await client.submit({ type: 'Noop' }, { timeoutMs: 5_000 });
          acknowledged.push({ clientId: result.clientId, seq: result.seq, slot: result.slot });
        } catch {
          // Not acknowledged (a fault in the way): nothing is promised about it.
        }
      }
    });
    const faults = await injectFaults(handle, nodeIds, random, options, log);
    stopping = true;
    await Promise.all(clients);
    const lost = await checkDurability(handle, nodeIds, acknowledged);
    emulator.kill('SIGTERM');
    const evEmulatorExit = await exitOf(emulator);
    await handle.down();
    const verify = verifyDir(options.dir);
    const failed = failedProperties(verify, acknowledged.length, lost);
    return {
      seed: options.seed,
      faults,
      submitted,
      acknowledged: acknowledged.length,
      lost,
      verify,
      failedProperties: failed,
      evEmulatorExit,
      pass: lost.length === 0 && failed.length === 0 && acknowledged.length > 0,
    };
  } finally {
    if (emulator.exitCode === null) emulator.kill('SIGKILL');
    await handle.down().catch(() => undefined);
  }
}

/** Faults one at a time: inject, hold 0.3–2 s, undo, rest 0.2–1 s; until the duration is over. */
async function injectFaults(
  handle: ClusterHandle,
  nodeIds: readonly string[],
  random: () => number,
  options: NemesisOptions,
  log: (line: string) => void,
): Promise<string[]> {
  const kinds = options.faults ?? nemesisFaults;
  const done: string[] = [];
  const endMs = Date.now() + options.durationMs;
  const stepLog = path.join(handle.dir, 'logs', 'nemesis.log');
  while (Date.now() < endMs) {
    const kind = kinds[randomInt(random, 0, kinds.length - 1)] as NemesisFault;
    const injectedAtMs = Date.now();
    const fault = await kind.inject({ handle, nodeIds, random });
    logStep(stepLog, fault.step, injectedAtMs);
    log(`nemesis: ${fault.description}`);
    done.push(fault.description);
    await sleep(randomInt(random, 300, 2_000));
    await fault.undo();
    logStep(stepLog, fault.undoStep, Date.now());
    await sleep(randomInt(random, 200, 1_000));
  }
  return done;
}

/**
 * A fault as a `nemesis-step` line in the run's logs, stamped with when it took effect (a fault
 * from before it was injected, its undo from when it was undone): `evpaxos verify` reads it as a
 * scenario step on the EV emulator's clock (docs/SCENARIOS.md).
 */
function logStep(file: string, step: NemesisStep, atMs: number): void {
  const line = {
    level: 'info',
    message: 'nemesis-step',
    timestamp: new Date(atMs).toISOString(),
    node: 'nemesis',
    step,
  };
  fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
}

/**
 * Once every node runs again and has applied a fresh command, every acknowledged command must be
 * in every node's log at its slot.
 */
async function checkDurability(
  handle: ClusterHandle,
  nodeIds: readonly string[],
  acknowledged: readonly Acknowledged[],
): Promise<string[]> {
  await handle.waitForLeader(60_000);
  const marker = await handle.submit({ type: 'Noop' }, { timeoutMs: 60_000 });
  const lost: string[] = [];
  const foundAt = new Map<Acknowledged, number>();
  for (const id of nodeIds) {
    const deadline = Date.now() + 60_000;
    let view = await handle.log(id);
    while (view.appliedThrough < marker.slot && Date.now() < deadline) {
      await sleep(200);
      view = await handle.log(id);
    }
    // A restarted central keeps nothing on disk, and a wiped charge point starts empty: each holds
    // the slots it applied since, from a snapshot on. A learner that catches up from a peer that
    // has compacted installs that peer's snapshot, so its applied log jumps there (AppliedLog).
    // Slots below its first entry or inside such a jump are not its to show; every slot it holds is.
    const firstSlot = view.entries[0]?.slot ?? Number.POSITIVE_INFINITY;
    const bySlot = new Map(view.entries.map((entry) => [entry.slot, entry]));
    const coveredBySnapshot = snapshotJumps(view.entries.map((entry) => entry.slot));
    let behind = 0;
    for (const ack of acknowledged) {
      if (ack.slot < firstSlot || coveredBySnapshot(ack.slot)) continue;
      const entry = bySlot.get(ack.slot);
      const found = entry?.commands.some(
        (command) => command.clientId === ack.clientId && command.seq === ack.seq,
      );
      if (found) foundAt.set(ack, (foundAt.get(ack) ?? 0) + 1);
      else if (ack.slot > view.appliedThrough) behind += 1;
      else lost.push(`${ack.clientId}#${ack.seq} (slot ${ack.slot}) missing at ${id}`);
    }
    // A node that never caught up is a liveness failure, not a lost command: one line says which.
    if (behind > 0) {
      lost.push(
        `${id} applied only through slot ${view.appliedThrough} of ${marker.slot} within 60 s of the marker: ${behind} acknowledged commands not there yet (${await standingOf(handle, id)})`,
      );
    }
  }
  for (const ack of acknowledged) {
    if (!foundAt.has(ack)) lost.push(`${ack.clientId}#${ack.seq} (slot ${ack.slot}) on no node`);
  }
  return lost;
}

/**
 * Whether a slot lies inside a jump of an applied log's ascending slots: a learner applies slot
 * after slot and skips only what an installed snapshot covers (Learner.install), so every gap is
 * a snapshot's span.
 */
export function snapshotJumps(slots: readonly number[]): (slot: number) => boolean {
  const gaps: [number, number][] = [];
  for (let index = 1; index < slots.length; index += 1) {
    const before = slots[index - 1] as number;
    const after = slots[index] as number;
    if (after > before + 1) gaps.push([before, after]);
  }
  return (slot) => gaps.some(([before, after]) => slot > before && slot < after);
}

/** What a node that did not catch up says of itself, for the report. */
async function standingOf(handle: ClusterHandle, id: string): Promise<string> {
  try {
    const status = await handle.nodeStatus(id);
    return `standing ${status.paxos.standing}, leader ${status.paxos.leaderId ?? 'unknown'}`;
  } catch (error) {
    return `no status: ${String(error)}`;
  }
}

/** The EV emulator on the cluster's charge points: the default scenario, paced to the run. */
function startEvEmulator(dir: string, durationMs: number): ChildProcess {
  const speed = Math.max(1, Math.min(100, Math.round(600_000 / Math.max(durationMs, 1))));
  const out = fs.openSync(path.join(dir, 'logs', 'ev-emulator.log'), 'a');
  const child = spawn(
    process.execPath,
    [
      EVPAXOS_BIN,
      'ev-emulator',
      '--cluster-file',
      path.join(dir, 'cluster.json'),
      '--speed',
      String(speed),
    ],
    { stdio: ['ignore', out, out] },
  );
  fs.closeSync(out);
  return child;
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

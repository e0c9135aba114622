import { expect } from 'chai';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decidedSlotsOf, type DecidedSlot } from '@evpaxos/runtime';
import type { ClusterHandle } from '../src/launcher';
import { readLogDir, verifyDir, type LogLine } from '../src/verify';
import { waitFor } from './cluster-harness';

/** What the end-to-end site tests share: the EV emulator as a process, log lines, verify. */

const bin = path.resolve(__dirname, '../../bin/evpaxos.js');

/**
 * Every slot record of every node's "decided" lines (docs/CLUSTER.md, "The decided record"): a
 * central's lists the commands, a charge point's their digest only.
 */
export function decidedSlots(cluster: ClusterHandle): (DecidedSlot & { node: string })[] {
  return lines(cluster, 'decided').flatMap((line) =>
    decidedSlotsOf(line.fields, line.timestampMs).map((slot) => ({ ...slot, node: line.node })),
  );
}

/** Runs the EV emulator as its own process, its log in the cluster's logs dir; resolves on exit. */
export function runEmulator(
  cluster: ClusterHandle,
  speed: number,
  scenario?: object | string,
): Promise<number> {
  const logs = path.join(cluster.dir, 'logs');
  const args = [bin, 'ev-emulator', '--dir', cluster.dir, '--speed', String(speed)];
  if (typeof scenario === 'string') {
    args.push('--scenario', scenario);
  } else if (scenario) {
    const file = path.join(cluster.dir, 'scenario.json');
    fs.writeFileSync(file, JSON.stringify(scenario));
    args.push('--scenario', file);
  }
  const out = fs.openSync(path.join(logs, 'ev-emulator.log'), 'a');
  const child = spawn(process.execPath, args, { stdio: ['ignore', out, out] });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

export function lines(cluster: ClusterHandle, message: string): LogLine[] {
  return readLogDir(cluster.dir).lines.filter((line) => line.message === message);
}

/**
 * Every node of the cluster still runs (none was killed by the scenario): a node that died on its
 * own shows here by name, not as a symptom elsewhere (a partition's majority side that "never
 * elects" because one of its acceptors is gone). Its log ends with the reason.
 */
export function expectAllRunning(cluster: ClusterHandle): void {
  const gone = cluster.nodes.filter((node) => !cluster.isRunning(node.id)).map((node) => node.id);
  expect(gone, 'nodes that exited during the run (see their logs)').to.deep.equal([]);
}

export function expectVerified(cluster: ClusterHandle): void {
  const report = verifyDir(cluster.dir);
  const failed = report.results.filter((result) => !result.pass);
  expect(
    failed.map((result) => `${result.property}: ${result.counterexample ?? result.evidence}`),
  ).to.deep.equal([]);
}

/**
 * Per charge point, the RenewLeases slots that renewed or tried to renew it, in `nodeId`'s applied
 * log (GET /log: the payloads, which the decided log line does not carry).
 */
export async function renewalSlotsByChargePoint(
  cluster: ClusterHandle,
  nodeId: string,
): Promise<Map<string, number[]>> {
  const slots = new Map<string, number[]>();
  for (const entry of (await cluster.log(nodeId)).entries) {
    for (const { payload } of entry.commands) {
      const command = payload as { type?: string; renewals?: { chargePointId: string }[] };
      if (command.type !== 'RenewLeases') continue;
      for (const { chargePointId } of command.renewals ?? []) {
        slots.set(chargePointId, [...(slots.get(chargePointId) ?? []), entry.slot]);
      }
    }
  }
  return slots;
}

/**
 * Waits until every charge point was named in `renewalsEachMin` lease renewals (as cp1 applied
 * them): the site's steady state. A scenario at high speed would otherwise have its minute 1 inside
 * the first lease after boot, while new charge points are still held at no power
 * (make-before-break, lease.ts).
 */
export async function waitForSettledLeases(
  cluster: ClusterHandle,
  leaseMs: number,
  renewalsEachMin = 2,
): Promise<void> {
  const chargePointIds = cluster.nodes
    .filter((node) => node.role === 'charge-point')
    .map((node) => node.id);
  await waitFor(
    `${renewalsEachMin} lease renewals of each charge point`,
    10 * leaseMs + chargePointIds.length * 500,
    async () => {
      const slots = await renewalSlotsByChargePoint(cluster, 'cp1');
      const settled = chargePointIds.every((id) => (slots.get(id)?.length ?? 0) >= renewalsEachMin);
      return settled ? true : undefined;
    },
    250,
  );
}

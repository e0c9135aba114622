import { expect } from 'chai';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  clusterUp,
  readProcesses,
  type ClusterHandle,
  type ClusterUpOptions,
  type SubmitResult,
} from '../src/launcher';
import type { LogView } from '@evpaxos/runtime';

/**
 * What the cluster integration tests share: clusters that are always brought down, waits with
 * deadlines instead of sleeps, and the end-of-test checks named after the guarantees they check
 * (docs/DESIGN.md, "Properties checked everywhere").
 */

/** The evpaxos entry point the CLI tests run. */
export const cliBin = path.resolve(__dirname, '../../bin/evpaxos.js');

const liveClusters = new Set<ClusterHandle>();

// Last line of defence: if mocha dies or is interrupted between a test and its hook, no node may
// outlive it. Synchronous, because 'exit' handlers cannot wait.
process.on('exit', () => {
  for (const cluster of liveClusters) {
    try {
      for (const node of readProcesses(cluster.dir).nodes) {
        try {
          process.kill(node.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    } catch {
      // No table.
    }
  }
});

/**
 * Registers an `afterEach` that brings down every cluster the test started, whatever happened,
 * and removes its directory when the test passed (a failed test's logs are kept and named).
 */
export function useClusters(): {
  up: (name: string, options?: Partial<ClusterUpOptions>) => Promise<ClusterHandle>;
} {
  const started: ClusterHandle[] = [];
  afterEach(async function () {
    const failed = this.currentTest?.state === 'failed';
    for (const cluster of started.splice(0)) {
      await cluster.down();
      liveClusters.delete(cluster);
      if (failed) console.log(`      logs kept in ${cluster.dir}/logs`);
      else fs.rmSync(cluster.dir, { recursive: true, force: true });
    }
  });
  return {
    up: async (name, options = {}) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `evpaxos-${name}-`));
      const pending = clusterUp({ dir, basePort: 0, tickMs: 10, ...options });
      // Registered before the wait, so a cluster that fails to elect is still brought down.
      const handle = await pending.catch((error: unknown) => {
        fs.rmSync(dir, { recursive: true, force: true });
        throw error;
      });
      started.push(handle);
      liveClusters.add(handle);
      return handle;
    },
  };
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${why}.`);
    }
    await sleep(intervalMs);
  }
}

/** Ids of the nodes that run and are not paused. */
export function liveNodes(cluster: ClusterHandle): string[] {
  return cluster.nodes
    .filter((node) => cluster.isRunning(node.id) && !node.paused)
    .map((node) => node.id);
}

/** Resolves once every live node has applied as far as the furthest one. */
export async function waitForConvergence(
  cluster: ClusterHandle,
  timeoutMs = 10_000,
): Promise<number> {
  return waitFor('every live node to apply the same slots', timeoutMs, async () => {
    const statuses = await Promise.all(liveNodes(cluster).map((id) => cluster.nodeStatus(id)));
    const applied = statuses.map((s) => s.paxos.appliedThrough);
    const max = Math.max(...applied);
    return applied.every((value) => value === max) ? max : undefined;
  });
}

function commandKey(command: LogView['entries'][number]['commands'][number]): string {
  return JSON.stringify([command.clientId, command.seq, command.payload, command.duplicate]);
}

/**
 * The end of every test: waits until the live nodes converge, then checks
 * - agreement: every live node's decided log holds the same commands slot by slot, with no gap;
 * - durability: every acknowledged command is in every log, at the slot it was acknowledged in.
 * Returns the common appliedThrough.
 */
export async function checkLogsAgree(
  cluster: ClusterHandle,
  acknowledged: readonly SubmitResult[],
): Promise<number> {
  const appliedThrough = await waitForConvergence(cluster);
  const ids = liveNodes(cluster);
  const logs = await Promise.all(ids.map((id) => cluster.log(id)));
  const reference = new Map<number, { id: string; key: string }>();
  logs.forEach((log, index) => {
    const id = ids[index]!;
    // With service ports, the site keeps deciding in the background (lease renewals): logs only
    // grow, so each node must have reached the converged point, and may be past it.
    expect(log.appliedThrough, `${id} appliedThrough`).to.be.at.least(appliedThrough);
    log.entries.forEach((entry, position) => {
      const previous = log.entries[position - 1];
      if (previous)
        expect(entry.slot, `${id}: no gap after slot ${previous.slot}`).to.equal(previous.slot + 1);
      const key = entry.commands.map(commandKey).join('|');
      const seen = reference.get(entry.slot);
      if (!seen) reference.set(entry.slot, { id, key });
      else expect(key, `slot ${entry.slot}: ${id} disagrees with ${seen.id}`).to.equal(seen.key);
    });
    const last = log.entries[log.entries.length - 1];
    if (last) expect(last.slot, `${id}: last entry`).to.equal(log.appliedThrough);
  });
  for (const ack of acknowledged) {
    logs.forEach((log, index) => {
      const entry = log.entries.find((candidate) => candidate.slot === ack.slot);
      const found = entry?.commands.some(
        (command) => command.clientId === ack.clientId && command.seq === ack.seq,
      );
      expect(found, `${ids[index]!} lost ${ack.clientId} #${ack.seq} (slot ${ack.slot})`).to.equal(
        true,
      );
    });
  }
  return appliedThrough;
}

/** Submits in a loop until stopped; every acknowledged result is kept for the final check. */
export function startLoad(cluster: ClusterHandle, label: string) {
  const acknowledged: SubmitResult[] = [];
  const failures: string[] = [];
  let running = true;
  const loop = (async () => {
    for (let index = 0; running; index += 1) {
      try {
        // A site command (the central refuses anything else with 400): a Noop carrying the label.
        acknowledged.push(
          await cluster.submit({ type: 'Noop', load: label, index }, { timeoutMs: 12_000 }),
        );
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  })();
  return {
    acknowledged,
    failures,
    stop: async (): Promise<void> => {
      running = false;
      await loop;
    },
  };
}

/** Runs `evpaxos ARGS --dir <the cluster's dir>` as its own process; resolves with its exit and output. */
export function runCli(
  cluster: ClusterHandle,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCliIn(cluster.dir, args);
}

/**
 * Runs `evpaxos ARGS --dir DIR` as its own process; resolves with its exit and output. Async, so a
 * test can start independent CLI runs together: each is a Node start, seconds on a loaded host.
 */
export function runCliIn(
  dir: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliBin, ...args, '--dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

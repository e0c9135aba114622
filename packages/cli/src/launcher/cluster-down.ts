import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isGone, isNodeAlive, signalNode, type ProcessRecord } from '@evpaxos/runtime';
import { DOWN_GRACE_MS, POLL_INTERVAL_MS } from './cluster-defaults';
import { LauncherError } from './errors';
import { readProcesses, writeProcesses } from './process-table';

export interface DownResult {
  /** Nodes that exited on SIGTERM. */
  readonly stopped: string[];
  /** Nodes that needed SIGKILL after the grace period. */
  readonly killed: string[];
  /** Nodes that were not running. */
  readonly alreadyDown: string[];
}

/**
 * Stops every node recorded in `<dir>/processes.json`: SIGTERM (and SIGCONT, so a paused node
 * can act on it), then SIGKILL whatever still runs after `graceMs`. Deletes nothing: logs, data
 * and the two JSON files stay for inspection and for a later `up` in the same dir.
 */
export async function clusterDown(dir: string, graceMs = DOWN_GRACE_MS): Promise<DownResult> {
  const table = readProcesses(path.resolve(dir));
  const result: DownResult = { stopped: [], killed: [], alreadyDown: [] };
  const running = table.nodes.filter((node) => {
    if (isNodeAlive(node.pid, node.id)) return true;
    result.alreadyDown.push(node.id);
    return false;
  });
  for (const node of running) {
    signalNode(node.pid, 'SIGTERM');
    signalNode(node.pid, 'SIGCONT');
  }
  const graceDeadline = Date.now() + graceMs;
  while (running.some((n) => isNodeAlive(n.pid, n.id)) && Date.now() < graceDeadline) {
    await sleep(POLL_INTERVAL_MS);
  }
  for (const node of running) {
    if (isNodeAlive(node.pid, node.id)) {
      signalNode(node.pid, 'SIGKILL');
      result.killed.push(node.id);
    } else {
      result.stopped.push(node.id);
    }
  }
  await waitForExit(running, 5_000);
  for (const node of table.nodes) node.paused = false;
  delete table.faults;
  writeProcesses(table);
  return result;
}

/** How long we wait for a dead node's zombie to be reaped before restarting it anyway. */
export const REAP_WAIT_MS = 5_000;

export async function waitForExit(
  nodes: readonly ProcessRecord[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (nodes.some((n) => isNodeAlive(n.pid, n.id))) {
    if (Date.now() > deadline) {
      const left = nodes.filter((n) => isNodeAlive(n.pid, n.id)).map((n) => `${n.id} (${n.pid})`);
      throw new LauncherError('start-failed', `Still running after SIGKILL: ${left.join(', ')}.`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/** Dead is not enough before a restart: the old pid must be reaped too (see `isGone`). */
export async function waitForReaped(node: ProcessRecord): Promise<void> {
  const deadline = Date.now() + REAP_WAIT_MS;
  while (node.pid > 0 && !isGone(node.pid) && Date.now() < deadline) {
    await sleep(POLL_INTERVAL_MS);
  }
}

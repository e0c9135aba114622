import * as fs from 'node:fs';
import * as path from 'node:path';
import { startNodeProcess, writeJsonAtomically } from '@evpaxos/runtime';
import type { FaultRule, Role } from './api-types';
import { LauncherError } from './errors';

/** One started node, as `<dir>/processes.json` records it (docs/CLUSTER.md, "Launcher"). */
export interface ProcessRecord {
  readonly id: string;
  readonly role: Role;
  /** The pid of the latest start; 0 before the first one. */
  pid: number;
  readonly host: string;
  readonly clusterPort: number;
  readonly httpPort: number;
  /**
   * The role's service port: a central's OCPP-J (CSMS) endpoint, a charge point's EV link
   * (ws://host:servicePort/ev). Absent in a processes.json written before service ports existed.
   */
  readonly servicePort?: number;
  readonly logFile: string;
  /** A charge point's acceptor store; null for a central (it keeps nothing on disk). */
  readonly dataDir: string | null;
  /** The arguments after the Node executable: a restart runs exactly these again. */
  readonly args: readonly string[];
  /**
   * Extra environment for the node, kept so a restart gets it again: `cluster up --lab` records
   * `EVPAXOS_LAB=1` and `EVPAXOS_CLUSTER_DIR` here. Absent before lab mode existed.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Set by `pause` (SIGSTOP), cleared by `resume`: a stopped process cannot say so itself. */
  paused?: boolean;
}

export interface ProcessesFile {
  readonly dir: string;
  readonly clusterFile: string;
  readonly startedAt: string;
  readonly nodes: ProcessRecord[];
  /**
   * The fault rules the launcher put on each node (partition), so a restarted node gets them
   * again: the rules live in the process's memory and would otherwise vanish with it.
   */
  faults?: Record<string, FaultRule[]>;
}

export const PROCESSES_FILE = 'processes.json';

export function processesPath(dir: string): string {
  return path.join(dir, PROCESSES_FILE);
}

/** Reads `<dir>/processes.json`, or throws `no-cluster`. */
export function readProcesses(dir: string): ProcessesFile {
  const file = processesPath(dir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new LauncherError(
        'no-cluster',
        `No cluster in ${dir}: ${file} does not exist (start one with "evpaxos cluster up --dir ${dir}").`,
      );
    }
    throw error;
  }
  try {
    return JSON.parse(text) as ProcessesFile;
  } catch {
    throw new LauncherError('no-cluster', `${file} is not valid JSON: remove it and start again.`);
  }
}

/** Written to a temporary file and renamed, so a reader never sees half a table. */
export function writeProcesses(table: ProcessesFile): void {
  writeJsonAtomically(processesPath(table.dir), table);
}

export function findNode(table: ProcessesFile, id: string): ProcessRecord {
  const node = table.nodes.find((candidate) => candidate.id === id);
  if (!node) {
    throw new LauncherError(
      'unknown-node',
      `Unknown node "${id}": this cluster has ${table.nodes.map((n) => n.id).join(', ')}.`,
    );
  }
  return node;
}

/** Starts the node (runtime's startNodeProcess); a start without a pid is `start-failed`. */
export function startProcess(node: ProcessRecord): number {
  try {
    return startNodeProcess(node);
  } catch (error) {
    throw new LauncherError('start-failed', (error as Error).message);
  }
}

/** The last lines of a node's log, to explain why it did not come up. */
export function logTail(logFile: string, lines = 8): string {
  try {
    const text = fs.readFileSync(logFile, 'utf8').trimEnd();
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

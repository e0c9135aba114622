import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FaultRule, Role } from './api-types';
import { LauncherError } from './errors';

/** One started node, as `<dir>/processes.json` records it (contract.md, "Launcher"). */
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
  const file = processesPath(table.dir);
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(table, null, 2)}\n`);
  fs.renameSync(temporary, file);
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

/**
 * Whether `pid` is a live process started for node `id`. On Linux we read /proc so a zombie
 * (dead, not yet reaped) counts as dead and a recycled pid that now runs something else is not
 * mistaken for our node; elsewhere, signal 0 is the best we have.
 */
export function isAlive(pid: number, id?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised command name, which may itself contain ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    if (id !== undefined) {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const at = argv.indexOf('--id');
      if (at >= 0 && argv[at + 1] !== id) return false;
      if (at < 0) return false;
    }
  } catch {
    // No /proc (macOS): trust signal 0.
  }
  return true;
}

/**
 * Whether the pid is gone from the process table altogether — not even a zombie. A zombie is
 * dead, but a charge point's store lock (storage/dir-lock.ts) probes its holder with signal 0,
 * which still succeeds on a zombie; a node restarted before its old process is reaped would be
 * refused its own data dir. Processes whose launcher exited are reaped by PID 1, with a delay.
 */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Whether the process is stopped by SIGSTOP (state T), read from /proc where there is one. */
export function isStopped(pid: number): boolean | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'T';
  } catch {
    return null;
  }
}

/**
 * Starts the node as its own detached OS process (its own process group, so a Ctrl-C at the
 * launcher's terminal does not reach it), stdout and stderr appended to its log file.
 */
export function startProcess(node: ProcessRecord): number {
  fs.mkdirSync(path.dirname(node.logFile), { recursive: true });
  if (node.dataDir !== null) fs.mkdirSync(node.dataDir, { recursive: true });
  const out = fs.openSync(node.logFile, 'a');
  try {
    const child = spawn(process.execPath, [...node.args], {
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...process.env, ...node.env, FORCE_COLOR: '0' },
    });
    if (child.pid === undefined) {
      throw new LauncherError('start-failed', `Could not start ${node.id}: no pid.`);
    }
    // A failure to exec shows up as an 'error' event; the readiness wait reports it from the log.
    child.on('error', () => undefined);
    child.unref();
    return child.pid;
  } finally {
    fs.closeSync(out);
  }
}

/** Sends a signal; a process that is already gone is not an error. */
export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
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

/**
 * Starting and watching node processes from outside: what the launcher (`evpaxos cluster …`) and a
 * lab-mode dashboard (restarting a node from the page) both do with the records of
 * `<dir>/processes.json`. One copy here, so the two cannot drift apart.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What it takes to start one node again: the fields of a processes.json record read here. */
export interface NodeProcessSpec {
  readonly id: string;
  readonly logFile: string;
  /** A charge point's acceptor store (created if missing); null for a central. */
  readonly dataDir: string | null;
  /** The arguments after the Node executable: a restart runs exactly these again. */
  readonly args: readonly string[];
  /** Extra environment (the launcher's MALLOC_* settings; lab mode's EVPAXOS_LAB and EVPAXOS_CLUSTER_DIR). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Starts the node as its own detached OS process (its own process group, so a Ctrl-C at the
 * starter's terminal does not reach it), stdout and stderr appended to its log file; returns the
 * pid. Throws when the OS gives no pid; a failure to exec shows up later, in the log.
 */
export function startNodeProcess(node: NodeProcessSpec): number {
  fs.mkdirSync(path.dirname(node.logFile), { recursive: true });
  if (node.dataDir !== null) fs.mkdirSync(node.dataDir, { recursive: true });
  const out = fs.openSync(node.logFile, 'a');
  try {
    const child = spawn(process.execPath, [...node.args], {
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...process.env, ...node.env, FORCE_COLOR: '0' },
    });
    if (child.pid === undefined) throw new Error(`Could not start ${node.id}: no pid.`);
    child.on('error', () => undefined);
    child.unref();
    return child.pid;
  } finally {
    fs.closeSync(out);
  }
}

/** The one-letter state from /proc/<pid>/stat, or null where there is no /proc. */
function procState(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised command name, which may itself contain ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

/**
 * Whether `pid` is a live process started for node `id`. On Linux /proc is read, so a zombie
 * (dead, not yet reaped) counts as dead and a recycled pid that now runs something else is not
 * mistaken for the node; elsewhere, signal 0 is the best there is.
 */
export function isNodeAlive(pid: number, id?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const state = procState(pid);
  if (state === null) return true; // No /proc (macOS): trust signal 0.
  if (state === 'Z' || state === 'X') return false;
  if (id === undefined) return true;
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const at = argv.indexOf('--id');
    return at >= 0 && argv[at + 1] === id;
  } catch {
    return true; // Gone between the two reads, or no permission: signal 0 said it was there.
  }
}

/**
 * Whether the pid is gone from the process table altogether — not even a zombie. A zombie is
 * dead, but a charge point's store lock (storage/dir-lock.ts) probes its holder with signal 0,
 * which still succeeds on a zombie; a node restarted before its old process is reaped would be
 * refused its own data dir. Processes whose starter exited are reaped by PID 1, with a delay.
 */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Sends a signal; a process that is already gone is not an error. */
export function signalNode(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Writes JSON to a temporary file and renames it over `file`: a reader never sees half of it. */
export function writeJsonAtomically(file: string, value: unknown): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(temporary, file);
}

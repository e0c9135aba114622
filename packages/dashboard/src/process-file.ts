/**
 * The little the dashboard needs of the launcher's `<dir>/processes.json` to restart a node in lab
 * mode. The shape is @evpaxos/cli's ProcessesFile (packages/cli/src/launcher/process-table.ts),
 * duplicated here on purpose: the cli depends on this package (`evpaxos report`), so this package
 * cannot depend on the cli. Only the fields read or written here are declared; everything else in
 * the file is kept as it is when the file is rewritten.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ProcessRecordShape {
  readonly id: string;
  pid: number;
  readonly host: string;
  readonly httpPort: number;
  readonly logFile: string;
  readonly dataDir: string | null;
  /** The arguments after the Node executable. */
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  paused?: boolean;
}

export interface FaultRuleShape {
  readonly peer: string;
  readonly direction: 'in' | 'out' | 'both';
  readonly action: 'drop' | 'delay' | 'duplicate';
}

export interface ProcessesFileShape {
  readonly nodes: ProcessRecordShape[];
  faults?: Record<string, FaultRuleShape[]>;
}

export function processesFilePath(dir: string): string {
  return path.join(dir, 'processes.json');
}

export function readProcessesFile(dir: string): ProcessesFileShape {
  return JSON.parse(fs.readFileSync(processesFilePath(dir), 'utf8')) as ProcessesFileShape;
}

/** Written to a temporary file and renamed, as the launcher does: no reader sees half a table. */
export function writeProcessesFile(dir: string, table: ProcessesFileShape): void {
  const file = processesFilePath(dir);
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(table, null, 2)}\n`);
  fs.renameSync(temporary, file);
}

/** Whether `pid` is a live (not zombie) process started for node `id` (as the launcher checks it). */
export function isNodeAlive(pid: number, id: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const at = argv.indexOf('--id');
    return at >= 0 && argv[at + 1] === id;
  } catch {
    return true; // No /proc: trust signal 0.
  }
}

/** Gone from the process table, not even a zombie (a charge point's store lock needs that). */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Starts the node detached, as the launcher's startProcess does; returns its pid. */
export function spawnNode(node: ProcessRecordShape): number {
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

import * as fs from 'node:fs';
import {
  processesPath,
  readProcessesFile,
  startNodeProcess,
  writeProcessesFile,
  type ProcessRecord,
  type ProcessesFile,
} from '@evpaxos/runtime';
import { LauncherError } from './errors';

// processes.json's shape and its reader and writer are the runtime's (a lab dashboard rewrites
// the file too); the launcher adds its errors and its lookups.
export type { ProcessRecord, ProcessesFile };

/** Reads `<dir>/processes.json`, or throws `no-cluster`. */
export function readProcesses(dir: string): ProcessesFile {
  const file = processesPath(dir);
  try {
    return readProcessesFile(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new LauncherError(
        'no-cluster',
        `No cluster in ${dir}: ${file} does not exist (start one with "evpaxos cluster up --dir ${dir}").`,
      );
    }
    if (error instanceof SyntaxError) {
      throw new LauncherError(
        'no-cluster',
        `${file} is not valid JSON: remove it and start again.`,
      );
    }
    throw error;
  }
}

/** Written to a temporary file and renamed, so a reader never sees half a table. */
export function writeProcesses(table: ProcessesFile): void {
  writeProcessesFile(table.dir, table);
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

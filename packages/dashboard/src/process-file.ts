/**
 * The little the dashboard needs of the launcher's `<dir>/processes.json` to restart a node in lab
 * mode. The shape is @evpaxos/cli's ProcessesFile (packages/cli/src/launcher/process-table.ts);
 * the cli depends on this package (`evpaxos report`), so this package cannot import it, and only
 * the fields read or written here are declared: everything else in the file is kept as it is when
 * the file is rewritten. Starting and probing processes is @evpaxos/runtime's, shared with the
 * launcher.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomically } from '@evpaxos/runtime';

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
  writeJsonAtomically(processesFilePath(dir), table);
}

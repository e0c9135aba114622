/**
 * `<dir>/processes.json`, the launcher's table of the nodes it started (docs/CLUSTER.md,
 * "Launcher"), defined once here: the launcher (`evpaxos cluster …`) writes and reads it, and a
 * lab-mode dashboard (a node process, which must not import the cli) restarts nodes and records
 * fault rules in it. Both import this module, so neither owns a copy of the other's file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FaultRule } from '@evpaxos/transport';
import type { NodeRole } from './constants';
import { writeJsonAtomically, type NodeProcessSpec } from './node-process';

/** One started node, as processes.json records it. */
export interface ProcessRecord extends NodeProcessSpec {
  readonly role: NodeRole;
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
   * The fault rules put on each node (the launcher's partition, the lab dashboard's), so a
   * restarted node gets them again: the rules live in the process's memory and would otherwise
   * vanish with it.
   */
  faults?: Record<string, FaultRule[]>;
}

const PROCESSES_FILE = 'processes.json';

export function processesPath(dir: string): string {
  return path.join(dir, PROCESSES_FILE);
}

/**
 * Reads `<dir>/processes.json`. Throws what fs and JSON.parse throw (ENOENT when there is no
 * cluster, a SyntaxError for a damaged file): each caller says so in its own words.
 */
export function readProcessesFile(dir: string): ProcessesFile {
  return JSON.parse(fs.readFileSync(processesPath(dir), 'utf8')) as ProcessesFile;
}

/** Written to a temporary file and renamed, so a reader never sees half a table. */
export function writeProcessesFile(dir: string, table: ProcessesFile): void {
  writeJsonAtomically(processesPath(dir), table);
}

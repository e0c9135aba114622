import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { AcceptedEntry, Ballot, Snapshot } from '@evpaxos/paxos';
import type { Logger } from '../src/types';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  meta?: Record<string, unknown>;
}

/** A logger that keeps what it was told, so tests can check that a cut tail was reported. */
export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (message: string, meta?: Record<string, unknown>): void => {
      lines.push(meta === undefined ? { level, message } : { level, message, meta });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export async function makeTempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'evpaxos-storage-'));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export function ballot(round: number, proposerId = 'central-a'): Ballot {
  return { round, proposerId };
}

/** An accepted entry of about 200 encoded bytes: one command with a short payload. */
export function entry(slot: number, round = 1, note = 'reserve'): AcceptedEntry {
  return {
    slot,
    ballot: ballot(round),
    value: {
      commands: [
        {
          clientId: 'ev-emulator',
          seq: slot,
          payload: { type: 'Reserve', chargePointId: 'cp1', connectorId: 1, note },
        },
      ],
    },
  };
}

export function snapshot(appliedThrough: number): Snapshot {
  return {
    appliedThrough,
    state: { reservations: { cp1: appliedThrough }, sessions: [1, 2, 3], limitW: 44_000.5 },
    // Empty, so these tests do not follow every change of the core's duplicate table.
    clients: {},
  };
}

import { randomInt } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import {
  IDENTITY_FILE_NAME,
  LOG_FILE_NAME,
  LOG_TMP_FILE_NAME,
  SYNCED_FILE_NAME,
} from './constants';
import { syncDir } from './data-dir-records';

/**
 * Starting again after a loss (docs/STORAGE.md, "Knowing what was lost"): what is left of the state
 * the node can no longer trust is moved aside, never deleted (someone may want to look at it), and
 * the dir starts over under a new incarnation, which votes only once a decided in-place replace
 * names it (docs/PAXOS.md, "Joining and re-admission").
 */

/** The files of an acceptor's state: everything but the lock and earlier set-asides. */
const STATE_FILES = [LOG_FILE_NAME, LOG_TMP_FILE_NAME, SYNCED_FILE_NAME, IDENTITY_FILE_NAME];

/**
 * A new incarnation: random, so that no re-admission already in the log (of an earlier loss whose
 * IDENTITY went with the dir) can name it. Never 1, the incarnation of a dir's first state.
 */
export function newIncarnation(): number {
  return 2 + randomInt(2 ** 47);
}

/** Moves the state files into `<dataDir>/lost-<incarnation>/`; returns that dir. */
export async function setAsideLostState(
  dataDir: string,
  incarnation: number,
  syncEnabled: boolean,
): Promise<string> {
  const aside = path.join(dataDir, `lost-before-${incarnation}`);
  await fsp.mkdir(aside, { recursive: true });
  for (const name of STATE_FILES) {
    try {
      await fsp.rename(path.join(dataDir, name), path.join(aside, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  if (syncEnabled) syncDir(dataDir);
  return aside;
}

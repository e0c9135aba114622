import { promises as fsp, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LOCK_FILE_NAME } from './constants';
import { StoreError } from './errors';
import type { Logger } from './types';

/**
 * Data dirs this process holds. A lock file naming our own pid is ours only if it is in here: in a
 * container every fresh process may be pid 1, so a lock left by the previous run of the container
 * names our pid too, and must count as stale.
 */
const lockedDirs = new Set<string>();

/**
 * A pid lock: the LOCK file is created with O_EXCL ('wx') and holds the owner's pid. A lock whose
 * process is gone (killed, crashed) is stale and is taken over, so a node restarts after SIGKILL
 * without a person deleting files.
 *
 * Known gap: two processes that start at the same instant on a dir with a stale lock could both
 * remove it and both win. One process per data dir is the deployment (one container per node);
 * the lock is there to catch a person's mistake, not to referee a race.
 */
export async function acquireDirLock(
  dataDir: string,
  logger: Logger,
): Promise<() => Promise<void>> {
  const dir = path.resolve(dataDir);
  const lockPath = path.join(dir, LOCK_FILE_NAME);
  if (lockedDirs.has(dir)) {
    throw new StoreError('ERR_STORE_LOCKED', `data dir ${dir} is already open in this process`);
  }
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await fsp.open(lockPath, 'wx');
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      lockedDirs.add(dir);
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        lockedDirs.delete(dir);
        await fsp.rm(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const ownerPid = Number.parseInt(await fsp.readFile(lockPath, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(ownerPid) && ownerPid !== process.pid && isProcessAlive(ownerPid)) {
      throw new StoreError(
        'ERR_STORE_LOCKED',
        `data dir ${dir} is in use by process ${ownerPid} (${lockPath}); two acceptors must never share one store`,
      );
    }
    logger.warn('storage: taking over a stale lock', { lockPath, ownerPid });
    await fsp.rm(lockPath, { force: true });
  }
  throw new StoreError(
    'ERR_STORE_LOCKED',
    `could not take the lock ${lockPath}: another process keeps creating it`,
  );
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else — alive all the same.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A killed process its parent has not reaped yet still answers kill(pid, 0), but it holds no file
 * and writes nothing: its lock is stale. Linux shows it as state Z in /proc; elsewhere we cannot
 * tell, and treat it as alive (the safe side).
 */
function isZombie(pid: number): boolean {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return /^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}

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
 * A pid lock: the LOCK file is created with O_EXCL ('wx') and holds the owner's pid and, where
 * Linux shows it, the owner's start time (clock ticks since boot, /proc/PID/stat field 22). A lock
 * whose process is gone (killed, crashed) is stale and is taken over, so a node restarts after
 * SIGKILL without a person deleting files. In a restarted container the old pid is often taken
 * again by something else — a thread of the new node process (Linux answers kill(tid, 0) for
 * threads too) or the healthcheck — so a pid that is a thread, or a process that started at
 * another time than the lock's owner, does not hold the lock.
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
        const startTicks = processStartTicks(process.pid);
        await handle.writeFile(
          `${process.pid}${startTicks === undefined ? '' : ` ${startTicks}`}\n`,
        );
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
    const [ownerPid, ownerStartTicks] = parseLock(
      await fsp.readFile(lockPath, 'utf8').catch(() => ''),
    );
    if (
      ownerPid !== undefined &&
      ownerPid !== process.pid &&
      holdsLock(ownerPid, ownerStartTicks)
    ) {
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

/** The lock file's "PID [START_TICKS]"; undefined for what is missing or not a number. */
function parseLock(text: string): [number | undefined, number | undefined] {
  const [pidText, startText] = text.trim().split(/\s+/);
  const pid = Number.parseInt(pidText ?? '', 10);
  const start = Number.parseInt(startText ?? '', 10);
  return [Number.isInteger(pid) ? pid : undefined, Number.isInteger(start) ? start : undefined];
}

/** Whether the lock's owner still runs: that pid is alive, a process (not a thread), and the same start. */
function holdsLock(pid: number, startTicks: number | undefined): boolean {
  if (!isProcessAlive(pid)) return false;
  const threadGroupId = procStatusField(pid, 'Tgid');
  if (threadGroupId !== undefined && threadGroupId !== pid) return false;
  if (startTicks === undefined) return true;
  const nowTicks = processStartTicks(pid);
  return nowTicks === undefined || nowTicks === startTicks;
}

/** /proc/PID/stat field 22 (starttime); undefined where there is no /proc. */
function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) is in parentheses and may hold spaces: count from the last ')'. The fields
    // after it start at field 3, so starttime (22) is the 20th.
    const value = Number.parseInt(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '', 10);
    return Number.isInteger(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function procStatusField(pid: number, name: string): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const value = Number.parseInt(
      new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? '',
      10,
    );
    return Number.isInteger(value) ? value : undefined;
  } catch {
    return undefined;
  }
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

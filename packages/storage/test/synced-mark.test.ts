// The module object itself (not an import-star copy of getters), so the test can wrap its syncs.
import fs from 'node:fs';
import { expect } from 'chai';
import { SyncedMark } from '../src/data-dir-records';
import { StoreError } from '../src/errors';
import { FileStore } from '../src/file-store';
import { makeTempDir, recordingLogger, removeDir } from './helpers';

/**
 * SYNCED's background fdatasync (docs/STORAGE.md, "Knowing what was lost"): at most one per
 * interval, so a commit does not pay a second disk flush; the record itself is always the latest.
 */
describe('SyncedMark', () => {
  let dataDir: string;
  let background = 0;
  let foreground = 0;
  const original = { fdatasync: fs.fdatasync, fdatasyncSync: fs.fdatasyncSync };

  beforeEach(async () => {
    dataDir = await makeTempDir();
    background = 0;
    foreground = 0;
    // Counted, then passed on: the test process syncs nothing else meanwhile.
    (fs as { fdatasync: typeof fs.fdatasync }).fdatasync = ((fd: number, callback) => {
      background += 1;
      original.fdatasync(fd, callback);
    }) as typeof fs.fdatasync;
    (fs as { fdatasyncSync: typeof fs.fdatasyncSync }).fdatasyncSync = (fd: number) => {
      foreground += 1;
      original.fdatasyncSync(fd);
    };
  });
  afterEach(async () => {
    (fs as { fdatasync: typeof fs.fdatasync }).fdatasync = original.fdatasync;
    (fs as { fdatasyncSync: typeof fs.fdatasyncSync }).fdatasyncSync = original.fdatasyncSync;
    await removeDir(dataDir);
  });

  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  async function until(condition: () => boolean): Promise<void> {
    while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  it('syncs the first advance at once and the rest at most once per interval; close syncs the last', async () => {
    const mark = SyncedMark.open(dataDir, 8, true, (error) => expect.fail(error.message), 60_000);
    expect(foreground).to.equal(1); // open writes and syncs the record before it returns
    for (let bytes = 100; bytes <= 5_000; bytes += 100) {
      mark.advance(bytes);
      await turn();
    }
    await until(() => background === 1);
    for (let i = 0; i < 20; i += 1) await turn();
    expect(background).to.equal(1); // 50 advances, one background sync within the interval
    expect(SyncedMark.read(dataDir)).to.equal(5_000); // the record itself is never behind
    await mark.close();
    expect(foreground).to.equal(2); // the mark moved after the sync: close syncs it
    expect(SyncedMark.read(dataDir)).to.equal(5_000);
  });

  it('with an interval of 0, syncs again as soon as the previous sync returned', async () => {
    const mark = SyncedMark.open(dataDir, 8, true, (error) => expect.fail(error.message), 0);
    mark.advance(100);
    await until(() => background === 1);
    await turn(); // the sync's callback has run: none in flight
    mark.advance(200);
    await until(() => background === 2);
    await mark.close();
    expect(SyncedMark.read(dataDir)).to.equal(200);
  });

  it('syncs nothing in the background with fsync off', async () => {
    const mark = SyncedMark.open(dataDir, 8, false, (error) => expect.fail(error.message), 0);
    mark.advance(100);
    for (let i = 0; i < 10; i += 1) await turn();
    await mark.close();
    expect(background + foreground).to.equal(0);
    expect(SyncedMark.read(dataDir)).to.equal(100);
  });

  it('FileStore refuses a syncedSyncIntervalMs outside 0..60000 (ERR_STORE_CONFIG)', async () => {
    for (const syncedSyncIntervalMs of [-1, 0.5, 60_001]) {
      const error = await FileStore.open(
        { dataDir, syncedSyncIntervalMs },
        { logger: recordingLogger() },
      ).then(
        () => expect.fail('opened'),
        (e: StoreError) => e,
      );
      expect(error.code).to.equal('ERR_STORE_CONFIG');
      expect(error.message).to.include('syncedSyncIntervalMs must be an integer from 0 to 60000');
    }
  });
});

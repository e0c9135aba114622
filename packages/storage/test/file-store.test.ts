import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import type { PersistDelta } from '@evpaxos/paxos';
import { EncodedValue, encodeValue } from '@evpaxos/wire';
import { encodeSynced } from '../src/data-dir-records';
import { StoreError } from '../src/errors';
import { FileStore } from '../src/file-store';
import { ballot, entry, makeTempDir, recordingLogger, removeDir, snapshot } from './helpers';

const LOG_MAGIC_BYTES = 8;
const FRAME_HEADER_BYTES = 8;

describe('FileStore', () => {
  let dataDir: string;
  let logPath: string;
  beforeEach(async () => {
    dataDir = await makeTempDir();
    logPath = path.join(dataDir, 'acceptor.log');
  });
  afterEach(async () => {
    await removeDir(dataDir);
  });

  /** Appends each delta on its own (one record each); returns each record's start offset. */
  async function writeRecords(deltas: PersistDelta[]): Promise<number[]> {
    const store = await FileStore.open({ dataDir }, { logger: recordingLogger() });
    const offsets: number[] = [];
    for (const delta of deltas) {
      offsets.push(store.stats().logBytes);
      await store.append(delta);
    }
    await store.close();
    return offsets;
  }

  async function reopen(): Promise<{
    store: FileStore;
    logger: ReturnType<typeof recordingLogger>;
  }> {
    const logger = recordingLogger();
    return { store: await FileStore.open({ dataDir }, { logger }), logger };
  }

  /** Where the last record ends (the file goes on with zeros written ahead). */
  async function endOfLog(): Promise<number> {
    const { store } = await reopen();
    const end = store.stats().logBytes;
    await store.close();
    return end;
  }

  /**
   * What a crash during the last record's write leaves: SYNCED still names the end of the record
   * before it (it advances only after a record's fdatasync returned).
   */
  async function crashBeforeSyncOf(recordOffset: number): Promise<void> {
    await fsp.writeFile(path.join(dataDir, 'SYNCED'), encodeSynced(recordOffset));
  }

  async function flipByte(offset: number): Promise<void> {
    const file = await fsp.readFile(logPath);
    file[offset] = (file[offset] as number) ^ 0xff;
    await fsp.writeFile(logPath, file);
  }

  async function openError(): Promise<StoreError> {
    return FileStore.open({ dataDir }, { logger: recordingLogger() }).then(
      () => expect.fail('the store opened'),
      (error: StoreError) => error,
    );
  }

  const three: PersistDelta[] = [
    { promised: ballot(1), accepted: [entry(1)] },
    { accepted: [entry(2)] },
    { promised: ballot(2), accepted: [entry(3, 2)] },
  ];

  describe('recovery', () => {
    it('cuts a torn tail (file truncated mid-record), logs the cut and keeps earlier records', async () => {
      const offsets = await writeRecords(three);
      const lastOffset = offsets[2] as number;
      const size = await endOfLog();
      // Cut inside the header, right after it, and inside the payload.
      for (const cutAt of [lastOffset + 3, lastOffset + FRAME_HEADER_BYTES, size - 1]) {
        await crashBeforeSyncOf(lastOffset);
        await fsp.truncate(logPath, cutAt);
        const { store, logger } = await reopen();
        expect(await store.load()).to.deep.equal({
          promised: ballot(1),
          accepted: [entry(1), entry(2)],
        });
        await store.close();
        const cut = logger.lines.find((line) => line.message.includes('cut a torn tail'));
        expect(cut?.level).to.equal('warn');
        expect(cut?.meta).to.include({ offset: lastOffset, bytesCut: cutAt - lastOffset });
        expect((await fsp.stat(logPath)).size).to.equal(lastOffset);
        // Put a full third record back for the next cut point.
        const again = await reopen();
        await again.store.append(three[2] as PersistDelta);
        await again.store.close();
      }
    });

    it('cuts a last record with a flipped byte (bad checksum)', async () => {
      const offsets = await writeRecords(three);
      await crashBeforeSyncOf(offsets[2] as number);
      await flipByte((offsets[2] as number) + FRAME_HEADER_BYTES + 10);
      const { store, logger } = await reopen();
      expect((await store.load()).accepted).to.deep.equal([entry(1), entry(2)]);
      expect(logger.lines.some((l) => l.meta?.['reason'] === 'bad checksum')).to.equal(true);
      await store.close();
    });

    it('keeps zeros after the last record as free space, and appends right after the record', async () => {
      await writeRecords(three);
      const end = await endOfLog();
      // More zeros than it wrote ahead itself: a grown file whose data never reached the disk.
      await fsp.appendFile(logPath, Buffer.alloc(3 * 1024 * 1024));
      const first = await reopen();
      let store = first.store;
      expect((await store.load()).accepted).to.have.length(3);
      expect(store.stats().logBytes).to.equal(end);
      expect(first.logger.lines.filter((l) => l.level === 'warn')).to.deep.equal([]);
      await store.append({ accepted: [entry(4)] });
      await store.close();
      ({ store } = await reopen());
      expect((await store.load()).accepted.map((e) => e.slot)).to.deep.equal([1, 2, 3, 4]);
      await store.close();
    });

    it('cuts a last record whose end never left the zeros written ahead of it (bad checksum)', async () => {
      const offsets = await writeRecords(three);
      const end = await endOfLog();
      await crashBeforeSyncOf(offsets[2] as number);
      const file = await fsp.readFile(logPath);
      // A crash while overwriting the zeros: the third record's last bytes are still zeros.
      file.fill(0, end - 4, end);
      await fsp.writeFile(logPath, file);
      const { store, logger } = await reopen();
      expect((await store.load()).accepted).to.deep.equal([entry(1), entry(2)]);
      expect(logger.lines.some((l) => l.meta?.['reason'] === 'bad checksum')).to.equal(true);
      expect(store.stats().logBytes).to.equal(offsets[2]);
      await store.close();
    });

    it('appends after a cut tail and reads them back after another restart', async () => {
      const offsets = await writeRecords(three);
      await crashBeforeSyncOf(offsets[2] as number);
      await fsp.truncate(logPath, (offsets[2] as number) + 5);
      let { store } = await reopen();
      await store.append({ accepted: [entry(4)] });
      await store.close();
      ({ store } = await reopen());
      expect((await store.load()).accepted.map((e) => e.slot)).to.deep.equal([1, 2, 4]);
      await store.close();
    });

    it('refuses to start when a middle record is damaged and good ones follow (ERR_STORE_CORRUPT)', async () => {
      const offsets = await writeRecords(three);
      await flipByte((offsets[1] as number) + FRAME_HEADER_BYTES + 10);
      const sizeBefore = (await fsp.stat(logPath)).size;
      const error = await openError();
      expect(error.code).to.equal('ERR_STORE_CORRUPT');
      expect(error.message).to.include(`record at byte ${offsets[1]} is damaged (bad checksum)`);
      expect(error.message).to.include(`good record follows at byte ${offsets[2]}`);
      // Nothing was cut: the evidence stays for a person to look at.
      expect((await fsp.stat(logPath)).size).to.equal(sizeBefore);
    });

    it('refuses to start when a middle record has a damaged length field (ERR_STORE_CORRUPT)', async () => {
      const offsets = await writeRecords(three);
      await flipByte((offsets[0] as number) + 1);
      expect((await openError()).code).to.equal('ERR_STORE_CORRUPT');
    });

    it('refuses a file that is not an acceptor log (ERR_STORE_FORMAT)', async () => {
      await fsp.writeFile(logPath, 'hello, this is not a log');
      expect((await openError()).code).to.equal('ERR_STORE_FORMAT');
    });

    it('removes an unfinished compaction left by a crash', async () => {
      await writeRecords(three);
      await fsp.writeFile(path.join(dataDir, 'acceptor.log.tmp'), 'half written');
      const { store } = await reopen();
      expect((await store.load()).accepted).to.have.length(3);
      await store.close();
      expect(await fsp.readdir(dataDir)).to.deep.equal(['IDENTITY', 'SYNCED', 'acceptor.log']);
    });
  });

  describe('compaction', () => {
    const limits = { logBytesMax: 16 * 1024, recordBytesMax: 4 * 1024 };

    it('keeps the log bounded and the state the same across compactions and a restart', async () => {
      let store = await FileStore.open({ dataDir, ...limits }, { logger: recordingLogger() });
      for (let slot = 1; slot <= 600; slot += 1) {
        const delta: PersistDelta =
          slot % 100 === 0
            ? { promised: ballot(slot), accepted: [entry(slot)], snapshot: snapshot(slot - 40) }
            : { accepted: [entry(slot)] };
        await store.append(delta);
        expect(store.stats().logBytes).to.be.at.most(
          2 * limits.logBytesMax + limits.recordBytesMax,
        );
      }
      // Accepted after the snapshot, for a slot below it: compaction must keep it, as replay would.
      await store.append({ accepted: [entry(10, 700, 'late')] });
      const before = await store.load();
      expect(store.stats().compactionCount).to.be.greaterThan(3);
      await store.close();
      store = await FileStore.open({ dataDir, ...limits }, { logger: recordingLogger() });
      expect(await store.load()).to.deep.equal(before);
      expect(before.accepted[0]).to.deep.equal(entry(10, 700, 'late'));
      expect(before.accepted).to.have.length(41);
      await store.close();
    });

    it('compacts a state with more accepted entries than one record holds', async () => {
      let store = await FileStore.open({ dataDir, ...limits }, { logger: recordingLogger() });
      await Promise.all(
        Array.from({ length: 300 }, (_, i) => store.append({ accepted: [entry(i + 1)] })),
      );
      const before = await store.load();
      expect(store.stats().compactionCount).to.be.at.least(1);
      await store.close();
      store = await FileStore.open({ dataDir, ...limits }, { logger: recordingLogger() });
      expect(await store.load()).to.deep.equal(before);
      await store.close();
    });
  });

  describe('data dir lock', () => {
    it('refuses a second open of one data dir in one process (ERR_STORE_LOCKED)', async () => {
      const store = await FileStore.open({ dataDir }, { logger: recordingLogger() });
      expect((await openError()).code).to.equal('ERR_STORE_LOCKED');
      await store.close();
      const again = await FileStore.open({ dataDir }, { logger: recordingLogger() });
      await again.close();
    });

    it('refuses a data dir locked by another live process (ERR_STORE_LOCKED)', async () => {
      await fsp.writeFile(path.join(dataDir, 'LOCK'), `${process.ppid}\n`);
      const error = await openError();
      expect(error.code).to.equal('ERR_STORE_LOCKED');
      expect(error.message).to.include(`in use by process ${process.ppid}`);
    });

    // A restarted container: the old run's pid is taken by a thread of the new node process
    // (Linux answers kill(tid, 0) for threads too) or by another process started since.
    it('takes over a lock whose pid is now a thread, not a process (restarted container)', async function () {
      const tid = fs.existsSync('/proc/self/task')
        ? fs
            .readdirSync('/proc/self/task')
            .map(Number)
            .find((id) => id !== process.pid)
        : undefined;
      if (tid === undefined) {
        console.log('      skipped: no /proc/self/task with a second thread (not Linux)');
        this.skip();
      }
      await fsp.writeFile(path.join(dataDir, 'LOCK'), `${tid}\n`);
      const { store, logger } = await reopen();
      expect(logger.lines.some((l) => l.message.includes('stale lock'))).to.equal(true);
      await store.close();
    });

    it('takes over a lock whose live pid started at another time than the owner (pid reused)', async function () {
      if (!fs.existsSync(`/proc/${process.ppid}/stat`)) {
        console.log('      skipped: no /proc (not Linux)');
        this.skip();
      }
      await fsp.writeFile(path.join(dataDir, 'LOCK'), `${process.ppid} 1\n`);
      const { store, logger } = await reopen();
      expect(logger.lines.some((l) => l.message.includes('stale lock'))).to.equal(true);
      await store.close();
    });

    it('refuses a lock whose live owner has the start time the lock records', async function () {
      if (!fs.existsSync(`/proc/${process.ppid}/stat`)) {
        console.log('      skipped: no /proc (not Linux)');
        this.skip();
      }
      const stat = fs.readFileSync(`/proc/${process.ppid}/stat`, 'utf8');
      const startTicks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      await fsp.writeFile(path.join(dataDir, 'LOCK'), `${process.ppid} ${startTicks}\n`);
      expect((await openError()).code).to.equal('ERR_STORE_LOCKED');
    });

    it('writes its pid and start time into the lock it holds', async () => {
      const store = await FileStore.open({ dataDir }, { logger: recordingLogger() });
      const [pid, start] = fs.readFileSync(path.join(dataDir, 'LOCK'), 'utf8').trim().split(' ');
      expect(Number(pid)).to.equal(process.pid);
      if (fs.existsSync('/proc/self/stat')) expect(Number(start)).to.be.above(0);
      await store.close();
    });

    it('takes over a lock whose process is gone, and says so', async () => {
      const gone = spawnSync(process.execPath, ['-e', '0']);
      await fsp.writeFile(path.join(dataDir, 'LOCK'), `${gone.pid}\n`);
      const { store, logger } = await reopen();
      expect(logger.lines.some((l) => l.message.includes('stale lock'))).to.equal(true);
      await store.close();
    });
  });

  describe('options', () => {
    it('warns loudly at open when unsafeNoFsync turns durability off', async () => {
      const logger = recordingLogger();
      const store = await FileStore.open({ dataDir, unsafeNoFsync: true }, { logger });
      await store.append({ accepted: [entry(1)] });
      await store.close();
      const warning = logger.lines.find((l) => l.level === 'warn');
      expect(warning?.message).to.include('DURABILITY IS OFF');
      expect(warning?.message).to.include('breaks Paxos safety');
    });

    it('refuses limits that contradict each other (ERR_STORE_CONFIG)', async () => {
      const error = await FileStore.open(
        { dataDir, logBytesMax: 1024, recordBytesMax: 4096 },
        { logger: recordingLogger() },
      ).then(
        () => expect.fail('opened'),
        (e: StoreError) => e,
      );
      expect(error).to.be.instanceOf(StoreError);
      expect(error.code).to.equal('ERR_STORE_CONFIG');
      const negative = await FileStore.open(
        { dataDir, preallocateBytes: -1 },
        { logger: recordingLogger() },
      ).then(
        () => expect.fail('opened'),
        (e: StoreError) => e,
      );
      expect(negative.message).to.include('preallocateBytes must be an integer from 0');
    });

    it('keeps a chunk of zeros written ahead, so that small appends do not grow the file', async () => {
      const chunk = 64 * 1024;
      const store = await FileStore.open(
        { dataDir, preallocateBytes: chunk },
        { logger: recordingLogger() },
      );
      await store.append({ accepted: [entry(1)] });
      const size = (await fsp.stat(logPath)).size;
      expect(size - store.stats().logBytes).to.be.within(chunk / 2, chunk);
      for (let slot = 2; slot <= 20; slot += 1) await store.append({ accepted: [entry(slot)] });
      expect((await fsp.stat(logPath)).size).to.equal(size);
      // Past half a chunk of zeros left, another chunk is written after the last one.
      await store.append({ accepted: [entry(21, 1, 'x'.repeat(chunk / 2))] });
      expect((await fsp.stat(logPath)).size).to.equal(size + chunk);
      await store.close();
    });

    it('writes no zeros ahead with preallocateBytes 0: the file ends at the last record', async () => {
      const store = await FileStore.open(
        { dataDir, preallocateBytes: 0 },
        { logger: recordingLogger() },
      );
      await store.append({ accepted: [entry(1)] });
      expect((await fsp.stat(logPath)).size).to.equal(store.stats().logBytes);
      await store.close();
    });
  });

  it('logs an encoded value as its bytes and reads it back as the same encoded value', async () => {
    const value = encodeValue(entry(1).value);
    await writeRecords([{ promised: ballot(1), accepted: [{ ...entry(1), value }] }]);
    const file = await fsp.readFile(logPath);
    // The value's bytes are in the log as they are (inside its 0x56 extension).
    expect(file.includes(value.bytes)).to.equal(true);
    const { store } = await reopen();
    const loaded = (await store.load()).accepted[0]?.value;
    expect(loaded).to.be.instanceOf(EncodedValue);
    expect(Buffer.compare((loaded as EncodedValue).bytes, value.bytes)).to.equal(0);
    expect(loaded?.commands).to.deep.equal(entry(1).value.commands);
    await store.close();
  });

  it('starts the log with its magic and frames one group-commit batch as one record', async () => {
    await writeRecords([{ accepted: [entry(1)] }]);
    const file = await fsp.readFile(logPath);
    expect(file.subarray(0, LOG_MAGIC_BYTES).toString('ascii')).to.equal('EVPXLOG1');
    const length = file.readUInt32LE(LOG_MAGIC_BYTES);
    // One record, then only the zeros written ahead of it.
    const end = LOG_MAGIC_BYTES + FRAME_HEADER_BYTES + length;
    expect(file.subarray(end).every((byte) => byte === 0)).to.equal(true);
    // The payload opens with the DELTAS tag: msgpack uint32 'EVD1'.
    expect(file.subarray(16, 21)).to.deep.equal(Buffer.from([0xce, 0x45, 0x56, 0x44, 0x31]));
  });

  /** docs/STORAGE.md, "Knowing what was lost": missing or damaged synced state is never silent. */
  describe('knowing what was lost', () => {
    const five: PersistDelta[] = [1, 2, 3, 4, 5].map((slot) => ({
      promised: ballot(slot),
      accepted: [entry(slot, slot)],
    }));

    /** Appends each delta as its own record; returns each record's offset and the log's end. */
    async function writeFive(nodeId = 'cp2'): Promise<{ offsets: number[]; end: number }> {
      const store = await FileStore.open({ dataDir, nodeId }, { logger: recordingLogger() });
      const offsets: number[] = [];
      for (const delta of five) {
        offsets.push(store.stats().logBytes);
        await store.append(delta);
      }
      const end = store.stats().logBytes;
      await store.close();
      return { offsets, end };
    }

    async function openErrorAs(nodeId = 'cp2'): Promise<StoreError> {
      return FileStore.open({ dataDir, nodeId }, { logger: recordingLogger() }).then(
        async (store) => {
          await store.close();
          return expect.fail('the store opened');
        },
        (error: StoreError) => error,
      );
    }

    it('creates IDENTITY (node, incarnation 1) and SYNCED with a new data dir', async () => {
      const logger = recordingLogger();
      const store = await FileStore.open({ dataDir, nodeId: 'cp2' }, { logger });
      expect(store.identity()).to.deep.equal({ nodeId: 'cp2', incarnation: 1 });
      await store.close();
      expect((await fsp.readdir(dataDir)).sort()).to.deep.equal([
        'IDENTITY',
        'SYNCED',
        'acceptor.log',
      ]);
      expect(
        logger.lines.some((l) => l.message.includes('created a new acceptor data dir')),
      ).to.equal(true);
    });

    it('refuses to start when the log was deleted but IDENTITY remains (ERR_STORE_AMNESIA)', async () => {
      await writeFive();
      await fsp.rm(logPath);
      const error = await openErrorAs();
      expect(error.code).to.equal('ERR_STORE_AMNESIA');
      expect(error.message).to.include('the acceptor of cp2 (incarnation 1)');
      expect(error.message).to.include('re-admit the node');
      // Nothing was created in its place: the next start refuses again.
      expect((await openErrorAs()).code).to.equal('ERR_STORE_AMNESIA');
    });

    it('refuses when the last 3 synced records were zeroed (ERR_STORE_CORRUPT, nothing cut)', async () => {
      const { offsets, end } = await writeFive();
      const file = await fsp.readFile(logPath);
      file.fill(0, offsets[2] as number, end);
      await fsp.writeFile(logPath, file);
      const error = await openErrorAs();
      expect(error.code).to.equal('ERR_STORE_CORRUPT');
      expect(error.message).to.include(`records end at byte ${offsets[2]}`);
      expect(error.message).to.include(`first ${end} bytes were synced`);
      expect((await fsp.readFile(logPath)).equals(file)).to.equal(true);
    });

    it('refuses when a byte of the last synced record is flipped (not cut as a torn tail)', async () => {
      const { offsets } = await writeFive();
      const file = await fsp.readFile(logPath);
      const at = (offsets[4] as number) + FRAME_HEADER_BYTES + 3;
      file[at] = (file[at] as number) ^ 0x01;
      await fsp.writeFile(logPath, file);
      const error = await openErrorAs();
      expect(error.code).to.equal('ERR_STORE_CORRUPT');
      expect(error.message).to.include(`record at byte ${offsets[4]} is damaged (bad checksum)`);
    });

    it('refuses when the file was cut inside synced records', async () => {
      const { offsets } = await writeFive();
      await fsp.truncate(logPath, (offsets[3] as number) + 2);
      expect((await openErrorAs()).code).to.equal('ERR_STORE_CORRUPT');
    });

    it('refuses an empty data dir when told the node ran on it before (mustExist)', async () => {
      const error = await FileStore.open(
        { dataDir, nodeId: 'cp2', mustExist: true },
        { logger: recordingLogger() },
      ).then(
        () => expect.fail('the store opened'),
        (failure: StoreError) => failure,
      );
      expect(error.code).to.equal('ERR_STORE_AMNESIA');
      expect(error.message).to.include('holds no acceptor state, but cp2 ran on it before');
      expect(await fsp.readdir(dataDir)).to.deep.equal([]);
      // A dir that has its state opens with the flag as without it.
      await writeFive();
      const store = await FileStore.open(
        { dataDir, nodeId: 'cp2', mustExist: true },
        { logger: recordingLogger() },
      );
      expect((await store.load()).accepted).to.have.length(5);
      await store.close();
    });

    it('with rejoinAfterLoss, sets a deleted log aside and starts over as a new incarnation with no state', async () => {
      await writeFive();
      await fsp.rm(logPath);
      const logger = recordingLogger();
      const open = () =>
        FileStore.open({ dataDir, nodeId: 'cp2', rejoinAfterLoss: true }, { logger });
      const store = await open();
      const { incarnation } = store.identity();
      expect(incarnation).to.be.greaterThan(1);
      expect(await store.load()).to.deep.include({ accepted: [] });
      await store.close();
      expect(
        logger.lines.some((l) => l.level === 'error' && l.message.includes('non-voting')),
      ).to.equal(true);
      const aside = (await fsp.readdir(dataDir)).filter((name) => name.startsWith('lost-before-'));
      expect(aside).to.deep.equal([`lost-before-${incarnation}`]);
      expect(await fsp.readdir(path.join(dataDir, aside[0]!))).to.include('IDENTITY');
      // The new incarnation is this dir's now: the next start keeps it.
      const again = await open();
      expect(again.identity().incarnation).to.equal(incarnation);
      await again.close();
    });

    it('with rejoinAfterLoss, still refuses the dir of another node', async () => {
      await writeFive('cp2');
      const error = await FileStore.open(
        { dataDir, nodeId: 'cp3', rejoinAfterLoss: true },
        { logger: recordingLogger() },
      ).then(
        () => expect.fail('opened'),
        (failure: StoreError) => failure,
      );
      expect(error.message).to.include('belongs to the acceptor of cp2');
    });

    it("refuses another node's data dir (ERR_STORE_AMNESIA)", async () => {
      await writeFive('cp2');
      const error = await openErrorAs('cp3');
      expect(error.code).to.equal('ERR_STORE_AMNESIA');
      expect(error.message).to.include('belongs to the acceptor of cp2');
    });

    it('refuses a damaged IDENTITY and a deleted SYNCED', async () => {
      await writeFive();
      const identityPath = path.join(dataDir, 'IDENTITY');
      const identity = await fsp.readFile(identityPath, 'utf8');
      await fsp.writeFile(identityPath, identity.replace('"incarnation":1', '"incarnation":7'));
      expect((await openErrorAs()).code).to.equal('ERR_STORE_CORRUPT');
      await fsp.writeFile(identityPath, identity);
      await fsp.rm(path.join(dataDir, 'SYNCED'));
      expect((await openErrorAs()).code).to.equal('ERR_STORE_AMNESIA');
    });

    it('adopts a data dir written before IDENTITY and SYNCED existed, with a warning', async () => {
      await writeFive();
      await fsp.rm(path.join(dataDir, 'IDENTITY'));
      await fsp.rm(path.join(dataDir, 'SYNCED'));
      const logger = recordingLogger();
      const store = await FileStore.open({ dataDir, nodeId: 'cp2' }, { logger });
      expect((await store.load()).accepted).to.have.length(5);
      expect(store.identity()).to.deep.equal({ nodeId: 'cp2', incarnation: 1 });
      await store.close();
      expect(
        logger.lines.some((l) => l.level === 'warn' && l.message.includes('no IDENTITY')),
      ).to.equal(true);
      // From now on the dir is guarded like any other.
      await fsp.rm(logPath);
      expect((await openErrorAs()).code).to.equal('ERR_STORE_AMNESIA');
    });

    it('keeps SYNCED right across compactions: a zeroed last record is still caught', async () => {
      const limits = { logBytesMax: 16 * 1024, recordBytesMax: 4 * 1024 };
      let store = await FileStore.open(
        { dataDir, nodeId: 'cp2', ...limits },
        { logger: recordingLogger() },
      );
      let lastOffset = 0;
      for (let slot = 1; slot <= 300; slot += 1) {
        lastOffset = store.stats().logBytes;
        await store.append({ accepted: [entry(slot)] });
      }
      expect(store.stats().compactionCount).to.be.greaterThan(0);
      const end = store.stats().logBytes;
      await store.close();
      store = await FileStore.open(
        { dataDir, nodeId: 'cp2', ...limits },
        { logger: recordingLogger() },
      );
      expect((await store.load()).accepted).to.have.length(300);
      await store.close();
      const file = await fsp.readFile(logPath);
      file.fill(0, lastOffset, end);
      await fsp.writeFile(logPath, file);
      expect((await openErrorAs()).code).to.equal('ERR_STORE_CORRUPT');
    });
  });
});

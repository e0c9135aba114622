import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import type { PersistDelta } from '@evpaxos/paxos';
import { StoreError } from '../src/errors';
import { FileStore } from '../src/file-store';
import { ballot, entry, makeTempDir, recordingLogger, removeDir } from './helpers';

const FRAME_HEADER_BYTES = 8;

/** docs/STORAGE.md, "Knowing what was lost": missing or damaged synced state is never silent. */
describe('FileStore: knowing what was lost', () => {
  let dataDir: string;
  let logPath: string;
  beforeEach(async () => {
    dataDir = await makeTempDir();
    logPath = path.join(dataDir, 'acceptor.log');
  });
  afterEach(async () => {
    await removeDir(dataDir);
  });

  const five: PersistDelta[] = [1, 2, 3, 4, 5].map((slot) => ({
    promised: ballot(slot),
    accepted: [entry(slot, slot)],
  }));

  /** Appends each delta as its own record; returns each record's offset and the log's end. */
  async function writeRecords(nodeId = 'cp2'): Promise<{ offsets: number[]; end: number }> {
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

  async function openError(nodeId = 'cp2'): Promise<StoreError> {
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
    await writeRecords();
    await fsp.rm(logPath);
    const error = await openError();
    expect(error.code).to.equal('ERR_STORE_AMNESIA');
    expect(error.message).to.include('the acceptor of cp2 (incarnation 1)');
    expect(error.message).to.include('re-admit the node');
    // Nothing was created in its place: the next start refuses again.
    expect((await openError()).code).to.equal('ERR_STORE_AMNESIA');
  });

  it('refuses when the last 3 synced records were zeroed (ERR_STORE_CORRUPT, nothing cut)', async () => {
    const { offsets, end } = await writeRecords();
    const file = await fsp.readFile(logPath);
    file.fill(0, offsets[2] as number, end);
    await fsp.writeFile(logPath, file);
    const error = await openError();
    expect(error.code).to.equal('ERR_STORE_CORRUPT');
    expect(error.message).to.include(`records end at byte ${offsets[2]}`);
    expect(error.message).to.include(`first ${end} bytes were synced`);
    expect((await fsp.readFile(logPath)).equals(file)).to.equal(true);
  });

  it('refuses when a byte of the last synced record is flipped (not cut as a torn tail)', async () => {
    const { offsets } = await writeRecords();
    const file = await fsp.readFile(logPath);
    const at = (offsets[4] as number) + FRAME_HEADER_BYTES + 3;
    file[at] = (file[at] as number) ^ 0x01;
    await fsp.writeFile(logPath, file);
    const error = await openError();
    expect(error.code).to.equal('ERR_STORE_CORRUPT');
    expect(error.message).to.include(`record at byte ${offsets[4]} is damaged (bad checksum)`);
  });

  it('refuses when the file was cut inside synced records', async () => {
    const { offsets } = await writeRecords();
    await fsp.truncate(logPath, (offsets[3] as number) + 2);
    expect((await openError()).code).to.equal('ERR_STORE_CORRUPT');
  });

  it("refuses another node's data dir (ERR_STORE_AMNESIA)", async () => {
    await writeRecords('cp2');
    const error = await openError('cp3');
    expect(error.code).to.equal('ERR_STORE_AMNESIA');
    expect(error.message).to.include('belongs to the acceptor of cp2');
  });

  it('refuses a damaged IDENTITY and a deleted SYNCED', async () => {
    await writeRecords();
    const identityPath = path.join(dataDir, 'IDENTITY');
    const identity = await fsp.readFile(identityPath, 'utf8');
    await fsp.writeFile(identityPath, identity.replace('"incarnation":1', '"incarnation":7'));
    expect((await openError()).code).to.equal('ERR_STORE_CORRUPT');
    await fsp.writeFile(identityPath, identity);
    await fsp.rm(path.join(dataDir, 'SYNCED'));
    expect((await openError()).code).to.equal('ERR_STORE_AMNESIA');
  });

  it('adopts a data dir written before IDENTITY and SYNCED existed, with a warning', async () => {
    await writeRecords();
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
    expect((await openError()).code).to.equal('ERR_STORE_AMNESIA');
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
    expect((await openError()).code).to.equal('ERR_STORE_CORRUPT');
  });
});

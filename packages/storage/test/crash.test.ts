import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { expect } from 'chai';
import { FileStore } from '../src/file-store';
import { entry, makeTempDir, recordingLogger, removeDir } from './helpers';

const writerPath = path.join(__dirname, 'fixtures', 'crash-writer.js');

/** Runs the writer until it has acknowledged `ackCountBeforeKill` deltas, then SIGKILLs it. */
async function runAndKill(dataDir: string, ackCountBeforeKill: number): Promise<number[]> {
  const child = spawn(process.execPath, [writerPath, dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acked: number[] = [];
  let stderr = '';
  let buffered = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
    }
    if (acked.length >= ackCountBeforeKill) child.kill('SIGKILL');
  });
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal })),
  );
  // 'close' comes after the pipes drained, so every line the writer printed has been read.
  expect(exit.signal, `writer exited by itself: ${stderr}`).to.equal('SIGKILL');
  return acked;
}

describe('FileStore crash (a real child process, SIGKILL mid-stream)', function () {
  this.timeout(20_000);
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await makeTempDir();
  });
  afterEach(async () => {
    await removeDir(dataDir);
  });

  it('keeps every acknowledged delta after SIGKILL, restart after restart (3 kills)', async () => {
    const ackedAll: number[] = [];
    for (const ackCountBeforeKill of [40, 300, 150]) {
      ackedAll.push(...(await runAndKill(dataDir, ackCountBeforeKill)));
      const logger = recordingLogger();
      const store = await FileStore.open(
        { dataDir, logBytesMax: 32 * 1024, recordBytesMax: 8 * 1024 },
        { logger },
      );
      const state = await store.load();
      await store.close();
      const appliedThrough = state.snapshot?.appliedThrough ?? 0;
      const bySlot = new Map(state.accepted.map((e) => [e.slot, e]));
      for (const slot of ackedAll) {
        // A slot at or below the snapshot was folded into it, as the store promises.
        if (slot <= appliedThrough) continue;
        expect(bySlot.get(slot), `acknowledged slot ${slot} is missing`).to.deep.equal(entry(slot));
      }
      const ackedSnapshots = ackedAll.filter((slot) => slot % 50 === 0);
      expect(appliedThrough).to.be.at.least(Math.max(0, ...ackedSnapshots.map((s) => s - 25)));
    }
    expect(ackedAll.length).to.be.at.least(490);
  });
});

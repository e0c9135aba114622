/**
 * Storage benchmark: per-append latency (p50/p99) and throughput of durable appends of ~200-byte
 * deltas at 1, 16 and 128 appends in flight, against the floor of write(200 B) + fdatasync.
 *
 *   node packages/storage/dist/bench/store.bench.js
 *   LMDB_MODULE=/tmp/lmdb-bench/node_modules/lmdb node packages/storage/dist/bench/store.bench.js
 *
 * lmdb is not a dependency of this repo: with LMDB_MODULE pointing at an install elsewhere, the
 * same workloads also run against it, so both are measured in one run on one machine.
 * The data goes to os.tmpdir(); set TMPDIR to measure another disk.
 */
import * as fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { AcceptedEntry, PersistDelta } from '@evpaxos/paxos';
import { FileStore, PREALLOCATE_BYTES_DEFAULT, zeroFillAhead } from '../src';

/** Appends per run at each concurrency: enough for a stable p99, small enough for a 2-core VM. */
const appendCountByConcurrency: Record<number, number> = { 1: 2000, 16: 8000, 128: 20000 };
const concurrencies = [1, 16, 128];

interface Row {
  store: string;
  concurrency: number;
  appendCount: number;
  latencyMsP50: number;
  latencyMsP99: number;
  appendsPerSecond: number;
  appendsPerSync?: number;
}

function entry(slot: number): AcceptedEntry {
  return {
    slot,
    ballot: { round: 3, proposerId: 'central-a' },
    value: {
      commands: [
        {
          clientId: 'ev-emulator',
          seq: slot,
          payload: {
            type: 'UpdateNeeds',
            chargePointId: 'cp3',
            energyWh: 42_000,
            maxPowerW: 11_000,
            departureS: 1800,
            note: 'x'.repeat(40),
          },
        },
      ],
    },
  };
}

function delta(slot: number): PersistDelta {
  return { accepted: [entry(slot)] };
}

function quantile(sortedMs: number[], q: number): number {
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor(q * sortedMs.length))] ?? NaN;
}

/** A closed loop: `concurrency` workers each issue an append and wait for it, until `count` are done. */
async function closedLoop(
  count: number,
  concurrency: number,
  appendOne: (slot: number) => Promise<void>,
): Promise<{ latenciesMs: number[]; elapsedMs: number }> {
  const latenciesMs: number[] = [];
  let next = 0;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      const slot = next;
      const issuedAt = performance.now();
      await appendOne(slot);
      latenciesMs.push(performance.now() - issuedAt);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - start;
  latenciesMs.sort((a, b) => a - b);
  return { latenciesMs, elapsedMs };
}

function row(
  store: string,
  concurrency: number,
  run: { latenciesMs: number[]; elapsedMs: number },
): Row {
  return {
    store,
    concurrency,
    appendCount: run.latenciesMs.length,
    latencyMsP50: quantile(run.latenciesMs, 0.5),
    latencyMsP99: quantile(run.latenciesMs, 0.99),
    appendsPerSecond: (run.latenciesMs.length / run.elapsedMs) * 1000,
  };
}

function scratchDir(name: string): string {
  return mkdtempSync(path.join(tmpdir(), `evpaxos-bench-${name}-`));
}

async function benchFloor(): Promise<Row> {
  const dir = scratchDir('floor');
  const fd = fs.openSync(path.join(dir, 'floor.bin'), 'w');
  const buffer = Buffer.alloc(234, 7);
  let position = 0;
  // Into zeros written ahead, like the store (the fastest durable append: docs/STORAGE.md).
  let fileBytes = zeroFillAhead(fd, 0, 0, PREALLOCATE_BYTES_DEFAULT);
  fs.fsyncSync(fd);
  // Synchronously, like the store: no hop to the thread pool and back.
  const run = await closedLoop(appendCountByConcurrency[1] as number, 1, () => {
    fs.writeSync(fd, buffer, 0, buffer.length, position);
    position += buffer.length;
    fs.fdatasyncSync(fd);
    fileBytes = zeroFillAhead(fd, position, fileBytes, PREALLOCATE_BYTES_DEFAULT);
    return Promise.resolve();
  });
  fs.closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return { ...row('floor: write 234 B + fdatasync', 1, run), appendsPerSync: 1 };
}

async function benchFileStore(concurrency: number, unsafeNoFsync: boolean): Promise<Row> {
  const dir = scratchDir('file');
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const store = await FileStore.open({ dataDir: dir, unsafeNoFsync }, { logger: silent });
  const run = await closedLoop(
    appendCountByConcurrency[concurrency] as number,
    concurrency,
    (slot) => store.append(delta(slot)),
  );
  const { appendCount, syncCount } = store.stats();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  const name = unsafeNoFsync ? 'FileStore (unsafeNoFsync)' : 'FileStore';
  return { ...row(name, concurrency, run), appendsPerSync: appendCount / syncCount };
}

/** The slice of lmdb-js this benchmark uses. */
interface LmdbDatabase {
  put(key: number, value: unknown): Promise<boolean>;
  flushed: Promise<boolean>;
  close(): Promise<void>;
}
interface LmdbModule {
  open(options: { path: string; overlappingSync?: boolean; compression?: boolean }): LmdbDatabase;
}

async function benchLmdb(
  lmdb: LmdbModule,
  concurrency: number,
  overlappingSync: boolean,
): Promise<Row> {
  const dir = scratchDir('lmdb');
  const db = lmdb.open({ path: path.join(dir, 'db'), overlappingSync, compression: false });
  // One key per slot: how an acceptor would use a key-value store. With overlappingSync the put
  // resolves at commit and `flushed` at durability; the acceptor must wait for the latter.
  const run = await closedLoop(
    appendCountByConcurrency[concurrency] as number,
    concurrency,
    async (slot) => {
      await db.put(slot, entry(slot));
      if (overlappingSync) await db.flushed;
    },
  );
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  return row(
    `lmdb ${overlappingSync ? '(overlappingSync, await flushed)' : '(overlappingSync off)'}`,
    concurrency,
    run,
  );
}

function format(rows: Row[]): string {
  const lines = [
    '| store | in flight | appends | p50 ms | p99 ms | appends/s | appends/sync |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.store} | ${r.concurrency} | ${r.appendCount} | ${r.latencyMsP50.toFixed(3)} | ` +
        `${r.latencyMsP99.toFixed(3)} | ${Math.round(r.appendsPerSecond)} | ` +
        `${r.appendsPerSync === undefined ? '–' : r.appendsPerSync.toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const rows: Row[] = [await benchFloor()];
  for (const concurrency of concurrencies) rows.push(await benchFileStore(concurrency, false));
  rows.push(await benchFileStore(1, true));
  const lmdbPath = process.env['LMDB_MODULE'];
  if (lmdbPath !== undefined) {
    const lmdb = (await import(lmdbPath)) as LmdbModule;
    for (const concurrency of concurrencies) rows.push(await benchLmdb(lmdb, concurrency, false));
    for (const concurrency of concurrencies) rows.push(await benchLmdb(lmdb, concurrency, true));
  }
  console.log(
    `node ${process.version}, data in ${tmpdir()}, delta ${Buffer.byteLength(JSON.stringify(delta(1)))} B as JSON`,
  );
  console.log(format(rows));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

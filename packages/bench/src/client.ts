/**
 * The benchmark's client process (spawned by main.ts with process.execPath): one job given as a
 * JSON argument, one JSON line of results on stdout. Kept apart from the cluster and from the
 * orchestrator so that client CPU is not charged to either.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Packr } from 'msgpackr';
import WebSocket, { WebSocketServer } from 'ws';
import { PREALLOCATE_BYTES_DEFAULT, zeroFillAhead } from '@evpaxos/storage';
import { runClosedLoop, type ClosedLoopResult } from './closed-loop';
import { Samples, nowMs } from './latency';
import { clientPackr } from '@evpaxos/runtime';
import { PaxosClient } from './paxos-client';
import { runBareAcceptor, runBareProposer } from './bare-commit';

export type ClientJob =
  | {
      readonly mode: 'paxos';
      readonly url: string;
      /** The cluster's API token: /client needs it. */
      readonly apiToken?: string;
      readonly concurrency: number;
      readonly warmupMs: number;
      readonly warmupOperationsMin: number;
      readonly measureMs: number;
      readonly valueBytes: number;
      /** GET /stats of every node, fetched as the measured window opens and closes. */
      readonly statsUrls: readonly string[];
      /** False for a --compare build from before array frames: one request per frame. */
      readonly arrayFrames: boolean;
    }
  | {
      readonly mode: 'etcd';
      readonly hosts: readonly string[];
      readonly concurrency: number;
      readonly warmupMs: number;
      readonly warmupOperationsMin: number;
      readonly measureMs: number;
      readonly valueBytes: number;
      readonly etcd3Module: string;
    }
  | { readonly mode: 'echo-server' }
  | { readonly mode: 'bare-acceptor'; readonly dir: string }
  | { readonly mode: 'bare-proposer'; readonly acceptorPorts: readonly number[] }
  | {
      readonly mode: 'echo-client';
      readonly url: string;
      readonly warmupMs: number;
      readonly measureMs: number;
      readonly valueBytes: number;
    }
  | {
      readonly mode: 'fsync';
      readonly dir: string;
      /** Wall-clock start, so several processes sync at the same time. */
      readonly startAtEpochMs: number;
      readonly measureMs: number;
      readonly recordBytes: number;
    };

export interface PaxosRunResult extends ClosedLoopResult {
  readonly statsBefore: unknown[];
  readonly statsAfter: unknown[];
}

/** A value of exactly `bytes` printable bytes: the same for our commands and etcd's puts. */
export function valueOf(bytes: number): string {
  return 'v'.repeat(bytes);
}

async function fetchAll(urls: readonly string[]): Promise<unknown[]> {
  return Promise.all(
    urls.map(async (url) => {
      try {
        const response = await fetch(url);
        return response.ok ? ((await response.json()) as unknown) : null;
      } catch {
        return null;
      }
    }),
  );
}

async function runPaxos(job: Extract<ClientJob, { mode: 'paxos' }>): Promise<PaxosRunResult> {
  const client = await PaxosClient.connect(job.url, undefined, job.arrayFrames, job.apiToken);
  // A well-formed site command carrying the value (the central refuses anything else before
  // proposing it, docs/CLUSTER.md) that the site rejects on its first check, an unknown
  // transaction: it is decided like any command, and applying it costs what the bench's bare value
  // used to, so the bench keeps measuring consensus. (An accepted command also runs the
  // scheduler on every replica: a Noop costs ~200 µs per replica with 5 leased charge points.)
  const payload = {
    type: 'StopSession',
    atMs: 0,
    transactionId: 'bench',
    value: valueOf(job.valueBytes),
  };
  // One client id per lane: each lane is a sequential client numbering its commands 1, 2, 3, ….
  const run = `bench-${process.pid}-${Date.now().toString(36)}`;
  const seqs = new Array<number>(job.concurrency).fill(0);
  let before: Promise<unknown[]> = Promise.resolve([]);
  let after: Promise<unknown[]> = Promise.resolve([]);
  const result = await runClosedLoop(
    {
      concurrency: job.concurrency,
      warmupMs: job.warmupMs,
      warmupOperationsMin: job.warmupOperationsMin,
      measureMs: job.measureMs,
      onWindow: (edge) => {
        if (edge === 'start') before = fetchAll(job.statsUrls);
        else after = fetchAll(job.statsUrls);
      },
    },
    async (lane) => {
      const seq = (seqs[lane] as number) + 1;
      seqs[lane] = seq;
      const reply = await client.submit(`${run}-${lane}`, seq, payload);
      if ('type' in reply && reply.type === 'result') return true;
      if (!client.isOpen) throw new Error('The connection to the central was lost.');
      return false;
    },
  );
  client.close();
  return { ...result, statsBefore: await before, statsAfter: await after };
}

interface EtcdClient {
  put(key: string): { value(value: string): Promise<unknown> };
  close(): void;
}

async function runEtcd(job: Extract<ClientJob, { mode: 'etcd' }>): Promise<ClosedLoopResult> {
  // etcd3 is loaded from a path: it is not a dependency of the repository (docs/BENCHMARKS.md).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Etcd3 } = require(job.etcd3Module) as {
    Etcd3: new (options: { hosts: string[] }) => EtcdClient;
  };
  const client = new Etcd3({ hosts: [...job.hosts] });
  const value = valueOf(job.valueBytes);
  let counter = 0;
  const result = await runClosedLoop(job, async (lane) => {
    counter += 1;
    await client.put(`bench/${lane}/${counter % 1024}`).value(value);
    return true;
  });
  client.close();
  return result;
}

function runEchoServer(): void {
  // Decodes and re-encodes every frame, as the central's /client handler does.
  const packr = new Packr({ useRecords: false, mapsAsObjects: true, copyBuffers: true });
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  server.on('listening', () => {
    const address = server.address() as { port: number };
    process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  });
  server.on('connection', (socket) => {
    socket.on('message', (data: Buffer) => {
      const frame = packr.unpack(data) as { requestId: number };
      socket.send(packr.pack({ type: 'result', requestId: frame.requestId, slot: 0 }));
    });
  });
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

async function runEchoClient(
  job: Extract<ClientJob, { mode: 'echo-client' }>,
): Promise<ClosedLoopResult> {
  const socket = await new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(job.url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
  let waiting: (() => void) | null = null;
  socket.on('message', (data: Buffer) => {
    clientPackr.unpack(data);
    waiting?.();
  });
  const payload = valueOf(job.valueBytes);
  let requestId = 0;
  const result = await runClosedLoop({ ...job, concurrency: 1 }, async () => {
    requestId += 1;
    await new Promise<void>((resolve) => {
      waiting = resolve;
      socket.send(
        clientPackr.pack({ type: 'submit', requestId, clientId: 'echo', seq: requestId, payload }),
      );
    });
    return true;
  });
  socket.terminate();
  return result;
}

async function runFsync(job: Extract<ClientJob, { mode: 'fsync' }>) {
  fs.mkdirSync(job.dir, { recursive: true });
  const file = path.join(job.dir, `fsync-${process.pid}.log`);
  const fd = fs.openSync(file, 'w');
  const record = Buffer.alloc(job.recordBytes, 0x61);
  const samples = new Samples();
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, job.startAtEpochMs - Date.now())));
  const endMs = nowMs() + job.measureMs;
  let position = 0;
  let fileBytes = zeroFillAhead(fd, 0, 0, PREALLOCATE_BYTES_DEFAULT);
  fs.fsyncSync(fd);
  // Appends like the store does (into zeros written ahead, the fastest durable append here),
  // synchronously: the floor, without thread-pool hops.
  while (nowMs() < endMs) {
    const beganMs = nowMs();
    fs.writeSync(fd, record, 0, record.length, position);
    fs.fdatasyncSync(fd);
    samples.add(nowMs() - beganMs);
    position += record.length;
    fileBytes = zeroFillAhead(fd, position, fileBytes, PREALLOCATE_BYTES_DEFAULT);
  }
  fs.closeSync(fd);
  fs.rmSync(file, { force: true });
  return samples.summary();
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as ClientJob;
  let result: unknown;
  switch (job.mode) {
    case 'paxos':
      result = await runPaxos(job);
      break;
    case 'etcd':
      result = await runEtcd(job);
      break;
    case 'echo-server':
      runEchoServer();
      return;
    case 'bare-acceptor':
      runBareAcceptor(job.dir);
      return;
    case 'bare-proposer':
      await runBareProposer(job.acceptorPorts);
      return;
    case 'echo-client':
      result = await runEchoClient(job);
      break;
    case 'fsync':
      result = await runFsync(job);
      break;
    default:
      throw new Error(`unknown job ${JSON.stringify(job)}`);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench client: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}

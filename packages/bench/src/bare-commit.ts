/**
 * The bare commit path: the floor of *this stack* for one replicated commit, as separate processes
 * laid out like the cluster (a client, a proposer, n acceptors), with nothing but what a commit
 * cannot do without. The proposer speaks the /client protocol (submit → result), batches the
 * submits of one turn into a slot (at most 64 commands, at most 64 slots in flight), encodes the
 * slot once and writes it to every acceptor; an acceptor appends the frame's bytes as it received
 * them to a file, `fdatasync`s once per turn, and answers; a majority of answers commits the slot
 * and answers its clients. No ballots, no recovery, no state machine, no logging, no validation —
 * and no decoding at the acceptor: a frame is the slot number (4 bytes, big-endian) followed by
 * the MessagePack of its values, and the answer is those 4 bytes.
 *
 * It answers the question the physical floor (a round trip plus an fdatasync) cannot: how much of
 * the gap between evpaxos and that floor is the design of the cluster — several processes on the
 * machine's cores, ws and msgpackr, an fdatasync per acceptor — rather than the code of evpaxos.
 * Not a consensus protocol: a benchmark instrument (docs/BENCHMARKS.md). Each process answers
 * GET /stats on its port in the shape of a node's (frames, syncs, slots, CPU time), so the bench
 * reports the same per-command columns for it.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { clientPackr } from '@evpaxos/runtime';
import { PREALLOCATE_BYTES_DEFAULT, zeroFillAhead } from '@evpaxos/storage';

const slotCommandsMax = 64;
const slotsInFlightMax = 64;
/** Every frame between proposer and acceptors starts with its slot number, uint32 big-endian. */
const slotHeaderBytes = 4;

/** What a bare process counts, reported as a node's GET /stats body (per-command.ts StatsBody). */
interface BareCounters {
  readonly id: string;
  framesOut: number;
  syncs: number;
  slotsDecided: number;
}

/**
 * A WebSocket server on a free port whose HTTP side answers GET /stats; prints the port once it
 * listens, and exits when its parent closes stdin (like the echo server).
 */
function serve(counters: BareCounters, kind: 'accept' | 'accepted'): WebSocketServer {
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/stats') {
      response.writeHead(404).end();
      return;
    }
    const cpu = process.cpuUsage();
    response.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id: counters.id,
        appliedThrough: counters.slotsDecided - 1,
        transport: {
          framesOutByKind: { [kind]: counters.framesOut },
          framesOut: counters.framesOut,
        },
        store: kind === 'accepted' ? { syncCount: counters.syncs } : null,
        cpu: { userMicros: cpu.user, systemMicros: cpu.system },
      }),
    );
  });
  const sockets = new WebSocketServer({ server, perMessageDeflate: false });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address() as { port: number };
    process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  });
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
  return sockets;
}

/** An acceptor: slot header + values in; the frame appended and made durable; the header out. */
export function runBareAcceptor(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const fd = fs.openSync(path.join(dir, `bare-acceptor-${process.pid}.log`), 'w');
  let position = 0;
  let fileBytes = 0;
  const counters: BareCounters = { id: 'bare-acceptor', framesOut: 0, syncs: 0, slotsDecided: 0 };
  serve(counters, 'accepted').on('connection', (socket) => {
    let queued: Buffer[] = [];
    const sync = (): void => {
      const frames = queued;
      queued = [];
      for (const frame of frames) {
        fs.writeSync(fd, frame, 0, frame.length, position);
        position += frame.length;
      }
      fs.fdatasyncSync(fd);
      // Into zeros written ahead, like the store: an append that grows the file syncs its size too.
      fileBytes = zeroFillAhead(fd, position, fileBytes, PREALLOCATE_BYTES_DEFAULT);
      counters.syncs += 1;
      for (const frame of frames) {
        socket.send(frame.subarray(0, slotHeaderBytes));
        counters.framesOut += 1;
      }
    };
    socket.on('message', (frame: Buffer) => {
      if (queued.length === 0) queueMicrotask(sync);
      queued.push(frame);
    });
  });
}

interface Submit {
  readonly requestId: number;
  readonly payload: unknown;
  readonly socket: WebSocket;
}

interface Slot {
  readonly commands: readonly Submit[];
  acks: number;
}

/** The proposer: /client submits in, one slot per turn to every acceptor, results out. */
export async function runBareProposer(acceptorPorts: readonly number[]): Promise<void> {
  const acceptors = await Promise.all(
    acceptorPorts.map(
      (port) =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}`, {
            perMessageDeflate: false,
            generateMask: (mask: Buffer) => mask.fill(0),
          });
          ws.once('open', () => resolve(ws));
          ws.once('error', reject);
        }),
    ),
  );
  const quorum = Math.floor(acceptors.length / 2) + 1;
  const counters: BareCounters = { id: 'bare-proposer', framesOut: 0, syncs: 0, slotsDecided: 0 };
  const inFlight = new Map<number, Slot>();
  const waiting: Submit[] = [];
  let nextSlot = 0;
  let proposeQueued = false;
  const answers = new Map<WebSocket, unknown[]>();
  let answerQueued = false;

  const answer = (socket: WebSocket, reply: unknown): void => {
    const list = answers.get(socket);
    if (list === undefined) answers.set(socket, [reply]);
    else list.push(reply);
    if (answerQueued) return;
    answerQueued = true;
    queueMicrotask(() => {
      answerQueued = false;
      for (const [to, replies] of answers) to.send(clientPackr.pack(replies));
      answers.clear();
    });
  };
  const propose = (): void => {
    proposeQueued = false;
    while (waiting.length > 0 && inFlight.size < slotsInFlightMax) {
      const commands = waiting.splice(0, slotCommandsMax);
      const slot = nextSlot;
      nextSlot += 1;
      inFlight.set(slot, { commands, acks: 0 });
      const header = Buffer.alloc(slotHeaderBytes);
      header.writeUInt32BE(slot);
      const frame = Buffer.concat([header, clientPackr.pack(commands.map((c) => c.payload))]);
      for (const acceptor of acceptors) acceptor.send(frame);
      counters.framesOut += acceptors.length;
    }
  };
  const schedulePropose = (): void => {
    if (proposeQueued) return;
    proposeQueued = true;
    queueMicrotask(propose);
  };
  for (const acceptor of acceptors) {
    acceptor.on('message', (data: Buffer) => {
      const slotNumber = data.readUInt32BE(0);
      const slot = inFlight.get(slotNumber);
      if (slot === undefined) return;
      slot.acks += 1;
      if (slot.acks < quorum) return;
      inFlight.delete(slotNumber);
      counters.slotsDecided += 1;
      for (const c of slot.commands) {
        answer(c.socket, { type: 'result', requestId: c.requestId, slot: slotNumber });
      }
      schedulePropose();
    });
  }

  serve(counters, 'accept').on('connection', (socket) => {
    socket.on('message', (data: Buffer) => {
      const frame = clientPackr.unpack(data) as
        { requestId: number; payload: unknown } | { requestId: number; payload: unknown }[];
      for (const request of Array.isArray(frame) ? frame : [frame]) {
        waiting.push({ requestId: request.requestId, payload: request.payload, socket });
      }
      schedulePropose();
    });
  });
}

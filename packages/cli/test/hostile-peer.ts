import { randomBytes } from 'node:crypto';
import { Packr } from 'msgpackr';
import WebSocket from 'ws';

/**
 * A test client that speaks to a node's cluster port the way an attacker or a broken peer would.
 * It encodes envelopes as the wire does (msgpackr, envelope version 2: [v, kind, body],
 * docs/PROTOCOL-WIRE.md), so the hello looks valid and only the HMAC proof is wrong.
 */
const WIRE_VERSION = 2;

const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  moreTypes: false,
  structuredClone: false,
  bundleStrings: false,
  useTimestamp32: false,
  copyBuffers: true,
});

export interface Closed {
  readonly code: number;
  readonly reason: string;
  readonly elapsedMs: number;
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves when the node closes the connection; rejects if it stays open for `timeoutMs`. */
function closedBy(socket: WebSocket, timeoutMs: number): Promise<Closed> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`the node kept the connection open for ${timeoutMs} ms`));
    }, timeoutMs);
    // Writing a frame the node refuses half-way can reset the socket: that is a close too.
    socket.on('error', () => undefined);
    socket.once('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString(), elapsedMs: Date.now() - started });
    });
  });
}

/** Sends one binary frame and waits to be thrown out. */
export async function sendFrame(url: string, frame: Buffer, timeoutMs = 5_000): Promise<Closed> {
  const socket = await open(url);
  const closed = closedBy(socket, timeoutMs);
  socket.send(frame, { binary: true });
  return closed;
}

/**
 * Dials as `claimedId`, sends a well-formed hello, waits for the node's challenge, and answers
 * with a proof made of random bytes (a peer without the cluster secret).
 */
export async function helloWithWrongProof(
  url: string,
  clusterId: string,
  claimedId: string,
  targetId: string,
  timeoutMs = 5_000,
): Promise<Closed & { challenged: boolean }> {
  const socket = await open(url);
  const closed = closedBy(socket, timeoutMs);
  let challenged = false;
  socket.on('message', (data: Buffer) => {
    const envelope = packr.unpack(data) as unknown[];
    if (envelope[1] !== 'challenge') return;
    challenged = true;
    socket.send(packr.pack([WIRE_VERSION, 'proof', { proof: randomBytes(32) }]));
  });
  socket.send(
    packr.pack([
      WIRE_VERSION,
      'hello',
      { clusterId, nodeId: claimedId, peerId: targetId, nonce: randomBytes(32) },
    ]),
  );
  return { ...(await closed), challenged };
}

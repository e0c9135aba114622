import { WireError, concatFrames, type Message } from '@evpaxos/wire';
import { isOpen } from './connection';
import type { Mesh } from './mesh';
import type { PeerLink } from './peer-link';

/**
 * The send path of Paxos messages: each is encoded at once (so a too-large message fails here,
 * logged), queued on its peer link for the rest of the turn, and the turn's messages leave as one
 * frame (see `PeerLink.batch`). Sends to a link that is not open, or whose socket buffer is over
 * `sendBufferBytesMax`, are dropped and counted: Paxos retransmits (docs/PROTOCOL-WIRE.md).
 */
export class SendQueue {
  constructor(private readonly mesh: Mesh) {}

  enqueue(link: PeerLink, message: Message): void {
    const { core, limits } = this.mesh;
    const connection = link.outbound;
    if (!isOpen(connection)) {
      core.countDrop('peer-down');
      return;
    }
    if (connection.socket.bufferedAmount > limits.sendBufferBytesMax) {
      core.countDrop('send-buffer-full');
      core.logger.debug('transport: send buffer full, message dropped', { peer: link.id });
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = this.mesh.codec.encodeOnce('paxos', message);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      core.countDrop('frame-too-large');
      core.logger.error('transport: message too large to send', {
        peer: link.id,
        code: error.code,
        type: message.type,
      });
      return;
    }
    if (link.batchBytes + bytes.length > limits.maxFrameBytes) this.flush(link);
    if (link.batch.length === 0) queueMicrotask(() => this.flush(link));
    link.batch.push({ bytes, type: message.type });
    link.batchBytes += bytes.length;
  }

  /** Writes the messages queued for a peer this turn as one frame (in order: one TCP stream). */
  flush(link: PeerLink): void {
    const batch = link.batch;
    if (batch.length === 0) return;
    link.batch = [];
    link.batchBytes = 0;
    const core = this.mesh.core;
    const connection = link.outbound;
    if (!isOpen(connection)) {
      for (let i = 0; i < batch.length; i += 1) core.countDrop('peer-down');
      return;
    }
    const frame = concatFrames(batch.map((queued) => queued.bytes));
    connection.socket.send(frame, { binary: true });
    core.countWrite();
    for (const queued of batch) core.countFrameOut(queued.type, queued.bytes.length);
  }
}

import { WireError, concatFrames, type Message } from '@evpaxos/wire';
import { isOpen } from './connection';
import type { Mesh } from './mesh';
import type { PeerLink, QueuedMessage } from './peer-link';

/**
 * The send path of Paxos messages: each is encoded at once (so a too-large message fails here,
 * logged), queued on its peer link for the rest of the turn, and the turn's messages leave as one
 * frame (see `PeerLink.batch`). Sends to a link that is not open, or whose socket buffer is over
 * `sendBufferBytesMax`, are dropped and counted: Paxos retransmits (docs/PROTOCOL-WIRE.md). An
 * on-demand link is the exception: the first send dials it, and what is sent while it connects
 * is held (up to `sendBufferBytesMax` bytes) and leaves when it opens, so a catch-up request to a
 * peer we had no link to is not lost to the dial ("Links on demand").
 */
export class SendQueue {
  constructor(
    private readonly mesh: Mesh,
    /** Dials a link now (the dialer's). */
    private readonly dial: (link: PeerLink) => void,
  ) {}

  enqueue(link: PeerLink, message: Message): void {
    const { core, limits } = this.mesh;
    const connection = link.outbound;
    if (!isOpen(connection)) {
      if (this.connectsOnDemand(link)) this.hold(link, message);
      else core.countDrop('peer-down');
      return;
    }
    if (connection.socket.bufferedAmount > limits.sendBufferBytesMax) {
      core.countDrop('send-buffer-full');
      core.logger.debug('transport: send buffer full, message dropped', { peer: link.id });
      return;
    }
    const bytes = this.encode(link, message);
    if (bytes !== null) this.push(link, { bytes, type: message.type });
  }

  /** An on-demand link just opened: what was held for it leaves now, in order. */
  release(link: PeerLink): void {
    const held = link.held;
    if (held.length === 0) return;
    link.held = [];
    link.heldBytes = 0;
    for (const queued of held) this.push(link, queued);
    this.flush(link);
  }

  /** An on-demand link closed before it opened: what was held for it is dropped, counted. */
  dropHeld(link: PeerLink): void {
    for (let i = 0; i < link.held.length; i += 1) this.mesh.core.countDrop('peer-down');
    link.held = [];
    link.heldBytes = 0;
  }

  /**
   * An on-demand link that is not open: dialled now if it never was (or was lost and waits for no
   * redial), and true while its dial is under way, so the message is held for it.
   */
  private connectsOnDemand(link: PeerLink): boolean {
    if (!link.onDemand || link.url === null || this.mesh.core.closed) return false;
    if (link.outbound === null && link.reconnectTimer === null) this.dial(link);
    return link.outbound !== null && link.outbound.step !== 'closed';
  }

  private hold(link: PeerLink, message: Message): void {
    const bytes = this.encode(link, message);
    if (bytes === null) return;
    if (link.heldBytes + bytes.length > this.mesh.limits.sendBufferBytesMax) {
      this.mesh.core.countDrop('send-buffer-full');
      return;
    }
    link.held.push({ bytes, type: message.type });
    link.heldBytes += bytes.length;
  }

  private encode(link: PeerLink, message: Message): Uint8Array | null {
    const core = this.mesh.core;
    try {
      return this.mesh.codec.encodeOnce('paxos', message);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      core.countDrop('frame-too-large');
      core.logger.error('transport: message too large to send', {
        peer: link.id,
        code: error.code,
        type: message.type,
      });
      return null;
    }
  }

  private push(link: PeerLink, queued: QueuedMessage): void {
    if (link.batchBytes + queued.bytes.length > this.mesh.limits.maxFrameBytes) this.flush(link);
    if (link.batch.length === 0) queueMicrotask(() => this.flush(link));
    link.batch.push(queued);
    link.batchBytes += queued.bytes.length;
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

import { Packr } from 'msgpackr';
import { untrustedPackrOptions } from '@evpaxos/wire';
import { clientFrameRequestsMax } from './constants';

/**
 * The /client protocol's MessagePack configuration (both sides): the cluster codec's, for the same
 * reasons (packages/wire/src/codec.ts) — clients are untrusted and restart independently.
 */
export const clientPackr = new Packr(untrustedPackrOptions);

/** Batches whose flush is queued: `flushClientFrames()` sends them before their microtask. */
const queuedBatches = new Set<{ flush(): void }>();

/**
 * Sends every queued batch now. ClusterNode calls it right after a Ready's answers were settled,
 * so they leave before the rest of its delivery (the GET /log ring, the application's listeners)
 * runs instead of after it (docs/BENCHMARKS.md, "Issue 21: concurrency 1, fifth session").
 */
export function flushClientFrames(): void {
  for (const batch of queuedBatches) batch.flush();
}

/**
 * /client requests or answers produced during one turn of the event loop, sent together when its
 * synchronous work ends (a queued microtask, so a lone one waits for nothing): one item as a map
 * frame, several as array frames of at most `clientFrameRequestsMax` — one socket write for the lot
 * instead of one per item (docs/BENCHMARKS.md). Until `allowArrays()`, every item is its own map
 * frame: the protocol for a peer that has not shown it reads arrays; after `arraysOnly()`, a lone
 * item too is a one-item array (version 2 of /client). Holds items for one microtask
 * checkpoint at most; `clear()` drops them (the connection is gone).
 */
export class ClientFrameBatch<Item> {
  private items: Item[] = [];
  private flushQueued = false;
  private perFrameMax = 1;
  /** A lone item as a one-item array too (the /client protocol's version 2), not a plain map. */
  private loneAsArray = false;

  /** @param send writes one encoded frame, or drops it when the connection is no longer open. */
  constructor(private readonly send: (frame: Buffer) => void) {}

  allowArrays(): void {
    this.perFrameMax = clientFrameRequestsMax;
  }

  /** Every frame an array, of one item too: a peer of the /client protocol's version 2. */
  arraysOnly(): void {
    this.allowArrays();
    this.loneAsArray = true;
  }

  push(item: Item): void {
    this.items.push(item);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queuedBatches.add(this);
    queueMicrotask(() => this.flush());
  }

  clear(): void {
    this.items = [];
  }

  /** Sends what is queued (nothing, when flushClientFrames() already did). */
  flush(): void {
    this.flushQueued = false;
    queuedBatches.delete(this);
    const items = this.items;
    this.items = [];
    for (let start = 0; start < items.length; start += this.perFrameMax) {
      const frame =
        start === 0 && items.length <= this.perFrameMax
          ? items
          : items.slice(start, start + this.perFrameMax);
      this.send(clientPackr.pack(frame.length === 1 && !this.loneAsArray ? frame[0] : frame));
    }
  }
}

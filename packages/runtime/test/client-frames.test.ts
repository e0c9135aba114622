import { expect } from 'chai';
import { ClientFrameBatch, clientPackr, flushClientFrames } from '../src/client-frames';

describe('ClientFrameBatch', () => {
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it("sends a turn's items as one frame when its microtask runs", async () => {
    const frames: unknown[] = [];
    const batch = new ClientFrameBatch<number>((frame) => frames.push(clientPackr.unpack(frame)));
    batch.allowArrays();
    batch.push(1);
    batch.push(2);
    expect(frames).to.deep.equal([]);
    await turn();
    expect(frames).to.deep.equal([[1, 2]]);
  });

  it('flushClientFrames() sends every queued batch at once, and the microtask then sends nothing more', async () => {
    const frames: unknown[] = [];
    const arrays = new ClientFrameBatch<number>((frame) => frames.push(clientPackr.unpack(frame)));
    const maps = new ClientFrameBatch<{ n: number }>((frame) =>
      frames.push(clientPackr.unpack(frame)),
    );
    arrays.allowArrays();
    arrays.push(1);
    arrays.push(2);
    maps.push({ n: 3 });
    maps.push({ n: 4 });
    flushClientFrames();
    // Synchronously, in push order per batch; a map-only peer still gets one map per frame.
    expect(frames).to.deep.equal([[1, 2], { n: 3 }, { n: 4 }]);
    arrays.push(5); // after the early flush: queued again, sent by the next microtask
    await turn();
    expect(frames).to.deep.equal([[1, 2], { n: 3 }, { n: 4 }, 5]);
  });
});

import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { runClosedLoop } from '../src/closed-loop';

describe('bench closed loop', () => {
  it('keeps warming up until enough operations completed, then counts only the window', async () => {
    let started = 0;
    const edges: string[] = [];
    let startedAtWindow = -1;
    const result = await runClosedLoop(
      {
        concurrency: 1,
        warmupMs: 0,
        warmupOperationsMin: 40,
        measureMs: 60,
        onWindow: (edge) => {
          edges.push(edge);
          if (edge === 'start') startedAtWindow = started;
        },
      },
      async () => {
        started += 1;
        await sleep(1);
        return true;
      },
    );
    expect(edges).to.deep.equal(['start', 'end']);
    expect(startedAtWindow).to.be.at.least(40);
    expect(result.operations).to.be.greaterThan(0);
    expect(result.operations).to.be.at.most(started - 40);
  });

  it('opens the window after warmupMsMax even if too few operations completed', async () => {
    let completed = 0;
    const result = await runClosedLoop(
      {
        concurrency: 2,
        warmupMs: 0,
        warmupOperationsMin: 1_000_000,
        warmupMsMax: 50,
        measureMs: 50,
      },
      async () => {
        await sleep(5);
        completed += 1;
        return completed % 2 === 0;
      },
    );
    expect(result.operations).to.be.greaterThan(0);
    expect(result.errors).to.be.greaterThan(0);
    expect(result.operations + result.errors).to.be.lessThan(completed);
  });
});

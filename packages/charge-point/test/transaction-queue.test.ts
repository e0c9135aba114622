import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TransactionQueue, type NewTransactionEvent } from '../src/transaction-queue';
import { tempDir } from './fakes';

function event(
  eventType: 'Started' | 'Updated' | 'Ended',
  transactionId = 'tx-1',
): NewTransactionEvent {
  return {
    eventType,
    timestamp: '2024-01-01T00:00:00.000Z',
    triggerReason: 'Trigger',
    transactionInfo: { transactionId },
  };
}

describe('TransactionQueue', () => {
  it('assigns seqNo per transaction from 0 and the offline flag', () => {
    const queue = TransactionQueue.open(path.join(tempDir(), 'q.jsonl'));
    queue.enqueue(event('Started'), true);
    queue.enqueue(event('Started', 'tx-2'), false);
    queue.enqueue(event('Updated'), false);
    expect(
      queue
        .list()
        .map((q) => [q.request.transactionInfo.transactionId, q.request.seqNo, q.request.offline]),
    ).to.deep.equal([
      ['tx-1', 0, true],
      ['tx-2', 0, undefined],
      ['tx-1', 1, undefined],
    ]);
    queue.close();
  });

  it('survives a reopen, and acknowledged events stay gone', () => {
    const file = path.join(tempDir(), 'q.jsonl');
    const queue = TransactionQueue.open(file);
    const started = queue.enqueue(event('Started'), true);
    queue.enqueue(event('Updated'), true);
    queue.acknowledge(started?.queueSeq ?? -1);
    queue.close();
    const again = TransactionQueue.open(file);
    expect(again.list().map((q) => q.request.eventType)).to.deep.equal(['Updated']);
    expect(again.openTransactions()).to.deep.equal(['tx-1']);
    expect(again.enqueue(event('Ended'), false)?.request.seqNo).to.equal(2);
    again.close();
  });

  it('ignores a torn last line', () => {
    const file = path.join(tempDir(), 'q.jsonl');
    const queue = TransactionQueue.open(file);
    queue.enqueue(event('Started'), true);
    queue.close();
    fs.appendFileSync(file, '{"k":"add","q":2,"e":{"eventTy');
    const again = TransactionQueue.open(file);
    expect(again.size).to.equal(1);
    expect(again.unreadableLines).to.equal(1);
    again.enqueue(event('Ended'), false);
    again.close();
    expect(TransactionQueue.open(file).size).to.equal(2);
  });

  it('is bounded: when full it drops the oldest Updated first (E04.FR.07/08), never Started or Ended', () => {
    const queue = TransactionQueue.open(path.join(tempDir(), 'q.jsonl'), { entriesMax: 3 });
    queue.enqueue(event('Started'), true);
    queue.enqueue(event('Updated'), true);
    queue.enqueue(event('Updated'), true);
    queue.enqueue(event('Ended'), true);
    expect(queue.list().map((q) => `${q.request.eventType}#${q.request.seqNo}`)).to.deep.equal([
      'Started#0',
      'Updated#2',
      'Ended#3',
    ]);
    expect(queue.dropped).to.equal(1);
    queue.enqueue(event('Started', 'tx-2'), true); // drops Updated#2
    expect(queue.enqueue(event('Ended', 'tx-2'), true)).to.equal(null); // nothing left to drop
    queue.close();
  });

  it('compacts its file so it stays bounded', () => {
    const file = path.join(tempDir(), 'q.jsonl');
    const queue = TransactionQueue.open(file, { unsafeNoFsync: true });
    for (let i = 0; i < 500; i += 1) {
      const queued = queue.enqueue(
        event(i % 2 === 0 ? 'Started' : 'Ended', `tx-${Math.floor(i / 2)}`),
        false,
      );
      queue.acknowledge(queued?.queueSeq ?? -1);
    }
    queue.close();
    expect(fs.readFileSync(file, 'utf8').split('\n').length).to.be.lessThan(200);
    expect(TransactionQueue.open(file).size).to.equal(0);
  });
});

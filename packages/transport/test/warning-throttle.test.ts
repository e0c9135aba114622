import { expect } from 'chai';
import { WebSocket } from 'ws';
import { WebSocketTransport } from '../src';
import { WarningThrottle } from '../src/warning-throttle';
import { recordingLogger, waitUntil } from './helpers';

describe('WarningThrottle', () => {
  it('writes the first lines of a cause, then one summary with the count when the interval ends', async () => {
    const logger = recordingLogger();
    let nowMs = 0;
    const throttle = new WarningThrottle(
      logger,
      { warningsPerCauseMax: 3, intervalMs: 40 },
      () => nowMs,
    );
    for (let i = 0; i < 10; i += 1) throttle.warn('flood', `line ${i}`, { code: 'flood' });
    throttle.warn('other', 'another cause', { code: 'other' });
    expect(logger.entries.map((entry) => entry.message)).to.deep.equal([
      'line 0',
      'line 1',
      'line 2',
      'another cause',
    ]);
    nowMs = 40;
    await waitUntil(() => logger.entries.length === 5, 'the summary', 2_000);
    expect(logger.entries[4]?.message).to.equal("transport: 7 more 'flood' warnings not written");
    expect(logger.entries[4]?.meta).to.include({ code: 'flood', suppressed: 7 });
    // A new interval starts afresh.
    throttle.warn('flood', 'line again', { code: 'flood' });
    expect(logger.entries[5]?.message).to.equal('line again');
  });
});

describe('WebSocketTransport: bounded rejection warnings', () => {
  it('writes 3 warnings and one count for 80 silent connections: too-many-handshakes', async () => {
    const logger = recordingLogger();
    const target = new WebSocketTransport(
      {
        nodeId: 'a',
        clusterId: 'site-test',
        clusterSecret: 'test-secret-0123456789abcdef',
        listen: { host: '127.0.0.1', port: 0 },
        peers: { b: null },
        pendingHandshakesMax: 4,
        rejectionWarningsPerIntervalMax: 3,
        // One interval for the whole flood, however slow the machine: close() writes the count.
        rejectionWarningIntervalMs: 600_000,
      },
      { logger },
    );
    await target.start();
    const sockets: WebSocket[] = [];
    try {
      // 80 silent connections: 4 wait in the handshake, 76 are refused.
      for (let i = 0; i < 80; i += 1) {
        const socket = new WebSocket(`ws://127.0.0.1:${target.port}`);
        socket.on('error', () => undefined);
        sockets.push(socket);
      }
      const refused = () => target.stats().rejectionsByCode['too-many-handshakes'] ?? 0;
      await waitUntil(() => refused() === 76, '76 refusals', 10_000);
    } finally {
      for (const socket of sockets) socket.terminate();
      await target.close();
    }
    const lines = logger.entries.filter(
      (entry) => entry.level === 'warn' && entry.meta?.code === 'too-many-handshakes',
    );
    expect(lines).to.have.length(4);
    expect(lines[3]?.message).to.equal(
      "transport: 73 more 'too-many-handshakes' warnings not written",
    );
    expect(lines[3]?.meta).to.include({ suppressed: 73 });
  });
});

import { expect } from 'chai';
import { CsmsServer, type BootNotificationResponse } from '@evpaxos/ocpp';
import type { ProcessConfig } from '@evpaxos/runtime';
import { BOOT_RETRY_MS_MAX, BOOT_RETRY_MS_MIN } from '../src/constants';
import { bootRetryDelayMs, createOcppCsmsLink } from '../src/ocpp-adapter';
import { recordingLogger, waitFor, type Logged } from './fakes';

describe('BootNotification retry (OCPP 2.0.1 B01/B02/B03)', () => {
  it('waits the interval the CSMS gave, within [1 s, 60 s]', () => {
    expect(bootRetryDelayMs(5)).to.equal(5_000);
    expect(bootRetryDelayMs(0)).to.equal(BOOT_RETRY_MS_MIN);
    expect(bootRetryDelayMs(undefined)).to.equal(BOOT_RETRY_MS_MIN);
    expect(bootRetryDelayMs(3_600)).to.equal(BOOT_RETRY_MS_MAX);
  });

  it('a station Rejected, then Pending, boots again after each interval and goes online once Accepted', async function () {
    this.timeout(20_000);
    const server = new CsmsServer({ host: '127.0.0.1', port: 0, logTraffic: false });
    const answers: BootNotificationResponse['status'][] = ['Rejected', 'Pending', 'Accepted'];
    const bootsAtMs: number[] = [];
    server.handle('BootNotification', () => {
      bootsAtMs.push(Date.now());
      return {
        currentTime: new Date().toISOString(),
        interval: 1,
        status: answers[Math.min(bootsAtMs.length - 1, answers.length - 1)]!,
      };
    });
    server.handle('Heartbeat', () => ({ currentTime: new Date().toISOString() }));
    const port = await server.listen();
    const lines: Logged[] = [];
    // Security profile 0: this bare CsmsServer asks for no credentials (docs/OCPP.md, "Security profiles").
    const config = {
      id: 'cp1',
      sections: { ocppSecurity: { profile: 0 } },
    } as unknown as ProcessConfig;
    const link = createOcppCsmsLink(config, [`ws://127.0.0.1:${port}`], {
      ...recordingLogger(lines),
      debug: () => undefined,
    });
    try {
      await waitFor(() => link.online, 'online after Accepted', 15_000);
      expect(bootsAtMs).to.have.length(3);
      // Each retry came after the 1 s interval, on the same connection.
      expect(bootsAtMs[1]! - bootsAtMs[0]!).to.be.at.least(BOOT_RETRY_MS_MIN - 50);
      expect(bootsAtMs[2]! - bootsAtMs[1]!).to.be.at.least(BOOT_RETRY_MS_MIN - 50);
      const refused = lines.filter((l) => l.message === 'boot-not-accepted').map((l) => l.meta);
      expect(refused.map((meta) => [meta.status, meta.retryInMs])).to.deep.equal([
        ['Rejected', 1_000],
        ['Pending', 1_000],
      ]);
    } finally {
      await link.close();
      await server.close();
    }
  });
});

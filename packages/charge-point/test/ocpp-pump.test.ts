import { expect } from 'chai';
import * as path from 'node:path';
import { QUEUE_FILE_NAME } from '../src/constants';
import type { TransactionEventRequest } from '../src/csms-link';
import { needsAsRecorded } from '../src/ocpp-adapter';
import { OcppPump } from '../src/ocpp-pump';
import { rebootEndedEvent } from '../src/transaction-events';
import { TransactionQueue } from '../src/transaction-queue';
import { FakeCsms, recordingLogger, tempDir, waitFor, type Logged } from './fakes';

const AT_MS = Date.parse('2026-01-01T00:00:00.000Z');

/** A CSMS that refuses the TransactionEvents of one transaction every time. */
class RefusingCsms extends FakeCsms {
  constructor(private readonly refusedTransactionId: string) {
    super(true);
  }
  override async transactionEvent(request: TransactionEventRequest) {
    if (request.transactionInfo.transactionId === this.refusedTransactionId) {
      throw new Error('CALLERROR FormationViolation');
    }
    return super.transactionEvent(request);
  }
}

function rig(csms: FakeCsms, sendAttemptsMax?: number) {
  const lines: Logged[] = [];
  const queue = TransactionQueue.open(path.join(tempDir(), QUEUE_FILE_NAME));
  let delivered = 0;
  const pump = new OcppPump({
    chargePointId: 'cp1',
    csms,
    queue,
    logger: recordingLogger(lines),
    ...(sendAttemptsMax !== undefined ? { sendAttemptsMax } : {}),
    onDelivered: () => (delivered += 1),
  });
  return { pump, queue, lines, delivered: () => delivered };
}

describe('OcppPump', () => {
  it('holds TransactionEvents while offline and sends them in order once online, offline=true', async () => {
    const csms = new FakeCsms(false);
    const { pump, queue, delivered } = rig(csms);
    const first = pump.enqueue(rebootEndedEvent('tx1', AT_MS));
    pump.enqueue(rebootEndedEvent('tx2', AT_MS));
    expect(pump.delivered(first?.queueSeq ?? null)).to.equal(false);
    expect(pump.drained).to.equal(false);
    csms.setOnline(true);
    await pump.pump();
    expect(csms.sent.map((e) => [e.transactionInfo.transactionId, e.offline])).to.deep.equal([
      ['tx1', true],
      ['tx2', true],
    ]);
    expect(pump.delivered(first?.queueSeq ?? null)).to.equal(true);
    expect(pump.drained).to.equal(true);
    expect(delivered()).to.equal(2);
    queue.close();
  });

  it('sends at once while online', async () => {
    const csms = new FakeCsms(true);
    const { pump, queue } = rig(csms);
    pump.enqueue(rebootEndedEvent('tx1', AT_MS));
    await waitFor(() => pump.drained, 'sent');
    expect(csms.sent[0]?.offline ?? false).to.equal(false);
    queue.close();
  });

  it('drops an event the CSMS refuses every time, loudly, so later events still go', async () => {
    const csms = new RefusingCsms('poison');
    const { pump, queue, lines } = rig(csms, 1);
    pump.enqueue(rebootEndedEvent('poison', AT_MS));
    pump.enqueue(rebootEndedEvent('tx2', AT_MS));
    await waitFor(() => pump.drained, 'queue drained');
    expect(csms.sent.map((e) => e.transactionInfo.transactionId)).to.deep.equal(['tx2']);
    expect(lines.map((l) => `${l.level} ${l.message}`)).to.include.members([
      'warn transaction-event-failed',
      'error transaction-event-dropped',
    ]);
    queue.close();
  });

  it('sends nothing more once closed; what is queued stays for the next start', async () => {
    const csms = new FakeCsms(false);
    const { pump, queue } = rig(csms);
    pump.enqueue(rebootEndedEvent('tx1', AT_MS));
    pump.close();
    csms.setOnline(true);
    await pump.pump();
    expect(csms.sent).to.have.length(0);
    expect(queue.size).to.equal(1);
    queue.close();
  });

  it('sends StatusNotification only while online (B04: the status goes on reconnect)', () => {
    const csms = new FakeCsms(false);
    const { pump, queue } = rig(csms);
    pump.notifyStatus('Occupied');
    csms.setOnline(true);
    pump.notifyStatus('Available');
    expect(csms.statuses).to.deep.equal(['Available']);
    queue.close();
  });

  it('states the EV needs as NotifyEVChargingNeeds for the one connector', async () => {
    const csms = new FakeCsms(true);
    const { pump, queue } = rig(csms);
    const status = await pump.notifyNeeds({
      energyRequestedWh: 20_000,
      minPowerW: 1_400,
      maxPowerW: 11_000,
      departureAtMs: AT_MS,
    });
    expect(status).to.equal('Accepted');
    expect(csms.needs).to.deep.equal([
      {
        evseId: 1,
        energyAmountWh: 20_000,
        minPowerW: 1_400,
        maxPowerW: 11_000,
        departureAtMs: AT_MS,
      },
    ]);
    queue.close();
  });
});

describe('needs as the site records them', () => {
  const needs = {
    energyRequestedWh: 20_000.4,
    minPowerW: 1_400,
    maxPowerW: 11_000,
    departureAtMs: AT_MS + 123,
  };

  it('turns the whole amperes OCPP carries back into watts (W = A × 230 V × 3)', () => {
    expect(
      needsAsRecorded({
        evseId: 1,
        energyAmountWh: needs.energyRequestedWh,
        minPowerW: needs.minPowerW,
        maxPowerW: needs.maxPowerW,
        departureAtMs: needs.departureAtMs,
      }),
    ).to.deep.equal({
      evseId: 1,
      energyAmountWh: 20_000,
      minPowerW: 3 * 690, // rounded up: the site never plans below what the EV needs
      maxPowerW: 15 * 690, // rounded down: nor above what it can take
      departureAtMs: AT_MS + 123,
    });
  });

  it('compares the replica with the recorded form when the link has one, else with the needs', () => {
    const quantising = new FakeCsms(true);
    Object.assign(quantising, { needsAsRecorded });
    const overOcpp = rig(quantising);
    const plain = rig(new FakeCsms(true));
    expect(overOcpp.pump.needsAsRecorded(needs)).to.deep.equal({
      energyRequestedWh: 20_000,
      minPowerW: 2_070,
      maxPowerW: 10_350,
      departureAtMs: AT_MS + 123,
    });
    expect(plain.pump.needsAsRecorded(needs)).to.deep.equal(needs);
    overOcpp.queue.close();
    plain.queue.close();
  });
});

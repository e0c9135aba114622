import { expect } from 'chai';
import { Evse } from '../src/evse';
import { recordingLogger, type Logged } from './fakes';

function evseAt(lines: Logged[], events: readonly string[]): Evse {
  const evse = new Evse('cp1', recordingLogger(lines));
  for (const event of events) expect(evse.fire(event, 'EV1'), event).to.equal(true);
  return evse;
}

const TO_CHARGING = ['plugIn', 'idTokenPresented', 'authorized'];

describe('Evse (the EVSE transition table driver)', () => {
  it('walks the table and logs every transition with the charge point and the EV', () => {
    const lines: Logged[] = [];
    const evse = evseAt(lines, [...TO_CHARGING, 'scheduleAgreed']);
    expect(evse.state).to.equal('charging');
    expect(lines.map((l) => l.message)).to.deep.equal(Array(4).fill('evse-transition'));
    expect(lines[3]?.meta).to.deep.equal({
      chargePointId: 'cp1',
      evId: 'EV1',
      from: 'energyNegotiation',
      to: 'charging',
      event: 'scheduleAgreed',
    });
  });

  it('refuses an event the table does not allow in the state, or does not know, and keeps the state', () => {
    const lines: Logged[] = [];
    const evse = evseAt(lines, []);
    expect(evse.fire('scheduleAgreed', null)).to.equal(false);
    expect(evse.fire('warp-drive', null)).to.equal(false);
    expect(evse.state).to.equal('waitingEV');
    expect(lines.map((l) => [l.level, l.message])).to.deep.equal([
      ['error', 'evse-transition-refused'],
      ['error', 'evse-transition-refused'],
    ]);
    expect(String(lines[1]?.meta.reason)).to.include("unknown event 'warp-drive'");
  });

  it('counts a schedule as agreed only when the last negotiation ended with scheduleAgreed', () => {
    const lines: Logged[] = [];
    const evse = evseAt(lines, TO_CHARGING);
    expect(evse.scheduleAgreed).to.equal(false);
    evse.fire('scheduleAgreed', 'EV1');
    expect(evse.scheduleAgreed).to.equal(true);
    evse.fire('leaseLost', 'EV1');
    expect(evse.scheduleAgreed).to.equal(false);
    evse.fire('negotiationTimedOut', 'EV1');
    expect(evse.scheduleAgreed).to.equal(false);
    evse.fire('leaseRestored', 'EV1');
    evse.fire('scheduleAgreed', 'EV1');
    expect(evse.scheduleAgreed).to.equal(true);
    // Stopping keeps what was agreed (the EV is told the same mode until it leaves).
    evse.fire('stopRequested', 'EV1');
    expect(evse.scheduleAgreed).to.equal(true);
    evse.fire('sessionClosed', 'EV1');
    evse.fire('plugIn', 'EV2');
    expect(evse.scheduleAgreed).to.equal(false);
  });

  it('lets energy flow only in charging and restartingSession', () => {
    const evse = evseAt([], TO_CHARGING);
    expect(evse.active).to.equal(false);
    evse.fire('negotiationTimedOut', 'EV1');
    expect(evse.active).to.equal(true);
    evse.fire('renegotiationRequested', 'EV1');
    expect(evse.state).to.equal('restartingSession');
    expect(evse.active).to.equal(true);
    evse.fire('stopRequested', 'EV1');
    expect(evse.active).to.equal(false);
  });

  it('shows Available when waiting, Occupied with an EV, Faulted in failure (B04)', () => {
    const evse = evseAt([], []);
    expect(evse.connectorStatus).to.equal('Available');
    evse.fire('plugIn', 'EV1');
    expect(evse.connectorStatus).to.equal('Occupied');
    evse.fire('fault', 'EV1');
    expect(evse.connectorStatus).to.equal('Faulted');
    evse.fire('recover', null);
    expect(evse.connectorStatus).to.equal('Available');
  });
});

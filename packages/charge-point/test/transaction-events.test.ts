import { expect } from 'chai';
import {
  endedEvent,
  meterValueOf,
  rebootEndedEvent,
  startedEvent,
  updatedEvent,
} from '../src/transaction-events';

const AT_MS = Date.parse('2026-01-01T00:00:00.000Z');
const EVSE = { id: 1, connectorId: 1 };

describe('transaction events (OCPP 2.0.1 E01–E07)', () => {
  it('starts at Authorized with the idToken, and the reservation only when there is one', () => {
    const idToken = { idToken: 'EV1', type: 'eMAID' } as const;
    expect(startedEvent('tx1', idToken, 7, AT_MS)).to.deep.equal({
      eventType: 'Started',
      timestamp: '2026-01-01T00:00:00.000Z',
      triggerReason: 'Authorized',
      transactionInfo: { transactionId: 'tx1', chargingState: 'EVConnected' },
      evse: EVSE,
      idToken,
      reservationId: 7,
    });
    expect(startedEvent('tx1', idToken, null, AT_MS)).to.not.have.property('reservationId');
  });

  it('meters energy always and the SoC only when the EV reported one', () => {
    expect(
      meterValueOf({ energyDeliveredWh: 1_500, socPercent: null }, AT_MS).sampledValue,
    ).to.deep.equal([
      { value: 1_500, measurand: 'Energy.Active.Import.Register', unitOfMeasure: { unit: 'Wh' } },
    ]);
    const withSoc = meterValueOf({ energyDeliveredWh: 1_500, socPercent: 42 }, AT_MS);
    expect(withSoc.sampledValue.map((v) => v.measurand)).to.deep.equal([
      'Energy.Active.Import.Register',
      'SoC',
    ]);
  });

  it('updates with the charging state and the meter', () => {
    const event = updatedEvent(
      'tx1',
      'ChargingStateChanged',
      'Charging',
      { energyDeliveredWh: 10, socPercent: 50 },
      AT_MS,
    );
    expect(event).to.include({ eventType: 'Updated', triggerReason: 'ChargingStateChanged' });
    expect(event.transactionInfo).to.deep.equal({
      transactionId: 'tx1',
      chargingState: 'Charging',
    });
    expect(event.meterValue).to.have.length(1);
  });

  it('ends as EVDeparted/EVDisconnected on unplug and StoppedByEV on SessionStop', () => {
    const reading = { energyDeliveredWh: 10, socPercent: null };
    const unplug = endedEvent('tx1', 'unplug', reading, AT_MS);
    expect(unplug.triggerReason).to.equal('EVDeparted');
    expect(unplug.transactionInfo).to.include({
      chargingState: 'Idle',
      stoppedReason: 'EVDisconnected',
    });
    const stop = endedEvent('tx1', 'ev-stop', reading, AT_MS);
    expect(stop.triggerReason).to.equal('ChargingStateChanged');
    expect(stop.transactionInfo.stoppedReason).to.equal('StoppedByEV');
  });

  it('ends a transaction left open by a restart as AbnormalCondition, stoppedReason Reboot', () => {
    expect(rebootEndedEvent('tx9', AT_MS)).to.deep.equal({
      eventType: 'Ended',
      timestamp: '2026-01-01T00:00:00.000Z',
      triggerReason: 'AbnormalCondition',
      transactionInfo: { transactionId: 'tx9', stoppedReason: 'Reboot' },
      evse: EVSE,
    });
  });
});

import { expect } from 'chai';
import type { MachineDefinition } from '../src';
import { allowedEvents, evMachine, evseMachine, transition } from '../src';

/** Walks a path of events from the initial state and returns the states visited. */
function walk<S extends string, E extends string>(
  machine: MachineDefinition<S, E>,
  events: readonly E[],
): S[] {
  const visited: S[] = [machine.initial];
  let state = machine.initial;
  for (const event of events) {
    const next = transition(machine, state, event);
    if (!next.ok) throw new Error(next.reason);
    state = next.state;
    visited.push(state);
  }
  return visited;
}

function checkTableIsClosed<S extends string, E extends string>(
  machine: MachineDefinition<S, E>,
): void {
  it('has a row for every state and only known states and events in it', () => {
    expect(Object.keys(machine.table).sort()).to.deep.equal([...machine.states].sort());
    for (const state of machine.states) {
      for (const [event, next] of Object.entries(machine.table[state])) {
        expect(machine.events as readonly string[]).to.include(event);
        expect(machine.states as readonly string[]).to.include(next);
      }
    }
  });

  it('reaches every state from the initial one', () => {
    const reached = new Set<S>([machine.initial]);
    const queue: S[] = [machine.initial];
    for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
      for (const event of allowedEvents(machine, state)) {
        const next = transition(machine, state, event);
        if (next.ok && !reached.has(next.state)) {
          reached.add(next.state);
          queue.push(next.state);
        }
      }
    }
    expect([...reached].sort()).to.deep.equal([...machine.states].sort());
  });

  it('refuses every event missing from a state row with invalid-transition, never throwing', () => {
    let refused = 0;
    for (const state of machine.states) {
      for (const event of machine.events) {
        const result = transition(machine, state, event);
        if (allowedEvents(machine, state).includes(event)) {
          expect(result.ok).to.equal(true);
        } else {
          expect(result).to.include({ ok: false, code: 'invalid-transition' });
          if (!result.ok) expect(result.reason).to.contain(state).and.to.contain(event);
          refused += 1;
        }
      }
    }
    expect(refused).to.be.greaterThan(0);
  });

  it('refuses unknown states and events read off the wire', () => {
    expect(transition(machine, 'toString', machine.events[0] ?? '')).to.include({
      ok: false,
      code: 'invalid-transition',
    });
    expect(transition(machine, machine.initial, 'constructor')).to.include({
      ok: false,
      code: 'invalid-transition',
    });
    expect(transition(machine, machine.initial, 'teleport')).to.include({
      ok: false,
      code: 'invalid-transition',
    });
  });
}

describe('EVSE transition table', () => {
  checkTableIsClosed(evseMachine);

  it('follows a session of the seed timeline: plug in, authorise, negotiate, charge, stop (minutes 1–8)', () => {
    expect(
      walk(evseMachine, [
        'plugIn',
        'idTokenPresented',
        'authorized',
        'scheduleAgreed',
        'stopRequested',
        'sessionClosed',
      ]),
    ).to.deep.equal([
      'waitingEV',
      'beginSession',
      'authentication',
      'energyNegotiation',
      'charging',
      'endSession',
      'waitingEV',
    ]);
  });

  it('renegotiates when a new EV joins and the schedule changes (K16), then charges again', () => {
    expect(
      walk(evseMachine, [
        'plugIn',
        'idTokenPresented',
        'authorized',
        'scheduleAgreed',
        'renegotiationRequested',
        'scheduleAgreed',
      ]),
    ).to.deep.equal([
      'waitingEV',
      'beginSession',
      'authentication',
      'energyNegotiation',
      'charging',
      'restartingSession',
      'charging',
    ]);
  });

  it('charges without a profile when negotiation times out, and across a lost and restored lease', () => {
    expect(
      walk(evseMachine, [
        'plugIn',
        'idTokenPresented',
        'authorized',
        'negotiationTimedOut',
        'leaseLost',
        'negotiationTimedOut',
        'leaseRestored',
        'scheduleAgreed',
        'unplug',
        'sessionClosed',
      ]),
    ).to.deep.equal([
      'waitingEV',
      'beginSession',
      'authentication',
      'energyNegotiation',
      'charging',
      'restartingSession',
      'charging',
      'restartingSession',
      'charging',
      'endSession',
      'waitingEV',
    ]);
  });

  it('goes to failure on a fault from any working state and back to waitingEV on recovery', () => {
    for (const state of evseMachine.states.filter((s) => s !== 'failure')) {
      expect(transition(evseMachine, state, 'fault'), state).to.deep.equal({
        ok: true,
        state: 'failure',
      });
    }
    expect(transition(evseMachine, 'failure', 'recover')).to.deep.equal({
      ok: true,
      state: 'waitingEV',
    });
  });

  it('refuses to charge before authorisation', () => {
    const result = transition(evseMachine, 'beginSession', 'scheduleAgreed');
    expect(result).to.include({ ok: false, code: 'invalid-transition' });
    if (!result.ok) expect(result.reason).to.contain('idTokenPresented');
  });
});

describe('EV transition table', () => {
  checkTableIsClosed(evMachine);

  it('follows the seed timeline for EV1: connect at minute 1, charge with a profile, stop at minute 8', () => {
    expect(
      walk(evMachine, [
        'plugIn',
        'authorized',
        'needsSent',
        'scheduleReceived',
        'stopCharging',
        'unplug',
      ]),
    ).to.deep.equal([
      'not_connected',
      'connected_not_charging',
      'sendNeeds',
      'receiveScheduling',
      'charging_with_profile',
      'connected_not_charging',
      'not_connected',
    ]);
  });

  it('drops to charging_without_profile when the lease is lost and back when a schedule arrives', () => {
    expect(
      walk(evMachine, [
        'plugIn',
        'authorized',
        'needsSent',
        'scheduleReceived',
        'leaseLost',
        'scheduleReceived',
        'unplug',
      ]),
    ).to.deep.equal([
      'not_connected',
      'connected_not_charging',
      'sendNeeds',
      'receiveScheduling',
      'charging_with_profile',
      'charging_without_profile',
      'charging_with_profile',
      'not_connected',
    ]);
  });

  it('charges without a profile when no schedule arrives in time, and renegotiates new needs (K17)', () => {
    expect(
      walk(evMachine, [
        'plugIn',
        'authorized',
        'needsSent',
        'scheduleTimedOut',
        'needsChanged',
        'needsSent',
        'scheduleReceived',
      ]),
    ).to.deep.equal([
      'not_connected',
      'connected_not_charging',
      'sendNeeds',
      'receiveScheduling',
      'charging_without_profile',
      'sendNeeds',
      'receiveScheduling',
      'charging_with_profile',
    ]);
  });

  it('refuses a schedule before the EV sent its needs, and unplugging what is not plugged in', () => {
    expect(transition(evMachine, 'connected_not_charging', 'scheduleReceived')).to.include({
      ok: false,
    });
    expect(transition(evMachine, 'not_connected', 'unplug')).to.include({
      ok: false,
      code: 'invalid-transition',
    });
  });
});

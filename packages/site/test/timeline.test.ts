// The seed's 10-minute timeline, end to end on the pure core: EVs connect at minutes 1, 2 and 4,
// EV1 stops at minute 8, EV2 and EV3 at minute 9. Every charge point renews its lease every 10 s,
// except cp3, which is cut off from minute 5 to minute 7 and so runs out its lease mid-session.
import { expect } from 'chai';
import type { EvEvent, EvState, EvseEvent, EvseState, SiteCommand, SiteState } from '../src';
import {
  computeSchedule,
  createSiteState,
  evMachine,
  evseMachine,
  powerLimitAt,
  transition,
} from '../src';
import { MINUTE_MS, T0, needs, register, renew, run, start } from './helpers';

interface Ev {
  readonly name: string;
  readonly chargePointId: string;
  readonly transactionId: string;
  ev: EvState;
  evse: EvseState;
}

function drive(vehicle: Ev, evEvents: EvEvent[], evseEvents: EvseEvent[]): void {
  for (const event of evEvents) {
    const next = transition(evMachine, vehicle.ev, event);
    if (!next.ok) throw new Error(next.reason);
    vehicle.ev = next.state;
  }
  for (const event of evseEvents) {
    const next = transition(evseMachine, vehicle.evse, event);
    if (!next.ok) throw new Error(next.reason);
    vehicle.evse = next.state;
  }
}

describe('seed timeline (10 minutes, 5 charge points, 3 EVs)', () => {
  it('keeps every EV within the site limit, cut-off charge point included, and ends idle', () => {
    const chargePoints = ['cp1', 'cp2', 'cp3', 'cp4', 'cp5'];
    let state: SiteState = run(
      createSiteState(),
      chargePoints.map((id) => register(id)),
    );
    const newEv = (name: string, chargePointId: string): Ev => ({
      name,
      chargePointId,
      transactionId: `tx-${name}`,
      ev: 'not_connected',
      evse: 'waitingEV',
    });
    const ev1 = newEv('EV1', 'cp1');
    const ev2 = newEv('EV2', 'cp2');
    const ev3 = newEv('EV3', 'cp3');
    const evs = [ev1, ev2, ev3];
    const connectAt = new Map([
      [1, ev1],
      [2, ev2],
      [4, ev3],
    ]);
    const stopAt = new Map([
      [8, [ev1]],
      [9, [ev2, ev3]],
    ]);
    const cutOff = (id: string, t: number): boolean =>
      id === 'cp3' && t >= T0 + 5 * MINUTE_MS && t < T0 + 7 * MINUTE_MS;
    // What each charge point's replica holds: cp3's stops at the cut-off.
    const replicaOf = new Map<string, SiteState>();
    const modesOfCp3 = new Set<string>();

    for (let t = T0; t <= T0 + 10 * MINUTE_MS; t += 10_000) {
      const minute = (t - T0) / MINUTE_MS;
      const commands: SiteCommand[] = [];
      const arriving = Number.isInteger(minute) ? connectAt.get(minute) : undefined;
      if (arriving !== undefined) {
        drive(
          arriving,
          ['plugIn', 'authorized', 'needsSent'],
          ['plugIn', 'idTokenPresented', 'authorized'],
        );
        commands.push(start(arriving.transactionId, arriving.chargePointId, 1, t));
        commands.push(needs(arriving.transactionId, t, 20_000, 1_400, 22_000, t + 60 * MINUTE_MS));
      }
      for (const leaving of (Number.isInteger(minute) ? stopAt.get(minute) : undefined) ?? []) {
        drive(leaving, ['stopCharging', 'unplug'], ['stopRequested', 'sessionClosed']);
        commands.push({ type: 'StopSession', atMs: t, transactionId: leaving.transactionId });
      }
      state = run(state, commands);
      for (const id of chargePoints) {
        if (!cutOff(id, t)) state = run(state, [renew(state, id, t)]);
      }
      for (const id of chargePoints) if (!cutOff(id, t)) replicaOf.set(id, state);

      // The EVs that sent needs receive their schedule; cp3's EV loses its profile while cut off.
      for (const vehicle of evs) {
        if (vehicle.ev === 'receiveScheduling')
          drive(vehicle, ['scheduleReceived'], ['scheduleAgreed']);
        const mode = powerLimitAt(
          replicaOf.get(vehicle.chargePointId) ?? state,
          vehicle.chargePointId,
          t,
        ).mode;
        if (vehicle.chargePointId === 'cp3' && vehicle.ev !== 'not_connected') modesOfCp3.add(mode);
        if (mode !== 'leased' && vehicle.ev === 'charging_with_profile')
          drive(vehicle, ['leaseLost'], ['leaseLost', 'negotiationTimedOut']);
        if (mode === 'leased' && vehicle.ev === 'charging_without_profile') {
          drive(vehicle, ['scheduleReceived'], ['leaseRestored', 'scheduleAgreed']);
        }
      }

      // docs/DESIGN.md property 6, as drawn: each charge point on its own replica and clock.
      const drawnW = chargePoints.reduce(
        (sum, id) => sum + powerLimitAt(replicaOf.get(id) ?? state, id, t).powerW,
        0,
      );
      expect(drawnW, `drawn at minute ${minute}`).to.be.at.most(44_000);
      expect(computeSchedule(state, t).reservedW).to.be.at.most(44_000);
    }

    // cp3 goes through the whole lease life: leased, hold-down, fail-safe, and probation on return.
    expect([...modesOfCp3].sort()).to.deep.equal(['fail-safe', 'hold-down', 'leased', 'probation']);
    expect(state.sessions).to.deep.equal({});
    expect(evs.map((v) => [v.ev, v.evse])).to.deep.equal([
      ['not_connected', 'waitingEV'],
      ['not_connected', 'waitingEV'],
      ['not_connected', 'waitingEV'],
    ]);
  });
});

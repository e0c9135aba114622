/**
 * Explicit transition tables for the EVSE and the EV (the seed's states), and one function that
 * walks them. The tables are data: every allowed (state, event) pair is a row; anything else is
 * refused with `invalid-transition`, never thrown (the event may come from the network).
 *
 * Each state is mapped to what OCPP 2.0.1 / ISO 15118-2 shows of it (docs/OCPP.md §5.6).
 */

export interface MachineDefinition<S extends string, E extends string> {
  readonly name: string;
  readonly initial: S;
  readonly states: readonly S[];
  readonly events: readonly E[];
  /** state → event → next state. A missing entry is an invalid transition. */
  readonly table: Readonly<Record<S, Readonly<Partial<Record<E, S>>>>>;
}

export type TransitionResult<S extends string> =
  | { readonly ok: true; readonly state: S }
  | { readonly ok: false; readonly code: 'invalid-transition'; readonly reason: string };

function has(record: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(record, key);
}

/**
 * The next state of `machine` after `event` in `state`, or why not. Accepts untyped strings too,
 * so a state or event read off the wire is checked rather than trusted.
 */
export function transition<S extends string, E extends string>(
  machine: MachineDefinition<S, E>,
  state: S | string,
  event: E | string,
): TransitionResult<S> {
  if (!has(machine.table, state)) {
    return {
      ok: false,
      code: 'invalid-transition',
      reason: `${machine.name}: unknown state '${state}'`,
    };
  }
  if (!(machine.events as readonly string[]).includes(event)) {
    return {
      ok: false,
      code: 'invalid-transition',
      reason: `${machine.name}: unknown event '${event}'`,
    };
  }
  const row = machine.table[state as S];
  const next = has(row, event) ? row[event as E] : undefined;
  if (next === undefined) {
    const allowed = Object.keys(row).join(', ');
    return {
      ok: false,
      code: 'invalid-transition',
      reason: `${machine.name}: event '${event}' is not allowed in state '${state}' (allowed: ${allowed || 'none'})`,
    };
  }
  return { ok: true, state: next };
}

/** Events allowed in a state, in table order. */
export function allowedEvents<S extends string, E extends string>(
  machine: MachineDefinition<S, E>,
  state: S,
): E[] {
  return Object.keys(machine.table[state]) as E[];
}

// ---------------------------------------------------------------------------------------------
// EVSE (the charge point's side of one connector)

export const evseStates = [
  /** StatusNotification(connectorStatus=Available), or Reserved while a reservation holds it. */
  'waitingEV',
  /** Cable in: StatusNotification(Occupied); TransactionEvent(Started, CablePluggedIn, EVConnected). */
  'beginSession',
  /** Authorize / TransactionEvent(Updated, Authorized); ISO 15118 AuthorizationReq. */
  'authentication',
  /** ISO ChargeParameterDiscoveryReq → NotifyEVChargingNeeds → SetChargingProfile (K15, ≤ 60 s). */
  'energyNegotiation',
  /** PowerDeliveryReq(Start); TransactionEvent(Updated, ChargingStateChanged, Charging). */
  'charging',
  /** TransactionEvent(Ended, EVDeparted / StopAuthorized; stoppedReason EVDisconnected / Local …). */
  'endSession',
  /** K16/K17 renegotiation: EVSENotification=ReNegotiation, PowerDeliveryReq(ReNegotiate). */
  'restartingSession',
  /** StatusNotification(Faulted); H01.FR.16: its reservation is removed. */
  'failure',
] as const;
export type EvseState = (typeof evseStates)[number];

export const evseEvents = [
  /** The EV's cable is plugged in (CablePluggedIn / EVDetected). */
  'plugIn',
  /** The driver presents an idToken, or the EV its contract (ISO 15118 Plug & Charge). */
  'idTokenPresented',
  /** The CSMS (or local list) accepted the idToken: IdTokenInfo.status = Accepted. */
  'authorized',
  /** The idToken was not accepted (Blocked, Expired, Invalid, …). */
  'authorizationRejected',
  /** The agreed TxProfile reached the EV (ChargeParameterDiscoveryRes with SAScheduleList). */
  'scheduleAgreed',
  /** No profile within the 60 s budget (K15.FR.08): charge on the station's own limits. */
  'negotiationTimedOut',
  /** New needs from the EV (K17) or a new profile from the CSMS (K16). */
  'renegotiationRequested',
  /** The lease ran out: the charge point cannot hear the leader or a quorum (lease.ts). */
  'leaseLost',
  /** The lease is back after a loss: a new profile replaces the fail-safe power. */
  'leaseRestored',
  /** The EV or the driver stopped charging (PowerDeliveryReq(Stop) / StopAuthorized / RemoteStop). */
  'stopRequested',
  /** The transaction is closed: TransactionEvent(Ended) sent. */
  'sessionClosed',
  /** The cable was pulled (EVDeparted / EVCommunicationLost). */
  'unplug',
  /** A hardware or communication fault. */
  'fault',
  /** The fault is cleared. */
  'recover',
] as const;
export type EvseEvent = (typeof evseEvents)[number];

export const evseMachine: MachineDefinition<EvseState, EvseEvent> = {
  name: 'EVSE',
  initial: 'waitingEV',
  states: evseStates,
  events: evseEvents,
  table: {
    waitingEV: { plugIn: 'beginSession', fault: 'failure' },
    beginSession: {
      idTokenPresented: 'authentication',
      unplug: 'endSession',
      fault: 'failure',
    },
    authentication: {
      authorized: 'energyNegotiation',
      authorizationRejected: 'endSession',
      unplug: 'endSession',
      fault: 'failure',
    },
    energyNegotiation: {
      scheduleAgreed: 'charging',
      negotiationTimedOut: 'charging',
      unplug: 'endSession',
      fault: 'failure',
    },
    charging: {
      renegotiationRequested: 'restartingSession',
      leaseLost: 'restartingSession',
      leaseRestored: 'restartingSession',
      stopRequested: 'endSession',
      unplug: 'endSession',
      fault: 'failure',
    },
    restartingSession: {
      scheduleAgreed: 'charging',
      negotiationTimedOut: 'charging',
      stopRequested: 'endSession',
      unplug: 'endSession',
      fault: 'failure',
    },
    endSession: { sessionClosed: 'waitingEV', fault: 'failure' },
    failure: { recover: 'waitingEV' },
  },
};

// ---------------------------------------------------------------------------------------------
// EV (the vehicle, as the emulator drives it)

export const evStates = [
  /** Not plugged in. */
  'not_connected',
  /** Plugged in, authorising, not drawing power (ISO SessionSetup, AuthorizationReq). */
  'connected_not_charging',
  /** Sending its needs: ISO ChargeParameterDiscoveryReq (energy, max power, departure). */
  'sendNeeds',
  /** Waiting for the schedule: ISO ChargeParameterDiscoveryRes(SAScheduleList). */
  'receiveScheduling',
  /** Charging under the agreed TxProfile: PowerDeliveryReq(Start), CurrentDemand/ChargingStatus. */
  'charging_with_profile',
  /** Charging on the station's own limits (lease lost, or K15.FR.08 timeout; K15.FR.15). */
  'charging_without_profile',
] as const;
export type EvState = (typeof evStates)[number];

export const evEvents = [
  /** The cable is plugged in. */
  'plugIn',
  /** The station authorised the session (ISO AuthorizationRes: Finished). */
  'authorized',
  /** ChargeParameterDiscoveryReq sent. */
  'needsSent',
  /** A schedule arrived (SAScheduleList), first or after a renegotiation. */
  'scheduleReceived',
  /** No schedule within the ISO 15118 timeout: the station charges on its own limits. */
  'scheduleTimedOut',
  /** The station lost its lease: the profile no longer holds, fail-safe power applies. */
  'leaseLost',
  /** The EV's needs changed (K17: EV-initiated renegotiation). */
  'needsChanged',
  /** The EV stops charging but stays plugged in (PowerDeliveryReq(Stop)). */
  'stopCharging',
  /** The cable is pulled (SessionStopReq, then unplug). */
  'unplug',
] as const;
export type EvEvent = (typeof evEvents)[number];

export const evMachine: MachineDefinition<EvState, EvEvent> = {
  name: 'EV',
  initial: 'not_connected',
  states: evStates,
  events: evEvents,
  table: {
    not_connected: { plugIn: 'connected_not_charging' },
    connected_not_charging: { authorized: 'sendNeeds', unplug: 'not_connected' },
    sendNeeds: { needsSent: 'receiveScheduling', unplug: 'not_connected' },
    receiveScheduling: {
      scheduleReceived: 'charging_with_profile',
      scheduleTimedOut: 'charging_without_profile',
      unplug: 'not_connected',
    },
    charging_with_profile: {
      leaseLost: 'charging_without_profile',
      needsChanged: 'sendNeeds',
      stopCharging: 'connected_not_charging',
      unplug: 'not_connected',
    },
    charging_without_profile: {
      scheduleReceived: 'charging_with_profile',
      needsChanged: 'sendNeeds',
      stopCharging: 'connected_not_charging',
      unplug: 'not_connected',
    },
  },
};

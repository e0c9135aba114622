/**
 * The connector's position in the site's EVSE transition table (`evseMachine`, docs/EV-LINK.md):
 * the one place an EVSE event is fired, checked against the table and logged. What the rest of the
 * charge point asks about the connector — is energy allowed to flow, was a schedule agreed, what
 * StatusNotification it shows — is derived here from the table's state and the events that led to
 * it, not kept in flags beside it.
 */
import { evseMachine, transition, type EvseEvent, type EvseState } from '@evpaxos/site';
import type { ConnectorStatus } from './csms-link';
import type { ControllerLogger } from './logger';

/** States in which the EV may draw (PowerDelivery and ChargingStatus are in sequence). */
const ACTIVE_STATES: readonly EvseState[] = ['charging', 'restartingSession'];

/**
 * Events that end or (re)start an energy negotiation. The last of them fired says whether the
 * charging the EVSE is in runs under an agreed schedule: only `scheduleAgreed` does; a new
 * negotiation (authorised, new needs, lease lost or back) or a timeout (K15.FR.08) does not.
 */
const NEGOTIATION_EVENTS: ReadonlySet<EvseEvent> = new Set<EvseEvent>([
  'plugIn',
  'authorized',
  'renegotiationRequested',
  'leaseLost',
  'leaseRestored',
  'scheduleAgreed',
  'negotiationTimedOut',
]);

export class Evse {
  private current: EvseState = evseMachine.initial;
  private lastNegotiationEvent: EvseEvent | null = null;

  constructor(
    private readonly chargePointId: string,
    private readonly logger: ControllerLogger,
  ) {}

  get state(): EvseState {
    return this.current;
  }

  /** The EV may draw: `charging`, or `restartingSession` (renegotiating while the energy flows). */
  get active(): boolean {
    return ACTIVE_STATES.includes(this.current);
  }

  /** The current (or last) negotiation ended with a schedule agreed, not on the station's own limits. */
  get scheduleAgreed(): boolean {
    return this.lastNegotiationEvent === 'scheduleAgreed';
  }

  /** What StatusNotification shows of the connector (OCPP 2.0.1 B04, docs/EV-LINK.md). */
  get connectorStatus(): ConnectorStatus {
    if (this.current === 'failure') return 'Faulted';
    return this.current === 'waitingEV' ? 'Available' : 'Occupied';
  }

  /**
   * Fires `event` (from this charge point or from outside: an operator, a test). An event the table
   * refuses in the current state is an operating error: logged as `evse-transition-refused`, the
   * state kept, false returned. Every transition is logged as `evse-transition` (docs/SITE.md).
   */
  fire(event: EvseEvent | string, evId: string | null): boolean {
    const from = this.current;
    const result = transition(evseMachine, from, event);
    if (!result.ok) {
      this.logger.error('evse-transition-refused', {
        chargePointId: this.chargePointId,
        evId,
        from,
        event,
        reason: result.reason,
      });
      return false;
    }
    this.current = result.state;
    // The table accepted it, so `event` is one of its events.
    if (NEGOTIATION_EVENTS.has(event as EvseEvent)) this.lastNegotiationEvent = event as EvseEvent;
    this.logger.info('evse-transition', {
      chargePointId: this.chargePointId,
      evId,
      from,
      to: result.state,
      event,
    });
    return true;
  }
}

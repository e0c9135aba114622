/**
 * The catalogue of site commands: everything that can change the replicated site state
 * (docs/STYLE.md rule 5: one catalogue, a discriminated union, every field documented).
 *
 * A command is the `payload` of a Paxos `Command`. It comes from the network, so it is plain data:
 * `readSiteCommand` checks its shape before the reducer sees it, and `parseSiteCommand`
 * (command-validator.ts) checks that and the rules that need no state before it is proposed. Every command carries `atMs`:
 * the time, in ms since the Unix epoch, stamped by the proposer (the central system) when it took
 * the request. Time enters the state only this way, so every replica computes the same thing.
 */
import { ID_LENGTH_MAX, RENEWALS_PER_COMMAND_MAX } from './constants';
import type { SiteErrorCode } from './handlers/kit';

/**
 * A charge point joins the site. Sent by the central system after the charge point's
 * BootNotification (OCPP 2.0.1 B01) was accepted.
 */
export interface RegisterChargePoint {
  readonly type: 'RegisterChargePoint';
  /** Proposer time, ms. */
  readonly atMs: number;
  /** The charge point's identity (its OCPP-J endpoint name, e.g. `cp1`), 1 … 36 characters. */
  readonly chargePointId: string;
  /** Connectors, numbered 1 … connectorCount (one connector per EVSE, so evseId = connectorId). */
  readonly connectorCount: number;
  /** The most the charge point can deliver over all its connectors together, W. */
  readonly maxPowerW: number;
}

/**
 * Hold a connector for an idToken over a time window [startsAtMs, expiresAtMs). OCPP 2.0.1
 * ReserveNowRequest (H01) holds from now; a window that starts later is a reservation the site
 * agrees on ahead of time: the charge point enforces it from its replica once it starts.
 */
export interface Reserve {
  readonly type: 'Reserve';
  /** Proposer time, ms. */
  readonly atMs: number;
  /** ReserveNowRequest.id. H01.FR.02: a known id replaces that reservation. */
  readonly reservationId: number;
  readonly chargePointId: string;
  /** ReserveNowRequest.evseId (= connector id here). */
  readonly connectorId: number;
  /** ReserveNowRequest.idToken.idToken: only this token may start a session on the connector. */
  readonly idToken: string;
  /** When the window opens, ms; absent: at `atMs` (now, as ReserveNow). Before `expiresAtMs`. */
  readonly startsAtMs?: number;
  /** ReserveNowRequest.expiryDateTime: when the window closes, ms. Must be after `atMs`. */
  readonly expiresAtMs: number;
}

/** Drop a reservation. OCPP 2.0.1 CancelReservationRequest (H02). */
export interface CancelReservation {
  readonly type: 'CancelReservation';
  /** Proposer time, ms. */
  readonly atMs: number;
  /** CancelReservationRequest.reservationId. H02.FR.01: unknown ids are rejected. */
  readonly reservationId: number;
}

/**
 * An EV was plugged in and authorised: a transaction starts on a connector.
 * OCPP 2.0.1 TransactionEventRequest(eventType=Started), sent by the charge point.
 */
export interface StartSession {
  readonly type: 'StartSession';
  /** Proposer time, ms. */
  readonly atMs: number;
  /** TransactionEventRequest.transactionInfo.transactionId, 1 … 36 characters, unique at the site. */
  readonly transactionId: string;
  readonly chargePointId: string;
  readonly connectorId: number;
  /** The authorised idToken. H03: it consumes a reservation held for it on this connector. */
  readonly idToken: string;
}

/**
 * The EV's charging needs. ISO 15118 ChargeParameterDiscoveryReq, relayed as OCPP 2.0.1
 * NotifyEVChargingNeedsRequest (K15). Current-based AC parameters (evMinCurrent, evMaxCurrent) are
 * converted to power by the charge point (W = A × V × phases) before it sends this.
 */
export interface UpdateNeeds {
  readonly type: 'UpdateNeeds';
  /** Proposer time, ms. */
  readonly atMs: number;
  readonly transactionId: string;
  /** chargingNeeds.acChargingParameters.energyAmount: energy still wanted, Wh. */
  readonly energyRequestedWh: number;
  /** The least power the EV can charge at, W (below it the EV cannot charge at all). */
  readonly minPowerW: number;
  /** The most power the EV accepts, W (dcChargingParameters.evMaxPower). */
  readonly maxPowerW: number;
  /** chargingNeeds.departureTime, ms. Must be after `atMs`. */
  readonly departureAtMs: number;
}

/**
 * The transaction ended. OCPP 2.0.1 TransactionEventRequest(eventType=Ended), or a RequestStop
 * the central system decided on.
 */
export interface StopSession {
  readonly type: 'StopSession';
  /** Proposer time, ms. */
  readonly atMs: number;
  readonly transactionId: string;
  /**
   * The Energy.Active.Import.Register of the Ended event, Wh, when it carried one: the session's
   * final meter reading (J02), from which the energy it delivered is recorded.
   */
  readonly registerWh?: number;
}

/**
 * A station's meter reading for a session: TransactionEventRequest(Updated).meterValue or
 * MeterValuesRequest (OCPP 2.0.1 J01/J02). The energy the session delivered is the register less
 * the register at its start, and the power is what `evpaxos verify` holds against the grant.
 */
export interface RecordMeterValues {
  readonly type: 'RecordMeterValues';
  /** Proposer time, ms. */
  readonly atMs: number;
  readonly transactionId: string;
  /** Energy.Active.Import.Register, Wh (never below the last one recorded for the session). */
  readonly registerWh: number;
  /** The register when the transaction began (context Transaction.Begin), Wh; absent: 0. */
  readonly startRegisterWh?: number;
  /** Power.Active.Import, W, when the station sampled it. */
  readonly powerW?: number;
}

/**
 * A station refused a TxProfile (SetChargingProfileResponse Rejected, or a CALLERROR: Smart Charging
 * is optional in OCPP 2.0.1, K01). From then on the site budgets its sessions at the station's
 * maximum power, since nothing else limits what it draws (docs/OCPP.md, "Stations that do not do
 * everything").
 */
export interface RecordProfileRefused {
  readonly type: 'RecordProfileRefused';
  /** Proposer time, ms. */
  readonly atMs: number;
  readonly chargePointId: string;
}

/**
 * A connector, or the whole charge point, is out of order. StatusNotification(Faulted). It ends the
 * sessions on it and removes the reservations on it (H01.FR.16).
 */
export interface ChargePointFaulted {
  readonly type: 'ChargePointFaulted';
  /** Proposer time, ms. */
  readonly atMs: number;
  readonly chargePointId: string;
  /** One connector; absent: every connector of the charge point. */
  readonly connectorId?: number;
}

/** A faulted connector (or all of them) works again. StatusNotification(Available). */
export interface ChargePointRecovered {
  readonly type: 'ChargePointRecovered';
  /** Proposer time, ms. */
  readonly atMs: number;
  readonly chargePointId: string;
  /** One connector; absent: every faulted connector of the charge point. */
  readonly connectorId?: number;
}

/** The operator changes the site's grid limit. */
export interface SetSiteLimit {
  readonly type: 'SetSiteLimit';
  /** Proposer time, ms. */
  readonly atMs: number;
  /** The new limit, W: a positive integer ≤ SITE_LIMIT_W_MAX. */
  readonly siteLimitW: number;
}

/**
 * One charge point's renewal inside RenewLeases: "I still hear the leader and a quorum; keep my
 * allocation" (see lease.ts for the rules that make it safe).
 */
export interface LeaseRenewal {
  readonly chargePointId: string;
  /**
   * The expiry of the lease the charge point holds, as it learned it from its replica, or null if it
   * holds none. A renewal of a live lease is accepted only if this matches: a charge point can only
   * extend a lease it knows about, so at most one renewal is ever unknown to it.
   */
  readonly heldLeaseExpiresAtMs: number | null;
}

/**
 * Charge points renew their leases, together (docs/SITE.md, "Leases"): a central gathers the
 * renewals its stations asked for and proposes them as one command per renewal interval, so an idle
 * site decides one slot per interval, not one per charge point. Each renewal is judged on its own,
 * exactly as if it were alone (lease.ts, R2 and R3); the command is refused only if none renews.
 */
export interface RenewLeases {
  readonly type: 'RenewLeases';
  /** Proposer time, ms. Every lease it grants runs until atMs + leaseMs. */
  readonly atMs: number;
  /** 1 … RENEWALS_PER_COMMAND_MAX renewals, each charge point at most once. */
  readonly renewals: readonly LeaseRenewal[];
}

/** Nothing; advances the replicated clock. Also what a leader proposes to fill a hole. */
export interface Noop {
  readonly type: 'Noop';
  /** Proposer time, ms. */
  readonly atMs: number;
}

export type SiteCommand =
  | RegisterChargePoint
  | Reserve
  | CancelReservation
  | StartSession
  | UpdateNeeds
  | StopSession
  | ChargePointFaulted
  | ChargePointRecovered
  | SetSiteLimit
  | RenewLeases
  | RecordMeterValues
  | RecordProfileRefused
  | Noop;

export type SiteCommandType = SiteCommand['type'];

export const siteCommandTypes: readonly SiteCommandType[] = [
  'RegisterChargePoint',
  'Reserve',
  'CancelReservation',
  'StartSession',
  'UpdateNeeds',
  'StopSession',
  'ChargePointFaulted',
  'ChargePointRecovered',
  'SetSiteLimit',
  'RenewLeases',
  'RecordMeterValues',
  'RecordProfileRefused',
  'Noop',
];

/**
 * Why a payload is not a site command (code `invalid-command`, the reason names the field), or, from
 * parseSiteCommand, breaks a rule that needs no state (the code the reducer would give).
 */
export interface InvalidSiteCommand {
  readonly ok: false;
  readonly code: SiteErrorCode;
  readonly reason: string;
}

export type ParseSiteCommandResult =
  { readonly ok: true; readonly command: SiteCommand } | InvalidSiteCommand;

/** Thrown inside the parser only, caught by readSiteCommand: never escapes. */
class FieldError extends Error {}

type Fields = Record<string, unknown>;

function field(fields: Fields, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(fields, name) ? fields[name] : undefined;
}

function text(fields: Fields, name: string): string {
  const value = field(fields, name);
  if (typeof value !== 'string' || value.length === 0 || value.length > ID_LENGTH_MAX) {
    throw new FieldError(`${name} must be a string of 1 to ${ID_LENGTH_MAX} characters`);
  }
  return value;
}

function integer(fields: Fields, name: string, min: number): number {
  const value = field(fields, name);
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new FieldError(`${name} must be an integer >= ${min}`);
  }
  return value;
}

function optionalInteger(fields: Fields, name: string, min: number): number | undefined {
  return field(fields, name) === undefined ? undefined : integer(fields, name, min);
}

function time(fields: Fields, name: string): number {
  return integer(fields, name, 0);
}

function nullableTime(fields: Fields, name: string): number | null {
  const value = field(fields, name);
  if (value === null) return null;
  if (value === undefined) throw new FieldError(`${name} must be a time in ms or null`);
  return time(fields, name);
}

function readRecordMeterValues(fields: Fields, atMs: number): RecordMeterValues {
  const startRegisterWh = optionalInteger(fields, 'startRegisterWh', 0);
  const powerW = optionalInteger(fields, 'powerW', 0);
  return {
    type: 'RecordMeterValues',
    atMs,
    transactionId: text(fields, 'transactionId'),
    registerWh: integer(fields, 'registerWh', 0),
    ...(startRegisterWh === undefined ? {} : { startRegisterWh }),
    ...(powerW === undefined ? {} : { powerW }),
  };
}

/**
 * RenewLeases' renewals: 1 … RENEWALS_PER_COMMAND_MAX, each a charge point at most once. Two
 * renewals of one charge point in one command would be granted in the same ms, and a second one
 * naming the first's expiry would prove nothing (lease.ts, R2): the shape refuses them.
 */
function readRenewals(fields: Fields): LeaseRenewal[] {
  const value = field(fields, 'renewals');
  if (!Array.isArray(value) || value.length === 0 || value.length > RENEWALS_PER_COMMAND_MAX) {
    throw new FieldError(`renewals must be an array of 1 to ${RENEWALS_PER_COMMAND_MAX} renewals`);
  }
  const seen = new Set<string>();
  return value.map((entry: unknown, index) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new FieldError(`renewals[${index}] must be an object`);
    }
    const renewal = entry as Fields;
    let chargePointId: string;
    let heldLeaseExpiresAtMs: number | null;
    try {
      chargePointId = text(renewal, 'chargePointId');
      heldLeaseExpiresAtMs = nullableTime(renewal, 'heldLeaseExpiresAtMs');
    } catch (error) {
      if (error instanceof FieldError) {
        throw new FieldError(`renewals[${index}].${error.message}`);
      }
      throw error;
    }
    if (seen.has(chargePointId)) {
      throw new FieldError(`renewals[${index}] renews ${chargePointId} a second time`);
    }
    seen.add(chargePointId);
    return { chargePointId, heldLeaseExpiresAtMs };
  });
}

/**
 * The one-renewal command that RenewLeases replaced (docs/SITE.md, "Leases"). Slots decided by an
 * older build hold it, so every replica still reads it, as the RenewLeases of its one renewal: that
 * is the same lease, bounds and refusal it had (handlers/renew-leases.ts), so a log replays alike
 * on every replica whichever build wrote it. No central proposes it (parseSiteCommand refuses it).
 */
export const LEGACY_RENEW_LEASE = 'RenewLease';

function readLegacyRenewLease(fields: Fields): ParseSiteCommandResult {
  try {
    const atMs = time(fields, 'atMs');
    const renewal: LeaseRenewal = {
      chargePointId: text(fields, 'chargePointId'),
      heldLeaseExpiresAtMs: nullableTime(fields, 'heldLeaseExpiresAtMs'),
    };
    return { ok: true, command: { type: 'RenewLeases', atMs, renewals: [renewal] } };
  } catch (error) {
    if (error instanceof FieldError) {
      return { ok: false, code: 'invalid-command', reason: `RenewLease: ${error.message}` };
    }
    throw error;
  }
}

function parseFields(type: SiteCommandType, fields: Fields): SiteCommand {
  const atMs = time(fields, 'atMs');
  switch (type) {
    case 'RegisterChargePoint':
      return {
        type,
        atMs,
        chargePointId: text(fields, 'chargePointId'),
        connectorCount: integer(fields, 'connectorCount', 1),
        maxPowerW: integer(fields, 'maxPowerW', 1),
      };
    case 'Reserve': {
      const startsAtMs = optionalInteger(fields, 'startsAtMs', 0);
      return {
        type,
        atMs,
        reservationId: integer(fields, 'reservationId', 0),
        chargePointId: text(fields, 'chargePointId'),
        connectorId: integer(fields, 'connectorId', 1),
        idToken: text(fields, 'idToken'),
        ...(startsAtMs === undefined ? {} : { startsAtMs }),
        expiresAtMs: time(fields, 'expiresAtMs'),
      };
    }
    case 'CancelReservation':
      return { type, atMs, reservationId: integer(fields, 'reservationId', 0) };
    case 'StartSession':
      return {
        type,
        atMs,
        transactionId: text(fields, 'transactionId'),
        chargePointId: text(fields, 'chargePointId'),
        connectorId: integer(fields, 'connectorId', 1),
        idToken: text(fields, 'idToken'),
      };
    case 'UpdateNeeds':
      return {
        type,
        atMs,
        transactionId: text(fields, 'transactionId'),
        energyRequestedWh: integer(fields, 'energyRequestedWh', 0),
        minPowerW: integer(fields, 'minPowerW', 0),
        maxPowerW: integer(fields, 'maxPowerW', 1),
        departureAtMs: time(fields, 'departureAtMs'),
      };
    case 'StopSession': {
      const registerWh = optionalInteger(fields, 'registerWh', 0);
      const transactionId = text(fields, 'transactionId');
      return registerWh === undefined
        ? { type, atMs, transactionId }
        : { type, atMs, transactionId, registerWh };
    }
    case 'RecordMeterValues':
      return readRecordMeterValues(fields, atMs);
    case 'RecordProfileRefused':
      return { type, atMs, chargePointId: text(fields, 'chargePointId') };
    case 'ChargePointFaulted':
    case 'ChargePointRecovered': {
      const chargePointId = text(fields, 'chargePointId');
      const connectorId = optionalInteger(fields, 'connectorId', 1);
      return connectorId === undefined
        ? { type, atMs, chargePointId }
        : { type, atMs, chargePointId, connectorId };
    }
    case 'SetSiteLimit':
      return { type, atMs, siteLimitW: integer(fields, 'siteLimitW', 1) };
    case 'RenewLeases':
      return { type, atMs, renewals: readRenewals(fields) };
    case 'Noop':
      return { type, atMs };
  }
}

/**
 * Checks an untrusted payload's shape and returns the typed command, or why it is not one. Never
 * throws. Only the shape and the field ranges are checked here: this is what a replica applying a
 * decided command runs (state-machine.ts); the handlers check the rest. The returned command is a
 * fresh object holding only the catalogue's fields.
 */
export function readSiteCommand(payload: unknown): ParseSiteCommandResult {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { ok: false, code: 'invalid-command', reason: 'a site command must be an object' };
  }
  const fields = payload as Fields;
  const type = field(fields, 'type');
  if (type === LEGACY_RENEW_LEASE) return readLegacyRenewLease(fields);
  if (typeof type !== 'string' || !(siteCommandTypes as readonly string[]).includes(type)) {
    return {
      ok: false,
      code: 'invalid-command',
      reason: `type must be one of ${siteCommandTypes.join(', ')}`,
    };
  }
  try {
    return { ok: true, command: parseFields(type as SiteCommandType, fields) };
  } catch (error) {
    if (error instanceof FieldError) {
      return { ok: false, code: 'invalid-command', reason: `${type}: ${error.message}` };
    }
    throw error;
  }
}

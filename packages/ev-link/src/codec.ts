/**
 * Frames ↔ messages. The EV link carries untrusted bytes (any device can plug in), so decoding is
 * bounded and every value is checked against the catalogue before anyone sees it: `decodeFrame`
 * returns a fresh, typed message holding only catalogue fields, or throws `EvLinkError` — nothing else.
 */
import { Packr } from 'msgpackr';
import {
  ENERGY_WH_MAX,
  EV_LINK_VERSION,
  FRAME_BYTES_MAX_DEFAULT,
  ID_LENGTH_MAX,
  POWER_W_MAX,
  REASON_LENGTH_MAX,
  REQUEST_ID_MAX,
  SCHEDULE_PERIODS_MAX,
} from './constants';
import { EvLinkError } from './errors';
import {
  evLinkErrorCodes,
  evseNotificationReasons,
  messageTypes,
  powerModes,
  responseCodes,
  type EvChargingSchedule,
  type EvLinkErrorCode,
  type EvLinkMessage,
  type EvLinkMessageType,
  type PowerGrant,
  type SchedulePeriod,
} from './messages';

/**
 * The one MessagePack configuration of the EV link; every option spelled out because msgpackr's
 * defaults are tuned for trusting peers (same reasoning as packages/wire/src/codec.ts):
 * - `useRecords: false`: no shared structure definitions; every frame is a self-describing map, so
 *   an EV that reconnects (or is written in another language) decodes it alike.
 * - `mapsAsObjects: true`: maps decode to plain objects, the shape the validator reads.
 * - `moreTypes: false`, `structuredClone: false`: no Set/Map/Error/RegExp extensions.
 * - `bundleStrings: false`: plain MessagePack strings, readable by any MessagePack library.
 * - `useTimestamp32: false`: we send no Dates (times are integers in ms).
 * - `copyBuffers: true`: decoded binary never aliases the socket's buffer.
 */
const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  moreTypes: false,
  structuredClone: false,
  bundleStrings: false,
  useTimestamp32: false,
  copyBuffers: true,
});

export interface CodecLimits {
  /** Largest frame, bytes (default FRAME_BYTES_MAX_DEFAULT). */
  readonly frameBytesMax: number;
}

export const defaultCodecLimits: CodecLimits = Object.freeze({
  frameBytesMax: FRAME_BYTES_MAX_DEFAULT,
});

/** Encodes a message as one frame. The message is validated first: we never send what we'd refuse. */
export function encodeFrame(
  message: EvLinkMessage,
  limits: CodecLimits = defaultCodecLimits,
): Buffer {
  const checked = validateMessage(message);
  const frame = packr.pack({ v: EV_LINK_VERSION, ...checked });
  if (frame.length > limits.frameBytesMax) {
    throw new EvLinkError(
      'frame-too-large',
      `The ${checked.type} frame is ${frame.length} bytes; the limit is ${limits.frameBytesMax}.`,
      requestIdOf(checked),
    );
  }
  return frame;
}

/** Decodes and validates one frame. Throws EvLinkError only. */
export function decodeFrame(
  bytes: Uint8Array,
  limits: CodecLimits = defaultCodecLimits,
): EvLinkMessage {
  if (bytes.length > limits.frameBytesMax) {
    throw new EvLinkError(
      'frame-too-large',
      `The frame is ${bytes.length} bytes; the limit is ${limits.frameBytesMax}.`,
    );
  }
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (error) {
    // msgpackr throws plain Errors (and RangeError on absurd nesting): all mean "not a frame".
    throw new EvLinkError(
      'malformed-frame',
      `The frame is not one MessagePack value (${shorten(error instanceof Error ? error.message : String(error))}).`,
    );
  }
  if (!isRecord(value)) {
    throw new EvLinkError('invalid-message', 'A frame must hold a map.');
  }
  const version = own(value, 'v');
  if (version !== EV_LINK_VERSION) {
    throw new EvLinkError(
      'unsupported-version',
      `The frame's version is ${shorten(String(version))}; this EVSE speaks ${EV_LINK_VERSION}.`,
      readableRequestId(value),
    );
  }
  return validateMessage(value);
}

/**
 * Checks an untrusted value against the catalogue and returns a fresh message with only its
 * fields. Throws EvLinkError('invalid-message') naming the field.
 */
export function validateMessage(value: unknown): EvLinkMessage {
  if (!isRecord(value)) throw new EvLinkError('invalid-message', 'A message must be a map.');
  const type = own(value, 'type');
  if (typeof type !== 'string' || !(messageTypes as readonly string[]).includes(type)) {
    throw new EvLinkError(
      'invalid-message',
      `type must be one of ${messageTypes.join(', ')}.`,
      readableRequestId(value),
    );
  }
  const fields = new Fields(value, type as EvLinkMessageType);
  return fields.parse();
}

/** The requestId of a value that failed validation, when it has a valid one (for the error frame). */
export function readableRequestId(value: unknown): number | null {
  if (!isRecord(value)) return null;
  const id = own(value, 'requestId');
  return isRequestId(id) ? id : null;
}

function requestIdOf(message: EvLinkMessage): number | null {
  return message.type === 'EvseNotification' ? null : message.requestId;
}

function isRequestId(value: unknown): value is number {
  return (
    typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= REQUEST_ID_MAX
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    !(value instanceof Date)
  );
}

function own(record: Record<string, unknown>, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(record, name) ? record[name] : undefined;
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Reads one message's fields; each reader throws EvLinkError('invalid-message') naming the field. */
class Fields {
  private readonly requestId: number | null;

  constructor(
    private readonly record: Record<string, unknown>,
    private readonly type: EvLinkMessageType,
  ) {
    this.requestId = readableRequestId(record);
  }

  private fail(field: string, rule: string): never {
    throw new EvLinkError(
      'invalid-message',
      `${this.type}.${field} must be ${rule}.`,
      this.requestId,
    );
  }

  private id(): number {
    const value = own(this.record, 'requestId');
    if (!isRequestId(value)) this.fail('requestId', `an integer from 1 to ${REQUEST_ID_MAX}`);
    return value;
  }

  private text(name: string, min: number, max: number, from = this.record): string {
    const value = own(from, name);
    if (typeof value !== 'string' || value.length < min || value.length > max) {
      this.fail(name, `a string of ${min} to ${max} characters`);
    }
    return value;
  }

  private integer(name: string, min: number, max: number, from = this.record): number {
    const value = own(from, name);
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      this.fail(name, `an integer from ${min} to ${max}`);
    }
    return value;
  }

  private number(name: string, min: number, max: number): number {
    const value = own(this.record, name);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      this.fail(name, `a number from ${min} to ${max}`);
    }
    return value;
  }

  private oneOf<T extends string>(name: string, allowed: readonly T[]): T {
    const value = own(this.record, name);
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.fail(name, `one of ${allowed.join(', ')}`);
    }
    return value as T;
  }

  private time(name: string): number {
    return this.integer(name, 0, Number.MAX_SAFE_INTEGER);
  }

  private grant(): PowerGrant {
    const limitW = this.integer('limitW', 0, POWER_W_MAX);
    const mode = this.oneOf('mode', powerModes);
    const raw = own(this.record, 'schedule');
    if (raw === undefined || raw === null) return { limitW, mode };
    return { limitW, mode, schedule: this.schedule(raw) };
  }

  private schedule(raw: unknown): EvChargingSchedule {
    if (!isRecord(raw)) this.fail('schedule', 'a map');
    const scheduleId = this.integer('scheduleId', 0, 2 ** 31 - 1, raw);
    const startAtMs = this.integer('startAtMs', 0, Number.MAX_SAFE_INTEGER, raw);
    const periodsRaw = own(raw, 'periods');
    if (
      !Array.isArray(periodsRaw) ||
      periodsRaw.length < 1 ||
      periodsRaw.length > SCHEDULE_PERIODS_MAX
    ) {
      this.fail('schedule.periods', `a list of 1 to ${SCHEDULE_PERIODS_MAX} periods`);
    }
    const periods: SchedulePeriod[] = [];
    let previousS = -1;
    for (const period of periodsRaw as unknown[]) {
      if (!isRecord(period)) this.fail('schedule.periods', 'a list of maps');
      const startOffsetS = this.integer('startOffsetS', 0, 2 ** 31 - 1, period);
      if (startOffsetS <= previousS || (previousS < 0 && startOffsetS !== 0)) {
        this.fail('schedule.periods', 'ascending by startOffsetS, the first at 0');
      }
      previousS = startOffsetS;
      periods.push({ startOffsetS, limitW: this.integer('limitW', 0, POWER_W_MAX, period) });
    }
    return { scheduleId, startAtMs, periods };
  }

  parse(): EvLinkMessage {
    const type = this.type;
    switch (type) {
      case 'SessionSetupReq': {
        const requestId = this.id();
        const evId = this.text('evId', 1, ID_LENGTH_MAX);
        return own(this.record, 'idToken') === undefined
          ? { type, requestId, evId }
          : { type, requestId, evId, idToken: this.text('idToken', 1, ID_LENGTH_MAX) };
      }
      case 'ChargeParameterDiscoveryReq': {
        const requestId = this.id();
        const energyRequestedWh = this.integer('energyRequestedWh', 0, ENERGY_WH_MAX);
        const maxPowerW = this.integer('maxPowerW', 1, POWER_W_MAX);
        const minPowerW = this.integer('minPowerW', 0, maxPowerW);
        const departureAtMs = this.time('departureAtMs');
        return { type, requestId, energyRequestedWh, minPowerW, maxPowerW, departureAtMs };
      }
      case 'PowerDeliveryReq': {
        const requestId = this.id();
        const start = own(this.record, 'start');
        if (typeof start !== 'boolean') this.fail('start', 'a boolean');
        return { type, requestId, start };
      }
      case 'ChargingStatusReq':
        return {
          type,
          requestId: this.id(),
          energyDeliveredWh: this.integer('energyDeliveredWh', 0, ENERGY_WH_MAX),
          socPercent: this.number('socPercent', 0, 100),
        };
      case 'SessionStopReq':
        return { type, requestId: this.id() };
      case 'SessionSetupRes':
        return {
          type,
          requestId: this.id(),
          responseCode: this.oneOf('responseCode', responseCodes),
          sessionId: this.text('sessionId', 0, ID_LENGTH_MAX),
          chargePointId: this.text('chargePointId', 1, ID_LENGTH_MAX),
        };
      case 'ChargeParameterDiscoveryRes':
      case 'PowerDeliveryRes':
      case 'ChargingStatusRes':
        return {
          type,
          requestId: this.id(),
          responseCode: this.oneOf('responseCode', responseCodes),
          ...this.grant(),
        };
      case 'SessionStopRes':
        return {
          type,
          requestId: this.id(),
          responseCode: this.oneOf('responseCode', responseCodes),
        };
      case 'EvseNotification':
        return { type, reason: this.oneOf('reason', evseNotificationReasons), ...this.grant() };
      case 'Error': {
        const rawId = own(this.record, 'requestId');
        const requestId = rawId === null ? null : this.id();
        const code = this.oneOf<EvLinkErrorCode>('code', evLinkErrorCodes);
        return { type, requestId, code, reason: this.text('reason', 0, REASON_LENGTH_MAX) };
      }
    }
  }
}

/** An Error message for `error`, its reason cut to REASON_LENGTH_MAX. */
export function errorMessage(error: EvLinkError): EvLinkMessage {
  const reason = error.message.slice(0, REASON_LENGTH_MAX);
  return { type: 'Error', requestId: error.requestId, code: error.code, reason };
}

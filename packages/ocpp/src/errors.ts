/**
 * Typed errors of the OCPP link. `code` is stable (tests and callers switch on it); `rpcErrorCode`
 * carries the OCPP-J CALLERROR code (OCPP-J §4.2.3: FormatViolation, OccurrenceConstraintViolation, …)
 * when the failure came from the other side or from strict schema validation.
 */
export type OcppErrorCode =
  /** No open connection to that peer (ChargingStationClient offline, or unknown chargePointId). */
  | 'OCPP_NOT_CONNECTED'
  /** The peer answered with a CALLERROR (see rpcErrorCode). */
  | 'OCPP_CALL_ERROR'
  /** Strict mode refused our outbound payload before sending, or the peer's response. */
  | 'OCPP_VALIDATION'
  /** No response within callTimeoutMs. */
  | 'OCPP_TIMEOUT'
  /** The link was closed while the call was in flight, or `close()` was called. */
  | 'OCPP_CLOSED'
  /** Bad options, refused at construction. */
  | 'OCPP_BAD_OPTIONS'
  /** The server could not bind its port. */
  | 'OCPP_LISTEN_FAILED';

export class OcppError extends Error {
  override readonly name = 'OcppError';
  constructor(
    readonly code: OcppErrorCode,
    message: string,
    /** The OCPP-J error code (e.g. 'OccurenceConstraintViolation'), when there is one. */
    readonly rpcErrorCode?: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

import { OcppError } from './errors';

/**
 * An error a handler throws to answer with a specific CALLERROR (OCPP-J §4.2.3), e.g.
 * `throw callError('NotSupported', 'no such evse')`. ocpp-rpc reads `rpcErrorCode` and `details`.
 */
export function callError(rpcErrorCode: string, message: string, details?: unknown): OcppError {
  return new OcppError('OCPP_CALL_ERROR', message, rpcErrorCode, details ?? {});
}

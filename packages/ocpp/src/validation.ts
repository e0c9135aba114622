import { identityLengthMax } from './constants';

/** OCPP 2.0.1 Part 4 §3.1.1: a null result means the identity is acceptable. */
export function validateIdentity(identity: string): string | null {
  if (identity.length === 0) return 'identity must not be empty.';
  if (identity.length > identityLengthMax) {
    return `identity must be at most ${identityLengthMax} characters (OCPP 2.0.1 Part 4 §3.1.1).`;
  }
  if (identity.includes(':')) return "identity must not contain ':' (OCPP 2.0.1 Part 4 §3.1.1).";
  return null;
}

/** A one-line reason from an ocpp-rpc validation error (its `details.errors` are ajv errors). */
export function describeValidationError(error: Error): string {
  const details = (error as { details?: { errors?: unknown } }).details;
  const errors = details?.errors;
  if (Array.isArray(errors) && errors.length > 0) {
    return errors
      .slice(0, 3)
      .map((entry: { instancePath?: string; message?: string; params?: unknown }) =>
        `${entry.instancePath === undefined || entry.instancePath === '' ? '/' : entry.instancePath} ${entry.message ?? ''} ${JSON.stringify(entry.params ?? {})}`.trim(),
      )
      .join('; ');
  }
  return error.message;
}

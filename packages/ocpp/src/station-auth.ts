/**
 * OCPP Security Profile 1 (docs/OCPP.md, "Security profiles"): the station sends HTTP Basic auth on
 * the WebSocket upgrade, the user name is its identity and the password its own. The check is
 * constant-time (both sides hashed, then timingSafeEqual), so neither a password's length nor its
 * first wrong byte shows in the time the refusal takes. No password is ever logged: the reasons
 * below name what was wrong, never the value.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The password a station must present, or undefined for an identity the CSMS does not know. */
export type StationPasswordLookup = (identity: string) => string | undefined;

/**
 * OCPP 2.0.1 SecurityCtrlr.BasicAuthPassword is 16–40 characters (docs/OCPP.md); 40 base64url
 * characters of an HMAC-SHA256 carry 240 bits.
 */
export const stationPasswordLength = 40;

/** Why an upgrade is refused with 401, or null when the credentials are right. */
export function checkBasicAuth(
  identity: string,
  authorization: string | undefined,
  passwordOf: StationPasswordLookup,
): string | null {
  if (authorization === undefined) return 'no Authorization header (Basic auth required)';
  const match = /^\s*basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(authorization);
  if (match === null) return 'the Authorization header is not HTTP Basic';
  const decoded = Buffer.from(match[1] ?? '', 'base64');
  const colon = decoded.indexOf(0x3a);
  if (colon < 0) return 'the Basic credentials have no user:password separator';
  const user = decoded.subarray(0, colon).toString('utf8');
  // OCPP 2.0.1 Part 2 A00 (docs/OCPP.md): the user name is the identity of the station.
  if (user !== identity) return 'the Basic user name is not the identity in the URL';
  const expected = passwordOf(identity);
  if (expected === undefined) return 'unknown identity';
  if (!secretsEqual(decoded.subarray(colon + 1), Buffer.from(expected, 'utf8'))) {
    return 'wrong password';
  }
  return null;
}

/** Constant-time equality of two secrets of any lengths (hashed first, so lengths may differ). */
export function secretsEqual(a: Buffer | string, b: Buffer | string): boolean {
  const digest = (value: Buffer | string): Buffer => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * The password of a station that is a member of the cluster: derived from the cluster secret, so
 * the central and the charge point each compute it and nothing more is stored or sent.
 */
export function deriveStationPassword(clusterSecret: string, identity: string): string {
  return createHmac('sha256', clusterSecret)
    .update(`evpaxos/ocpp-basic-auth/${identity}`)
    .digest('base64url')
    .slice(0, stationPasswordLength);
}

/**
 * The cluster file's `ocppSecurity` section (docs/OCPP.md, "Security profiles"), read by the
 * central and the charge-point roles alike (shaped as @evpaxos/runtime's ConfigSection, by
 * structure):
 *
 *   "ocppSecurity": { "profile": 2, "certFile": "…/server.crt", "keyFile": "…/server.key",
 *                     "caFile": "…/ca.crt", "passwordsFile": "…/stations.json",
 *                     "callsPerSecondMax": 50, "callBurstMax": 100 }
 *
 * profile 0: no authentication (labs and tests only); 1 (the default): HTTP Basic auth on ws://;
 * 2: Basic auth on wss:// with the server certificate. Cluster members' passwords are derived
 * from the cluster secret (deriveStationPassword); outside stations are listed with their own in
 * passwordsFile ({ "<identity>": "<password>" }); any other identity is refused.
 */
import * as fs from 'node:fs';
import {
  deriveStationPassword,
  stationPasswordLength,
  type StationPasswordLookup,
} from './station-auth';
import { validateIdentity } from './validation';

export type SecurityProfile = 0 | 1 | 2;

export interface OcppSecuritySection {
  readonly profile: SecurityProfile;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly caFile?: string;
  readonly passwordsFile?: string;
  /** Per-station call rate at a central (docs/OCPP.md, "Bad input"); defaults in constants.ts. */
  readonly callsPerSecondMax?: number;
  readonly callBurstMax?: number;
}

/** Without a section: profile 1 (Basic auth with derived passwords). */
export const ocppSecurityDefault: OcppSecuritySection = Object.freeze({ profile: 1 });

/** OCPP 2.0.1 SecurityCtrlr.BasicAuthPassword: 16 to 40 characters (docs/OCPP.md). */
export const stationPasswordLengthMin = 16;

const fileKeys = ['certFile', 'keyFile', 'caFile', 'passwordsFile'] as const;
const rateKeys = ['callsPerSecondMax', 'callBurstMax'] as const;

function readOcppSecuritySection(
  value: unknown,
  problems: string[],
): OcppSecuritySection | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push('The cluster file\'s "ocppSecurity" must be an object, e.g. { "profile": 1 }.');
    return undefined;
  }
  const raw = value as Record<string, unknown>;
  const count = problems.length;
  for (const key of Object.keys(raw)) {
    if (key !== 'profile' && ![...fileKeys, ...rateKeys].includes(key as never)) {
      problems.push(`The cluster file's "ocppSecurity" has an unknown key "${key}".`);
    }
  }
  const profile = raw.profile ?? ocppSecurityDefault.profile;
  if (profile !== 0 && profile !== 1 && profile !== 2) {
    problems.push(`ocppSecurity.profile (${String(profile)}) must be 0, 1 or 2.`);
  }
  const section: Record<string, unknown> = { profile };
  for (const key of fileKeys) {
    const file = raw[key];
    if (file === undefined) continue;
    if (typeof file !== 'string' || file.length === 0) {
      problems.push(`ocppSecurity.${key} must be a file path.`);
    }
    section[key] = file;
  }
  for (const key of rateKeys) {
    const rate = raw[key];
    if (rate === undefined) continue;
    if (typeof rate !== 'number' || !Number.isSafeInteger(rate) || rate < 1) {
      problems.push(`ocppSecurity.${key} (${String(rate)}) must be a positive whole number.`);
    }
    section[key] = rate;
  }
  if (profile === 2 && (raw.certFile === undefined || raw.keyFile === undefined)) {
    problems.push(
      'ocppSecurity.profile 2 (TLS) needs certFile and keyFile (`evpaxos ocpp-certs`).',
    );
  }
  return problems.length === count ? (section as unknown as OcppSecuritySection) : undefined;
}

export const ocppSecurityConfigSection = Object.freeze({
  key: 'ocppSecurity',
  read: readOcppSecuritySection,
});

/** The scheme of a central's OCPP URL under a profile. */
export function ocppScheme(section: OcppSecuritySection): 'ws' | 'wss' {
  return section.profile === 2 ? 'wss' : 'ws';
}

/** Reads a PEM or JSON file named in the section; the error names the key and the file. */
function readNamed(
  section: OcppSecuritySection,
  key: (typeof fileKeys)[number],
): string | undefined {
  const file = section[key];
  if (file === undefined) return undefined;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`ocppSecurity.${key}: cannot read ${file}: ${(error as Error).message}`);
  }
}

/** The CA a charge point trusts for wss:// (profile 2); undefined: the system's CAs. */
export function readCaPem(section: OcppSecuritySection): string | undefined {
  return section.profile === 2 ? readNamed(section, 'caFile') : undefined;
}

/** The server certificate and key of a central (profile 2), else undefined. */
export function readServerTls(
  section: OcppSecuritySection,
): { readonly certPem: string; readonly keyPem: string } | undefined {
  if (section.profile !== 2) return undefined;
  const certPem = readNamed(section, 'certFile');
  const keyPem = readNamed(section, 'keyFile');
  if (certPem === undefined || keyPem === undefined) {
    throw new Error('ocppSecurity.profile 2 needs certFile and keyFile.');
  }
  return { certPem, keyPem };
}

/** Outside stations' passwords from passwordsFile; throws with every problem found. */
export function readStationPasswords(section: OcppSecuritySection): ReadonlyMap<string, string> {
  const text = readNamed(section, 'passwordsFile');
  const passwords = new Map<string, string>();
  if (text === undefined) return passwords;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`ocppSecurity.passwordsFile is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(
      'ocppSecurity.passwordsFile must hold an object { "<identity>": "<password>" }.',
    );
  }
  const problems: string[] = [];
  for (const [identity, password] of Object.entries(parsed)) {
    const identityProblem = validateIdentity(identity);
    if (identityProblem !== null) problems.push(`"${identity}": ${identityProblem}`);
    // Only the length is reported: the value is a secret.
    if (
      typeof password !== 'string' ||
      password.length < stationPasswordLengthMin ||
      password.length > stationPasswordLength
    ) {
      problems.push(
        `"${identity}": the password must be a string of ${stationPasswordLengthMin} to ${stationPasswordLength} characters.`,
      );
      continue;
    }
    passwords.set(identity, password);
  }
  if (problems.length > 0) {
    throw new Error(`ocppSecurity.passwordsFile: ${problems.join(' ')}`);
  }
  return passwords;
}

/**
 * The central's password lookup: the passwordsFile entry, else the derived password of a cluster
 * member, else undefined (an unknown identity, refused). Undefined for profile 0.
 */
export function stationPasswordLookup(
  section: OcppSecuritySection,
  clusterSecret: string,
  memberIds: readonly string[],
): StationPasswordLookup | undefined {
  if (section.profile === 0) return undefined;
  const listed = readStationPasswords(section);
  const members = new Set(memberIds);
  return (identity) =>
    listed.get(identity) ??
    (members.has(identity) ? deriveStationPassword(clusterSecret, identity) : undefined);
}

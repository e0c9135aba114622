/**
 * The check a site command passes before it is proposed (docs/CLUSTER.md, "POST /submit"): its
 * shape, and every rule that needs no state. A payload that fails it is refused at the API and never
 * takes a slot; what depends on the state (is the charge point registered, is the connector free)
 * only the reducer can judge, when the command is applied.
 */
import type { ParseSiteCommandResult, SiteCommand } from './commands';
import { LEGACY_RENEW_LEASE, readSiteCommand } from './commands';
import type { Refusal } from './handlers/kit';
import { checkRegisterChargePoint } from './handlers/register-charge-point';
import { checkReserve } from './handlers/reserve';
import { checkSetSiteLimit } from './handlers/set-site-limit';
import { checkUpdateNeeds } from './handlers/update-needs';

/**
 * The rules of a command that need no state, from its handler, or null when it keeps them. A rule
 * belongs here only if a command breaking it at its own time `atMs` is rejected whatever the state:
 * the replicated clock is never before atMs (reducer.ts), so "ends after atMs" qualifies and "at
 * most so far ahead of the clock" does not.
 */
export function checkSiteCommand(command: SiteCommand): Refusal | null {
  switch (command.type) {
    case 'RegisterChargePoint':
      return checkRegisterChargePoint(command);
    case 'Reserve':
      return checkReserve(command);
    case 'UpdateNeeds':
      return checkUpdateNeeds(command);
    case 'SetSiteLimit':
      return checkSetSiteLimit(command);
    case 'CancelReservation':
    case 'StartSession':
    case 'StopSession':
    case 'ChargePointFaulted':
    case 'ChargePointRecovered':
    case 'RenewLeases':
    case 'RecordMeterValues':
    case 'RecordProfileRefused':
    case 'Noop':
      return null;
  }
}

/**
 * Checks an untrusted payload before it is proposed: the typed command, or why it is refused (a
 * stable code and one sentence naming the input). Never throws; pure.
 */
export function parseSiteCommand(payload: unknown): ParseSiteCommandResult {
  if ((payload as { type?: unknown } | null)?.type === LEGACY_RENEW_LEASE) {
    // Read in slots an older build decided (commands.ts), never proposed again: one mechanism.
    return {
      ok: false,
      code: 'invalid-command',
      reason: 'RenewLease is no longer proposed: submit RenewLeases {renewals: [...]}',
    };
  }
  const read = readSiteCommand(payload);
  if (!read.ok) return read;
  const refusal = checkSiteCommand(read.command);
  if (refusal === null) return read;
  return { ok: false, code: refusal.code, reason: `${read.command.type}: ${refusal.reason}` };
}

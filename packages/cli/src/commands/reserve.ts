/**
 * `evpaxos reserve cp3 --from 14:00 --to 15:00 --token T`: asks the leading central to reserve a
 * charge point's connector for a time window (POST /reservations, docs/SITE.md). Prints the slot
 * the Reserve was decided in and the outcome; exits 1 when the site refuses it, with the reason.
 * `--cancel ID` cancels one, `--list` prints the agreed reservations.
 */
import type { Argv, CommandModule } from 'yargs';
import type { ReservationState } from '@evpaxos/site';
import { LauncherError, openCluster, type ClusterHandle } from '../launcher';
import { httpJson, type HttpReply } from '../launcher/http-client';
import { runLauncher, withDir } from './launcher-command';

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 24 * 60 * MS_PER_MINUTE;
const unitMs: Record<string, number> = { s: 1_000, m: MS_PER_MINUTE, h: 60 * MS_PER_MINUTE };

/**
 * A time as the user types it: `now`, `+N[smh]` from now, `HH:MM` today in local time (the next
 * day when that is not after `notBeforeMs`, so `--from 23:00 --to 01:00` spans midnight), or an
 * ISO 8601 date-time. Throws a LauncherError naming the accepted forms.
 */
export function parseWhen(text: string, nowMs: number, notBeforeMs: number): number {
  if (text === 'now') return nowMs;
  const relative = /^\+(\d{1,6})([smh])$/.exec(text);
  if (relative !== null) return nowMs + Number(relative[1]) * (unitMs[relative[2]!] ?? 0);
  const clock = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (clock !== null && Number(clock[1]) < 24 && Number(clock[2]) < 60) {
    const day = new Date(nowMs);
    day.setHours(Number(clock[1]), Number(clock[2]), 0, 0);
    const ms = day.getTime();
    return ms <= notBeforeMs && notBeforeMs !== nowMs ? ms + MS_PER_DAY : ms;
  }
  const iso = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}T/.test(text) && Number.isFinite(iso)) return iso;
  throw new LauncherError(
    'invalid-option',
    `"${text}" is not a time: use HH:MM (today, local time), +10m / +30s / +1h, now, or an ISO date-time.`,
  );
}

/** GET /reservations' items: the site's agreed reservation (docs/SITE.md). */
type ReservationView = Readonly<ReservationState>;

function hhmm(ms: number): string {
  const date = new Date(ms);
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}:${String(date.getSeconds()).padStart(2, '0')}`;
}

/** `reservation 17 cp3/1 for T 14:00:00–15:00:00` (local time). */
export function formatReservation(reservation: ReservationView): string {
  return `reservation ${reservation.reservationId} ${reservation.chargePointId}/${reservation.connectorId} for ${reservation.idToken} ${hhmm(reservation.startsAtMs)}–${hhmm(reservation.expiresAtMs)}`;
}

/**
 * One request to the reservations API of the leading central: asks the centrals in turn, follows a
 * 421 to the leader it names, and retries a 503/504 or a central that does not answer until the
 * deadline. Any other answer (2xx, 4xx) is the site's and is returned.
 */
export async function reservationRequest(
  cluster: ClusterHandle,
  method: 'GET' | 'POST' | 'DELETE',
  route: string,
  body: unknown,
  timeoutMs: number,
): Promise<HttpReply> {
  const deadline = Date.now() + timeoutMs;
  const centrals = cluster.nodes.filter((n) => n.role === 'central').map((n) => n.id);
  // POST and DELETE change state: they carry the cluster's API token (docs/CLUSTER.md).
  const token = method === 'GET' ? undefined : cluster.apiToken;
  let queue = [...centrals];
  let lastProblem = 'no central answered';
  for (let attempt = 0; Date.now() < deadline; attempt += 1) {
    const target = queue[attempt % queue.length]!;
    try {
      const reply = await httpJson(
        `${cluster.url(target)}${route}`,
        method,
        body,
        Math.max(1, deadline - Date.now()),
        token,
      );
      const answer = (reply.body ?? {}) as { leaderId?: unknown; error?: unknown };
      if (reply.status !== 421 && reply.status !== 503 && reply.status !== 504) return reply;
      lastProblem = `${target}: ${reply.status} ${String(answer.error ?? '')}`;
      const leaderId = answer.leaderId;
      if (typeof leaderId === 'string' && centrals.includes(leaderId) && leaderId !== target) {
        queue = [leaderId, ...centrals.filter((id) => id !== leaderId)];
        attempt = -1;
        continue;
      }
    } catch (error) {
      lastProblem = `${target}: ${(error as Error).message}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new LauncherError(
    'submit-timeout',
    `${method} ${route}: no answer within ${timeoutMs} ms (${lastProblem}).`,
  );
}

interface ReserveArgs {
  dir: string;
  chargePointId?: string;
  from?: string;
  to?: string;
  token?: string;
  connector: number;
  id?: number;
  cancel?: number;
  list: boolean;
  json: boolean;
  'timeout-ms': number;
}

export const reserveCommand: CommandModule<object, ReserveArgs> = {
  command: 'reserve [chargePointId]',
  describe:
    'Reserve a charge point for a time window (or --cancel ID, --list) and print the outcome',
  builder: (yargs: Argv) =>
    withDir(yargs)
      .positional('chargePointId', { type: 'string', describe: 'The charge point, e.g. cp3' })
      .option('from', {
        type: 'string',
        describe:
          'Window start: HH:MM (today, local time), +10m / +30s / +1h from now, now, or ISO',
      })
      .option('to', {
        type: 'string',
        describe: 'Window end, the same forms (HH:MM before --from: the next day)',
      })
      .option('token', { type: 'string', describe: 'The idToken the connector is held for' })
      .option('connector', { type: 'number', default: 1, describe: 'Connector id' })
      .option('id', { type: 'number', describe: 'Reservation id (default: the leader picks one)' })
      .option('cancel', { type: 'number', describe: 'Cancel this reservation id instead' })
      .option('list', {
        type: 'boolean',
        default: false,
        describe: 'Print the agreed reservations',
      })
      .option('json', { type: 'boolean', default: false, describe: 'Print the answer as JSON' })
      .option('timeout-ms', {
        type: 'number',
        default: 12_000,
        describe: 'Give up after this long',
      }) as unknown as Argv<ReserveArgs>,
  handler: (args) =>
    runLauncher(async () => {
      const cluster = openCluster(args.dir);
      const nowMs = Date.now();
      if (args.list) {
        const reply = await reservationRequest(
          cluster,
          'GET',
          '/reservations',
          undefined,
          args['timeout-ms'],
        );
        const list = ((reply.body as { reservations?: unknown[] }).reservations ??
          []) as Parameters<typeof formatReservation>[0][];
        if (args.json) console.log(JSON.stringify(list));
        else if (list.length === 0) console.log('No reservations held.');
        else for (const r of list) console.log(formatReservation(r));
        return;
      }
      if (args.cancel !== undefined) {
        const reply = await reservationRequest(
          cluster,
          'DELETE',
          `/reservations/${args.cancel}`,
          undefined,
          args['timeout-ms'],
        );
        report(reply, args.json, `reservation ${args.cancel} cancelled`);
        return;
      }
      if (args.chargePointId === undefined || args.to === undefined || args.token === undefined) {
        throw new LauncherError(
          'invalid-option',
          'Name the charge point, --to and --token (e.g. evpaxos reserve cp3 --from 14:00 --to 15:00 --token T), or use --cancel ID / --list.',
        );
      }
      const startsAtMs = parseWhen(args.from ?? 'now', nowMs, nowMs);
      const expiresAtMs = parseWhen(args.to, nowMs, startsAtMs);
      const body = {
        chargePointId: args.chargePointId,
        connectorId: args.connector,
        idToken: args.token,
        startsAtMs,
        expiresAtMs,
        ...(args.id === undefined ? {} : { reservationId: args.id }),
      };
      const reply = await reservationRequest(
        cluster,
        'POST',
        '/reservations',
        body,
        args['timeout-ms'],
      );
      report(
        reply,
        args.json,
        `${formatReservation({ ...body, reservationId: (reply.body as { reservationId?: number }).reservationId ?? -1 })}`,
      );
    }),
};

/** Prints an answer; a refusal (4xx) sets exit code 1 and names the reason. */
function report(reply: { status: number; body: unknown }, json: boolean, what: string): void {
  const body = (reply.body ?? {}) as Record<string, unknown>;
  const ok = reply.status >= 200 && reply.status < 300;
  if (json) {
    console.log(JSON.stringify({ status: reply.status, ...body }));
  } else if (ok) {
    const station = body.reserveNowStatus ?? body.cancelStatus;
    console.log(
      `accepted in slot ${String(body.slot)}: ${what}` +
        (station === undefined ? '' : ` (station: ${String(station)})`),
    );
  } else {
    const slot =
      body.slot === undefined || body.slot === null
        ? 'before any slot'
        : `in slot ${String(body.slot)}`;
    console.log(`refused ${slot}: ${String(body.error)}: ${String(body.reason ?? '')}`.trimEnd());
  }
  if (!ok) process.exitCode = 1;
}

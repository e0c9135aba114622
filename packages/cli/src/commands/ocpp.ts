/**
 * `evpaxos ocpp <operation> <station> [payload]`: an operator's CSMS → station operation
 * (docs/OCPP.md, "Operator operations"): POST /ocpp/stations/:station/:operation, the payload being
 * the OCPP 2.0.1 request, on the central that holds the station's OCPP connection when one lists it
 * (any other central relays the call there), else on the first central that answers.
 * `evpaxos ocpp stations` lists the connected stations, agreed sessions and meters.
 */
import type { Argv, CommandModule } from 'yargs';
import { LauncherError, openCluster, type ClusterHandle } from '../launcher';
import { httpJson } from '../launcher/http-client';
import { runLauncher, withDir } from './launcher-command';

interface OcppArgs {
  dir: string;
  operation: string;
  station?: string;
  payload?: string;
  'timeout-ms': number;
}

/** The central whose /ocpp/stations lists the station as connected, else the first that answers. */
async function centralFor(
  cluster: ClusterHandle,
  station: string | undefined,
  timeoutMs: number,
): Promise<string> {
  let answering: string | undefined;
  for (const node of cluster.nodes.filter((candidate) => candidate.role === 'central')) {
    const reply = await httpJson(
      `${cluster.url(node.id)}/ocpp/stations`,
      'GET',
      undefined,
      timeoutMs,
    ).catch(() => null);
    if (reply?.status !== 200) continue;
    answering ??= node.id;
    const connected = (reply.body as { connected?: unknown }).connected;
    if (station !== undefined && Array.isArray(connected) && connected.includes(station))
      return node.id;
  }
  if (answering === undefined) {
    throw new LauncherError('node-down', 'No central answers GET /ocpp/stations: is the site up?');
  }
  return answering;
}

function parsePayload(text: string | undefined): unknown {
  if (text === undefined) return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new LauncherError(
      'invalid-option',
      `The payload is not JSON (${(error as Error).message}): quote it, e.g. '{"transactionId":"tx1"}'.`,
    );
  }
}

export const ocppCommand: CommandModule<object, OcppArgs> = {
  command: 'ocpp <operation> [station] [payload]',
  describe:
    'A CSMS operation on a station (RequestStartTransaction, Reset, GetVariables, …; docs/OCPP.md), or "stations"',
  builder: (yargs: Argv) =>
    withDir(yargs)
      .positional('operation', {
        type: 'string',
        demandOption: true,
        describe: 'An OCPP 2.0.1 operation name, or "stations"',
      })
      .positional('station', { type: 'string', describe: 'The station identity, e.g. cp1' })
      .positional('payload', {
        type: 'string',
        describe: 'The OCPP request payload as JSON (default {})',
      })
      .option('timeout-ms', {
        type: 'number',
        default: 30_000,
        describe: 'Give up after this long',
      }) as unknown as Argv<OcppArgs>,
  handler: (args) =>
    runLauncher(async () => {
      const cluster = openCluster(args.dir);
      if (args.operation === 'stations') {
        const central = await centralFor(cluster, undefined, args['timeout-ms']);
        const reply = await httpJson(
          `${cluster.url(central)}/ocpp/stations`,
          'GET',
          undefined,
          args['timeout-ms'],
        );
        console.log(JSON.stringify(reply.body, null, 2));
        return;
      }
      // The central names the operations it knows when it refuses one (404 unknown-operation).
      if (args.station === undefined) {
        throw new LauncherError(
          'invalid-option',
          `Name the station: evpaxos ocpp ${args.operation} <station>.`,
        );
      }
      const payload = parsePayload(args.payload);
      const central = await centralFor(cluster, args.station, args['timeout-ms']);
      const reply = await httpJson(
        `${cluster.url(central)}/ocpp/stations/${encodeURIComponent(args.station)}/${args.operation}`,
        'POST',
        payload,
        args['timeout-ms'],
        cluster.apiToken,
      );
      console.log(JSON.stringify({ central, status: reply.status, ...(reply.body as object) }));
      if (reply.status >= 400) process.exitCode = 1;
    }),
};

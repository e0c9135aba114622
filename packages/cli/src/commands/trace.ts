import { setTimeout as sleep } from 'node:timers/promises';
import type { Argv, CommandModule } from 'yargs';
import { tracedMessageTypes } from '@evpaxos/runtime';
import {
  LauncherError,
  TraceReader,
  formatTracedMessage,
  openCluster,
  type TracedMessage,
} from '../launcher';
import { runLauncher, withDir } from './launcher-command';

interface TraceArgs {
  dir: string;
  nodes?: string;
  'for-ms'?: number;
  history: boolean;
  received: boolean;
  json: boolean;
  type?: string;
  slot?: number;
}

/** How often the nodes' GET /trace is read. */
const TRACE_POLL_MS = 200;
/**
 * Events are printed once they are this old: a node read a moment later may still hold an earlier
 * message, and the lines are in time order across nodes.
 */
const TRACE_SETTLE_MS = 400;

export const traceCommand: CommandModule<object, TraceArgs> = {
  command: 'trace',
  describe:
    'Print every PreVote, Prepare, Promise, Accept, Accepted, Nack and Decide the running nodes send (turns tracing on, and off again when done)',
  builder: (yargs: Argv) =>
    withDir(yargs)
      .option('nodes', {
        type: 'string',
        describe: 'Only these nodes, e.g. central-a,cp1 (default: every node)',
      })
      .option('for-ms', {
        type: 'number',
        describe: 'Stop after this long (default: until Ctrl-C)',
      })
      .option('history', {
        type: 'boolean',
        default: false,
        describe: 'Start with what the nodes still keep (nodes started with --trace: the election)',
      })
      .option('received', {
        type: 'boolean',
        default: false,
        describe: 'Also print each arrival (⇠), not only each send (→)',
      })
      .option('type', {
        type: 'string',
        describe: `Only these types, e.g. prepare,promise,nack (of ${tracedMessageTypes.join(', ')})`,
      })
      .option('slot', {
        type: 'number',
        describe: 'Only the Accepts, Accepteds and Decides of this slot',
      })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'One JSON object per message',
      }) as unknown as Argv<TraceArgs>,
  handler: (args) =>
    runLauncher(async () => {
      const forMs = args['for-ms'];
      if (forMs !== undefined && forMs < 0) {
        throw new LauncherError('invalid-option', `--for-ms must be 0 or more (got ${forMs}).`);
      }
      const nodeIds = args.nodes
        ?.split(',')
        .map((id) => id.trim())
        .filter((id) => id !== '');
      const wanted = messageFilter(args);
      const reader = await TraceReader.attach(openCluster(args.dir), {
        ...(nodeIds !== undefined ? { nodeIds } : {}),
        history: args.history,
        onNote: (text) => console.error(`evpaxos trace: ${text}`),
      });
      let stopping = false;
      const stop = () => {
        stopping = true;
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const endAtMs = forMs === undefined ? Infinity : Date.now() + forMs;
      const pending: Awaited<ReturnType<TraceReader['read']>> = [];
      try {
        for (;;) {
          pending.push(...(await reader.read()));
          pending.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
          const last = stopping || Date.now() >= endAtMs;
          const settledBeforeMs = last ? Infinity : Date.now() - TRACE_SETTLE_MS;
          while (pending.length > 0 && (pending[0]?.atMs ?? Infinity) <= settledBeforeMs) {
            const event = pending.shift();
            if (event === undefined || (event.dir === 'recv' && !args.received)) continue;
            if (!wanted(event)) continue;
            console.log(args.json ? JSON.stringify(event) : formatTracedMessage(event));
          }
          if (last) break;
          await sleep(TRACE_POLL_MS);
        }
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await reader.stop();
      }
    }),
};

/** --type and --slot as one predicate; a bad value is a usage error (exit 2). */
function messageFilter(args: TraceArgs): (event: TracedMessage) => boolean {
  const types = args.type
    ?.split(',')
    .map((type) => type.trim())
    .filter((type) => type !== '');
  for (const type of types ?? []) {
    if (!(tracedMessageTypes as readonly string[]).includes(type)) {
      throw new LauncherError(
        'invalid-option',
        `--type ${type} is not a traced message type (${tracedMessageTypes.join(', ')}).`,
      );
    }
  }
  const slot = args.slot;
  if (slot !== undefined && !(Number.isSafeInteger(slot) && slot >= 0)) {
    throw new LauncherError('invalid-option', `--slot must be a slot number (got ${slot}).`);
  }
  return (event) =>
    (types === undefined || types.includes(event.type)) &&
    (slot === undefined ||
      (event.type === 'decide'
        ? (event.slots ?? []).includes(slot)
        : (event.type === 'accept' || event.type === 'accepted') && event.slot === slot));
}

import { ballotToString } from '@evpaxos/paxos';
import { isNodeAlive, type TraceEvent, type TraceView } from '@evpaxos/runtime';
import type { ClusterHandle } from './cluster-handle';
import { LauncherError } from './errors';
import { httpJson } from './http-client';

/** One traced message with the node that recorded it. */
export interface TracedMessage extends TraceEvent {
  readonly node: string;
}

/** How long one GET or PUT /trace may take: a paused node must not stall the others. */
const TRACE_REQUEST_TIMEOUT_MS = 1_000;

/**
 * Follows the message trace of a running cluster (`evpaxos trace`, docs/CLUSTER.md "Message
 * trace"): turns tracing on where it is off, reads every node's GET /trace, and hands back the new
 * events of all nodes merged in time order. `stop()` turns tracing off again on the nodes it
 * turned on, so attaching leaves the cluster as it found it.
 */
export class TraceReader {
  private readonly afterSeq = new Map<string, number>();
  private readonly turnedOn = new Set<string>();
  private readonly unreachable = new Set<string>();

  private constructor(
    private readonly handle: ClusterHandle,
    private readonly ids: readonly string[],
    private readonly onNote: (text: string) => void,
  ) {}

  /**
   * Attaches to `nodeIds` (default: every node of the cluster). With `history`, the first read
   * returns what each node still keeps; otherwise only what happens from now on.
   */
  static async attach(
    handle: ClusterHandle,
    options: { nodeIds?: readonly string[]; history?: boolean; onNote?: (text: string) => void },
  ): Promise<TraceReader> {
    const known = handle.nodes.map((node) => node.id);
    for (const id of options.nodeIds ?? []) {
      if (!known.includes(id)) {
        throw new LauncherError(
          'unknown-node',
          `No node ${id} in this cluster (it has ${known.join(', ')}).`,
        );
      }
    }
    const reader = new TraceReader(
      handle,
      options.nodeIds ?? known,
      options.onNote ?? (() => undefined),
    );
    await reader.start(options.history ?? false);
    return reader;
  }

  private async start(history: boolean): Promise<void> {
    await Promise.all(
      this.ids.map(async (id) => {
        const node = this.handle.node(id);
        if (!isNodeAlive(node.pid, node.id)) {
          this.note(id, `${id} is not running: its messages are not traced until it is`);
          return;
        }
        const view = await this.get(id, 0);
        if (view === null) return;
        this.afterSeq.set(id, history ? 0 : view.lastSeq);
        if (!view.on) await this.turnOn(id);
      }),
    );
  }

  /** PUT /trace {on: true}; remembered, so stop() turns it off again. */
  private async turnOn(id: string): Promise<void> {
    const answer = await httpJson(
      `${this.handle.url(id)}/trace`,
      'PUT',
      { on: true },
      TRACE_REQUEST_TIMEOUT_MS,
      this.handle.apiToken,
    );
    if (answer.status === 401 || answer.status === 403) {
      throw new LauncherError(
        'unauthorized',
        `${id} refused to turn tracing on (${answer.status}): no API token for this cluster (docs/CLUSTER.md, "Authentication").`,
      );
    }
    if (answer.status !== 200) {
      throw new LauncherError('http-error', `PUT ${id}/trace answered ${answer.status}.`);
    }
    this.turnedOn.add(id);
  }

  /** The events recorded since the last read, of every node, oldest first. */
  async read(): Promise<TracedMessage[]> {
    const batches = await Promise.all(
      this.ids.map(async (id) => {
        const after = this.afterSeq.get(id) ?? 0;
        const view = await this.get(id, after);
        if (view === null) return [];
        if (view.lastSeq < after) {
          // Restarted (its seq counts from 1 again, tracing off unless it was started with
          // --trace): read it from its start next time, and turn tracing on again if we had.
          this.onNote(`${id} restarted: following its new trace`);
          this.afterSeq.set(id, 0);
          if (!view.on && this.turnedOn.has(id)) await this.turnOn(id).catch(() => undefined);
          return [];
        }
        if (view.missed > 0) this.onNote(`${id}: ${view.missed} traced messages were missed`);
        this.afterSeq.set(id, view.lastSeq);
        return view.events.map((event) => ({ ...event, node: id }));
      }),
    );
    return batches.flat().sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
  }

  /** Turns tracing off on the nodes this reader turned it on. */
  async stop(): Promise<void> {
    const token = this.handle.apiToken;
    await Promise.all(
      [...this.turnedOn].map((id) =>
        httpJson(
          `${this.handle.url(id)}/trace`,
          'PUT',
          { on: false },
          TRACE_REQUEST_TIMEOUT_MS,
          token,
        ).catch(() => undefined),
      ),
    );
    this.turnedOn.clear();
  }

  private async get(id: string, after: number): Promise<TraceView | null> {
    try {
      const answer = await httpJson(
        `${this.handle.url(id)}/trace?after=${after}`,
        'GET',
        undefined,
        TRACE_REQUEST_TIMEOUT_MS,
      );
      if (answer.status !== 200) throw new Error(`HTTP ${answer.status}`);
      this.unreachable.delete(id);
      return answer.body as TraceView;
    } catch (error) {
      this.note(id, `${id} did not answer GET /trace (${(error as Error).message})`);
      return null;
    }
  }

  /** A node's trouble, said once until it answers again. */
  private note(id: string, text: string): void {
    if (this.unreachable.has(id)) return;
    this.unreachable.add(id);
    this.onNote(text);
  }
}

/**
 * One line per message, as a student reads a Paxos diagram:
 * `20:31:05.123  central-a → cp1       accept     ballot 2.central-a  slot 7`.
 */
export function formatTracedMessage(event: TracedMessage): string {
  const time = new Date(event.atMs).toISOString().slice(11, 23);
  const arrow = event.dir === 'send' ? '→' : '⇠';
  const route = `${event.from} ${arrow} ${event.to}`.padEnd(24);
  const ballot = event.ballot === null ? '' : `ballot ${ballotToString(event.ballot)}`;
  return `${time}  ${route} ${event.type.padEnd(14)} ${[ballot, detailOf(event)].filter((part) => part !== '').join('  ')}`;
}

function detailOf(event: TraceEvent): string {
  switch (event.type) {
    case 'pre-vote':
      return 'would you promise this ballot?';
    case 'pre-vote-reply':
      return event.granted === true ? 'granted' : 'refused (hears a live leader)';
    case 'prepare':
      return `from slot ${event.slot ?? '?'}`;
    case 'promise':
      return event.slots !== undefined && event.slots.length > 0
        ? `accepted before: slots ${event.slots.join(',')}`
        : 'accepted before: nothing';
    case 'accept':
    case 'accepted':
      return `slot ${event.slot ?? '?'}`;
    case 'nack':
      return `promised ${event.promised ? ballotToString(event.promised) : '?'}${event.leaseLive ? ' (hears a live leader)' : ''}`;
    case 'decide':
      return `slots ${(event.slots ?? []).join(',')}`;
  }
}

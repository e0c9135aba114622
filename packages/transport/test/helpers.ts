import type { Message, NodeId } from '@evpaxos/wire';
import type { Logger, Transport } from '../src/types';

/** Polls until `predicate` holds: waits for an event without a fixed sleep. */
export async function waitUntil(
  predicate: () => boolean,
  what: string,
  timeoutMs = 4_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export interface Received {
  readonly from: NodeId;
  readonly message: Message;
}

/** Records every message a transport delivers. */
export function collect(transport: Transport): Received[] {
  const received: Received[] = [];
  transport.onMessage((from, message) => received.push({ from, message }));
  return received;
}

export function heartbeat(round: number, proposerId = 'p'): Message {
  return { type: 'heartbeat', ballot: { round, proposerId }, decidedBelow: 0 };
}

export function roundsFrom(received: readonly Received[], from: NodeId): number[] {
  return received
    .filter((entry) => entry.from === from && entry.message.type === 'heartbeat')
    .map((entry) => (entry.message.type === 'heartbeat' ? entry.message.ballot.round : -1));
}

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly meta: Record<string, unknown> | undefined;
}

export function recordingLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const record =
    (level: LogEntry['level']) => (message: string, meta?: Record<string, unknown>) => {
      entries.push({ level, message, meta });
    };
  return {
    entries,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
}

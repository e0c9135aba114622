import type { NodeId } from '@evpaxos/wire';
import {
  clusterSecretBytesMin,
  defaultWebSocketLimits,
  idLengthMax,
  type WebSocketLimits,
} from './constants';
import { TransportError } from './errors';

export interface WebSocketTransportOptions extends Partial<WebSocketLimits> {
  readonly nodeId: NodeId;
  /** Members of other clusters are refused even if they share the secret. */
  readonly clusterId: string;
  /** Shared by all members; at least 16 bytes (32 random bytes recommended). Never sent, never logged. */
  readonly clusterSecret: string;
  /** Where to accept connections from peers; port 0 picks a free port (see `port`). */
  readonly listen: { readonly host: string; readonly port: number };
  /**
   * Every other member and the ws:// (or wss://) URL it listens at. A null URL means "not known
   * yet": the member may connect to us, and we dial it once `setPeerUrl` gives the address.
   */
  readonly peers: Readonly<Record<NodeId, string | null>>;
  /**
   * Peers of `peers` that we dial only once we have something to send them, not at start: links
   * that would carry nothing but pings (in a site, one charge point to another: Paxos runs
   * between the centrals and every charge point; docs/PROTOCOL-WIRE.md, "Links on demand").
   * Until then the peer is not in `peers()`; what we send it waits for the link to open.
   */
  readonly dialOnDemand?: readonly NodeId[];
}

/**
 * The limits in force: the defaults overridden by the options given. Bad configuration throws
 * here, at construction, one sentence per broken rule (docs/STYLE.md rule 4).
 */
export function resolveLimits(options: WebSocketTransportOptions): WebSocketLimits {
  const limits = Object.freeze({ ...defaultWebSocketLimits, ...definedOnly(options) });
  const problems = [...optionProblems(options), ...limitProblems(limits)];
  if (problems.length > 0) throw new TransportError('invalid-options', problems.join(' '));
  return limits;
}

/** Why `url` cannot be a peer's address, or null if it can. */
export function urlProblem(url: string): string | null {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:')
      return `URL ${url} must be ws:// or wss://.`;
    return null;
  } catch {
    return `URL ${url} does not parse.`;
  }
}

function definedOnly(options: Partial<WebSocketLimits>): Partial<WebSocketLimits> {
  const limits: Record<string, number> = {};
  for (const key of Object.keys(defaultWebSocketLimits) as (keyof WebSocketLimits)[]) {
    const value = options[key];
    if (value !== undefined) limits[key] = value;
  }
  return limits;
}

function optionProblems(options: WebSocketTransportOptions): string[] {
  const problems: string[] = [];
  const checkId = (name: string, id: unknown) => {
    if (typeof id !== 'string' || id.length === 0 || id.length > idLengthMax) {
      problems.push(`${name} must be a non-empty string of at most ${idLengthMax} characters.`);
    }
  };
  checkId('nodeId', options.nodeId);
  checkId('clusterId', options.clusterId);
  if (
    typeof options.clusterSecret !== 'string' ||
    Buffer.byteLength(options.clusterSecret) < clusterSecretBytesMin
  ) {
    problems.push(`clusterSecret must be at least ${clusterSecretBytesMin} bytes.`);
  }
  const port = options.listen?.port;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    problems.push('listen.port must be an integer in [0, 65535].');
  if (typeof options.listen?.host !== 'string') problems.push('listen.host must be a string.');
  for (const id of options.dialOnDemand ?? []) {
    if (!Object.hasOwn(options.peers ?? {}, id))
      problems.push(`dialOnDemand names ${String(id)}, which is not in peers.`);
  }
  for (const [id, url] of Object.entries(options.peers ?? {})) {
    checkId(`Peer id ${id}`, id);
    if (id === options.nodeId) problems.push(`peers must not include this node (${id}).`);
    if (url !== null) {
      const problem = urlProblem(url);
      if (problem) problems.push(`Peer ${id}: ${problem}`);
    }
  }
  return problems;
}

function limitProblems(limits: WebSocketLimits): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0)
      problems.push(`${name} must be a positive integer.`);
  }
  if (limits.reconnectDelayMinMs > limits.reconnectDelayMaxMs) {
    problems.push('reconnectDelayMinMs must not exceed reconnectDelayMaxMs.');
  }
  if (limits.sendBufferBytesMax < limits.maxFrameBytes) {
    problems.push(
      'sendBufferBytesMax must be at least maxFrameBytes, or a maximum-size frame could never be sent.',
    );
  }
  if (limits.livenessTimeoutMs <= 2 * limits.pingIntervalMs + limits.silenceSlackMs) {
    problems.push(
      'livenessTimeoutMs must exceed 2 × pingIntervalMs + silenceSlackMs, so that a listener pings a quiet link and a link is reported silent before it is closed.',
    );
  }
  return problems;
}

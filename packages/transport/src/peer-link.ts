import type { Message, NodeId } from '@evpaxos/wire';
import type { WebSocketLimits } from './constants';
import type { Connection } from './connection';
import type { PeerState, PeerStatus } from './types';

/** Our view of one member: the link we send on, the one we receive on, and its reported state. */
export interface PeerLink {
  readonly id: NodeId;
  url: string | null;
  /** The state last reported (to `onPeerChange`); `peers()` derives the current one. */
  state: PeerState;
  /** The link we send on. */
  outbound: Connection | null;
  /** The link we receive on (the peer's outbound), once authenticated. */
  inbound: Connection | null;
  /** Reconnect attempts since the last successful handshake: the backoff exponent. */
  attempt: number;
  reconnectTimer: NodeJS.Timeout | null;
  /** Wall-clock ms when a frame or pong last arrived from this peer, on either link. */
  lastSeenMs: number | null;
  /**
   * Messages encoded during this turn, sent as one frame when it ends (a queued microtask): a
   * leader's Decide and Accept, or an acceptor's Accepteds, cost one write and one wake-up of the
   * peer instead of one each. Measured in docs/BENCHMARKS.md.
   */
  batch: QueuedMessage[];
  batchBytes: number;
  /** Dialled only once something is to be sent (`WebSocketTransportOptions.dialOnDemand`). */
  readonly onDemand: boolean;
  /** Whether we ever dialled it: an on-demand link not yet dialled is not reported in `peers()`. */
  dialled: boolean;
  /** What was sent on an on-demand link while it connected, sent once it opens (bounded). */
  held: QueuedMessage[];
  heldBytes: number;
}

/** One encoded Paxos message waiting for its frame. */
export interface QueuedMessage {
  readonly bytes: Uint8Array;
  readonly type: Message['type'];
}

export function createPeerLink(id: NodeId, url: string | null, onDemand = false): PeerLink {
  return {
    id,
    url,
    state: 'down',
    outbound: null,
    inbound: null,
    attempt: 0,
    reconnectTimer: null,
    lastSeenMs: null,
    batch: [],
    batchBytes: 0,
    onDemand,
    dialled: false,
    held: [],
    heldBytes: 0,
  };
}

/**
 * The truth about our send link at monotonic time `nowMs`. An authenticated link is `silent` when
 * nothing has come back on it (the peer sends us only pongs there) for a ping interval plus the
 * slack, and a ping has been out for at least the slack — so a late wake-up of our own timer
 * (a stalled event loop) is not blamed on the peer (docs/PROTOCOL-WIRE.md, "Liveness").
 */
export function currentState(link: PeerLink, nowMs: number, limits: WebSocketLimits): PeerState {
  const outbound = link.outbound;
  if (link.state === 'down' || link.state === 'connecting' || outbound === null) return link.state;
  return silentAtMs(outbound, limits) <= nowMs ? 'silent' : 'connected';
}

/** When an authenticated connection that hears nothing more will count as silent. */
export function silentAtMs(connection: Connection, limits: WebSocketLimits): number {
  const quietLimitAtMs = connection.heardAtMs + limits.pingIntervalMs + limits.silenceSlackMs;
  // The first ping sent since we last heard must have had the slack to come back.
  const pingAnsweredByMs =
    connection.unansweredPingAtMs === null
      ? Number.POSITIVE_INFINITY
      : connection.unansweredPingAtMs + limits.silenceSlackMs;
  return Math.max(quietLimitAtMs, pingAnsweredByMs);
}

export function statusOf(link: PeerLink, state: PeerState = link.state): PeerStatus {
  return { id: link.id, state, lastSeenMs: link.lastSeenMs };
}

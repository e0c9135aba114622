import type { Message, NodeId } from '@evpaxos/wire';

/**
 * The state of our link to a peer, the one we send on.
 * - `connected`: authenticated, and the peer answered within a ping interval (plus slack); sends go out.
 * - `silent`: authenticated, but nothing (no pong) has come back for longer than that: a cut that
 *   sent no FIN or RST, or a stalled peer. Sends still go out (they arrive if the cut mends before
 *   `livenessTimeoutMs`, when the link is closed and redialled).
 * - `connecting`: dialling or in the handshake; sends are dropped.
 * - `down`: no link, a redial is scheduled (or the transport is closed); sends are dropped.
 */
export type PeerState = 'connected' | 'silent' | 'connecting' | 'down';

export interface PeerStatus {
  readonly id: NodeId;
  readonly state: PeerState;
  /** When a frame or pong last arrived from this peer (ms since the epoch), or null if never. */
  readonly lastSeenMs: number | null;
}

export type MessageHandler = (from: NodeId, message: Message) => void;
export type PeerChangeHandler = (status: PeerStatus) => void;

/**
 * A cluster mesh: delivers Paxos messages between members, at most once, in order per link,
 * with no promise of delivery. A send to a peer that is not connected is dropped, not queued:
 * Paxos retransmits what matters (prepare/accept retries, heartbeats, catch-up), and a queue
 * would only deliver stale ballots late.
 *
 * Handlers are called asynchronously (never inside `send`) and never after `close()`. A handler
 * that throws is a bug: the exception is not caught here.
 */
export interface Transport {
  readonly nodeId: NodeId;
  /** Starts listening and connecting. */
  start(): Promise<void>;
  /** Sends to one member (or to ourselves: delivered back asynchronously). Never blocks or throws for a down peer. */
  send(to: NodeId, message: Message): void;
  /** Sends to every other member; the message is encoded once. */
  broadcast(message: Message): void;
  /**
   * Writes now what `send` and `broadcast` queued during this turn, one frame per peer, instead of
   * when the turn's synchronous work ends: a caller with more work after its sends (a node applying
   * decided slots) lets its messages leave first.
   */
  flush(): void;
  /** Returns a function that unsubscribes. */
  onMessage(handler: MessageHandler): () => void;
  onPeerChange(handler: PeerChangeHandler): () => void;
  peers(): PeerStatus[];
  setFaultRules(rules: readonly FaultRule[]): void;
  clearFaultRules(): void;
  stats(): TransportStats;
  /** Stops everything; idempotent: later calls return the same promise. */
  close(): Promise<void>;
}

/**
 * A fault to inject, for tests, the admin API and `evpaxos partition`. Rules act on messages,
 * not on links: pings still flow, so a peer cut off by rules still shows as connected.
 * For each message the first rule that matches (peer, direction) and wins its probability draw
 * applies; if none does, the message passes untouched.
 */
export interface FaultRule {
  /** The peer whose messages the rule affects, or '*' for every peer. */
  readonly peer: NodeId | '*';
  /** 'out': messages we send to the peer; 'in': messages we receive from it. */
  readonly direction: 'in' | 'out' | 'both';
  readonly action: 'drop' | 'delay' | 'duplicate';
  /** For 'delay': how long to hold each message (then it may overtake or be overtaken). */
  readonly delayMs?: number;
  /** Chance in [0, 1] that the rule applies to a given message; default 1. */
  readonly probability?: number;
}

/** Injected logging: the process layer passes winston (or anything with these four methods). */
export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export const silentLogger: Logger = Object.freeze({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});

/**
 * Why we closed a connection. The wire codes come from `WireError`; the rest are the transport's.
 */
export type RejectionCode =
  | 'frame-too-large'
  | 'malformed-frame'
  | 'unsupported-version'
  | 'unknown-type'
  | 'invalid-body'
  /** A text frame: the cluster speaks binary frames only. */
  | 'text-frame'
  /** A Paxos frame before the handshake completed. */
  | 'unauthenticated-frame'
  /** A frame the handshake step or the link direction does not allow (e.g. a second hello). */
  | 'unexpected-frame'
  | 'cluster-id-mismatch'
  /** A hello from a node id not in our membership (or our own id). */
  | 'unknown-node'
  /** The other side is not the node we dialled, or it expected to reach another node. */
  | 'peer-id-mismatch'
  | 'bad-proof'
  | 'handshake-timeout'
  /** No pong nor frame for `livenessTimeoutMs`. */
  | 'liveness-timeout'
  | 'too-many-handshakes';

/** Why a message we were asked to send did not go out. */
export type DropReason =
  'peer-down' | 'fault-rule' | 'frame-too-large' | 'send-buffer-full' | 'closed';

/**
 * Counters for metrics. `…ByKind` count messages: handshake envelopes by kind, Paxos messages by
 * type. A WebSocket frame may carry several messages (those sent to one peer in one turn):
 * `framesIn`/`framesOut` count frames (the in-memory twin: one per message).
 */
export interface TransportStats {
  readonly framesInByKind: Readonly<Record<string, number>>;
  readonly framesOutByKind: Readonly<Record<string, number>>;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly framesIn: number;
  readonly framesOut: number;
  readonly rejectionsByCode: Readonly<Partial<Record<RejectionCode, number>>>;
  /** Messages dropped on send (for 'fault-rule': also those dropped on receipt by an 'in' rule). */
  readonly dropsByReason: Readonly<Partial<Record<DropReason, number>>>;
}

/** Collaborators shared by both implementations; all optional. */
export interface TransportCollaborators {
  readonly logger?: Logger;
  /** Uniform in [0, 1): for backoff jitter and fault probabilities. Default Math.random. */
  readonly random?: () => number;
  /** Wall clock in ms, for lastSeenMs. Default Date.now. */
  readonly now?: () => number;
}

import { defaultWireLimits } from '@evpaxos/wire';

/**
 * Every limit and timing of the WebSocket mesh, with its default. Each is an option of
 * `WebSocketTransport`; relations between them are checked when the transport is built.
 */
export interface WebSocketLimits {
  /**
   * Bytes in one frame, at most, both ways. Passed to ws as `maxPayload`, so ws refuses a larger
   * frame before buffering it (RFC 6455 §10.4: an endpoint must protect itself against large frames).
   */
  readonly maxFrameBytes: number;
  /** A connection that has not completed the handshake after this long is closed. */
  readonly handshakeTimeoutMs: number;
  /**
   * Our outbound connection is pinged (RFC 6455 §5.5.2) once nothing has arrived on it for this
   * long, and again every interval while it stays quiet; it carries nothing back but pongs, so a
   * live peer answers within one interval plus a round trip. An inbound connection is pinged only
   * after twice this: its dialer's pings already arrive every interval.
   */
  readonly pingIntervalMs: number;
  /**
   * Round trip and scheduling allowance: a link to a peer that has sent nothing back for
   * `pingIntervalMs + silenceSlackMs`, with a ping out for at least `silenceSlackMs`, is reported
   * `silent` rather than `connected` (docs/PROTOCOL-WIRE.md, "Liveness").
   */
  readonly silenceSlackMs: number;
  /**
   * A connection from which nothing — no frame, no pong — has arrived for this long is
   * terminated (`liveness-timeout`) and our link redialled. Must exceed
   * `2 × pingIntervalMs + silenceSlackMs`.
   */
  readonly livenessTimeoutMs: number;
  /** The first reconnect waits about this long; each failure doubles it, up to the maximum. */
  readonly reconnectDelayMinMs: number;
  /** Reconnect waits at most this long (the cap of the exponential backoff). */
  readonly reconnectDelayMaxMs: number;
  /**
   * Bytes queued in a socket, at most: past this, sends to that peer are dropped (Paxos
   * retransmits) rather than buffered without bound behind a slow peer.
   */
  readonly sendBufferBytesMax: number;
  /** Inbound connections still in the handshake, at most: more are closed at once. */
  readonly pendingHandshakesMax: number;
  /** A connection we closed for cause is terminated if the close handshake takes longer. */
  readonly closeGraceMs: number;
  /**
   * Warning lines per rejection code in one `rejectionWarningIntervalMs`, at most; the rest are
   * counted and summed up in one line when the interval ends (bounded logging, docs/LIMITS.md).
   */
  readonly rejectionWarningsPerIntervalMax: number;
  readonly rejectionWarningIntervalMs: number;
}

export const defaultWebSocketLimits: WebSocketLimits = Object.freeze({
  maxFrameBytes: defaultWireLimits.maxFrameBytes,
  handshakeTimeoutMs: 5_000,
  // Status tells the truth about a link within 1.5 s of a cut; a ping a second per quiet
  // connection is the idle cost (docs/LIMITS.md).
  pingIntervalMs: 1_000,
  silenceSlackMs: 500,
  livenessTimeoutMs: 5_000,
  reconnectDelayMinMs: 100,
  reconnectDelayMaxMs: 5_000,
  // Four maximum-size frames: enough for a burst of catch-up replies, bounded per peer.
  sendBufferBytesMax: 4 * defaultWireLimits.maxFrameBytes,
  // A cluster has a handful of members; more concurrent handshakes than this is a scan or a flood.
  pendingHandshakesMax: 64,
  closeGraceMs: 1_000,
  // A scan of the cluster port writes at most 3 lines a second per rejection code, plus a count.
  rejectionWarningsPerIntervalMax: 3,
  rejectionWarningIntervalMs: 1_000,
});

/** Characters in a node or cluster id, at most (the wire refuses longer ones). */
export const idLengthMax = defaultWireLimits.idLengthMax;

/**
 * Bytes of cluster secret, at least. HMAC-SHA256 keys shorter than the 32-byte output weaken it
 * (RFC 2104 §3); 16 is the floor below which we refuse to start.
 */
export const clusterSecretBytesMin = 16;

/** Fault rules in force at once, at most. */
export const faultRulesMax = 64;

/** A delay fault holds a message at most this long. */
export const faultDelayMsMax = 60_000;

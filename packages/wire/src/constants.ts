/**
 * The envelope version. A peer that speaks another version is refused with `unsupported-version`
 * rather than guessed at: a cluster is upgraded by restarting every member on the new version.
 * Version 2: envelopes and Paxos messages are MessagePack arrays (paxos-layout.ts), not maps.
 */
export const WIRE_VERSION = 2;

/** Bytes in a handshake nonce: 256 bits, so a nonce never repeats in practice (RFC 4086 §1). */
export const NONCE_BYTES = 32;

/** Bytes in a handshake proof: the output of HMAC-SHA256 (RFC 2104, FIPS 180-4). */
export const PROOF_BYTES = 32;

/**
 * Every bound the decoder enforces on untrusted frames. A frame from the wire is untrusted input:
 * each limit caps the memory or work one frame can make us spend. Each must be at least the
 * matching Paxos option (`batchCommandsMax`, `catchupEntriesMax`, `clientSeqWindow`, `clientsMax`)
 * or honest frames are refused.
 */
export interface WireLimits {
  /** Bytes in one encoded frame, at most. Checked before decoding and after encoding. */
  readonly maxFrameBytes: number;
  /** Envelopes in one frame (a sender coalesces the messages of one turn to a peer), at most. */
  readonly envelopesPerFrameMax: number;
  /** Characters in an id (node, cluster, client, proposer), at most. */
  readonly idLengthMax: number;
  /** Entries (accepted or decided) in one Paxos message, at most. */
  readonly entriesPerMessageMax: number;
  /** Parts of one Promise sent in several messages (Paxos catchupBytesMax per part), at most. */
  readonly promisePartsMax: number;
  /** Commands in one value (a slot's batch), at most. */
  readonly commandsPerValueMax: number;
  /** Client records in one snapshot, at most. */
  readonly clientsPerSnapshotMax: number;
  /** Applied seqs in one client record, at most. */
  readonly appliedSeqsPerClientMax: number;
  /** Nesting depth of opaque plain data (command payloads, results, snapshot state), at most. */
  readonly plainDataDepthMax: number;
}

export const defaultWireLimits: WireLimits = Object.freeze({
  // 4 MiB: a full catch-up reply (256 entries × 64 commands) or a site snapshot fits with room;
  // ws buffers a whole message before handing it over, so this is also memory per connection.
  maxFrameBytes: 4 * 1024 * 1024,
  // A leader's turn sends a peer one Accept per new slot (window 64) plus a Decide and a heartbeat.
  envelopesPerFrameMax: 1024,
  idLengthMax: 128,
  // Paxos catchupEntriesMax defaults to 256 and a Promise reports at most the window (64) plus
  // what a slow leader left behind; 4096 leaves headroom without letting one frame run away.
  entriesPerMessageMax: 4096,
  // A Promise holds about two windows of slots (128); even a part per slot stays far below.
  promisePartsMax: 1024,
  // Paxos batchCommandsMax defaults to 64.
  commandsPerValueMax: 1024,
  // Paxos clientsMax defaults to 10 000.
  clientsPerSnapshotMax: 65_536,
  // Paxos clientSeqWindow defaults to 1024.
  appliedSeqsPerClientMax: 4096,
  // Deep enough for any reasonable command; shallow enough that validation cannot blow the stack.
  plainDataDepthMax: 32,
});

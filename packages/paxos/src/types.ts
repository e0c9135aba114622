import type { Ballot } from './ballot';
import type { Admission, ConfigurationStep } from './membership';

export type NodeId = string;
export type Slot = number;

/**
 * A client command. (clientId, seq) identifies it: a retried command carries the same pair and is
 * applied exactly once (Paxos Made Moderately Complex §3: the replica's duplicate check).
 * Clients number their commands 1, 2, 3, … without gaps.
 */
export interface Command {
  readonly clientId: string;
  readonly seq: number;
  /** Opaque to Paxos: the replicated state machine interprets it. Must be plain data. */
  readonly payload: unknown;
}

/**
 * What one slot decides: a batch of commands. An empty batch is a no-op (a filled hole). Values are
 * never changed once proposed. A value that arrived encoded (the runtime's wire keeps a slot's
 * value as the bytes the leader encoded, so acceptors store them as they are) says how many bytes
 * that is, and decodes its commands when they are read.
 */
export interface Value {
  readonly commands: readonly Command[];
  /** The size of the value's encoding, when it has one: what estimateValueBytes then reports. */
  readonly encodedBytes?: number;
}

export const noop: Value = Object.freeze({ commands: Object.freeze([]) as readonly Command[] });

export function isNoop(value: Value): boolean {
  return value.commands.length === 0;
}

export function commandKey(command: Pick<Command, 'clientId' | 'seq'>): string {
  return `${command.clientId}#${command.seq}`;
}

/** A canonical text for a value, used to compare values for agreement. */
export function valueKey(value: Value): string {
  return isNoop(value) ? 'noop' : value.commands.map(commandKey).join(',');
}

/**
 * The application: a deterministic state machine. The same commands in the same order give the same
 * results and the same state on every replica. It must not do I/O, read a clock or draw randomness.
 */
export interface StateMachine<S = unknown, R = unknown> {
  apply(command: Command, slot: Slot): R;
  /** A deep copy of the state, as plain data (it is persisted and sent to lagging learners). */
  snapshot(): S;
  /** Replaces the state with a snapshot's. */
  restore(snapshot: S): void;
}

/** Per-client duplicate table: part of every snapshot, so exactly-once survives compaction. */
export interface ClientRecord {
  /** Every seq <= floorSeq was applied (or given up when the window overflowed). */
  floorSeq: number;
  /** Applied seqs above floorSeq, ascending. */
  appliedSeqs: number[];
  /** The result of the most recently applied command, for answering a retry. */
  lastSeq: number;
  lastResult: unknown;
  /** The slot of the client's latest applied command: the least recent client is evicted first. */
  lastSlot: number;
}

export interface Snapshot {
  /** Every slot <= appliedThrough is reflected in the state. */
  readonly appliedThrough: Slot;
  readonly state: unknown;
  readonly clients: Readonly<Record<string, ClientRecord>>;
  /** The configuration history from appliedThrough + 1 on (absent: the first configuration). */
  readonly configurations?: readonly ConfigurationStep[];
  /** Acceptors re-admitted in place after a disk loss (absent: none). docs/PAXOS.md, "Re-admission". */
  readonly admissions?: readonly Admission[];
}

export interface AcceptedEntry {
  readonly slot: Slot;
  readonly ballot: Ballot;
  readonly value: Value;
}

export interface DecidedEntry {
  readonly slot: Slot;
  /**
   * The ballot the value was chosen in. A learner that is also an acceptor and accepted exactly
   * this (slot, ballot) already holds the value: a proposer proposes one value per slot in a
   * ballot, and a ballot leads at most once (Acceptor.handlePrepare).
   */
  readonly ballot: Ballot;
  readonly value: Value;
}

/**
 * An entry of a Decide: a DecidedEntry whose value is left out when it goes to an acceptor, which
 * has it from the Accept for that slot and ballot (a commit notice, as Raft's commit index on
 * AppendEntries). The learner takes the value from its acceptor, or catches up when it has not.
 */
export interface DecideEntry {
  readonly slot: Slot;
  readonly ballot: Ballot;
  readonly value?: Value;
}

/**
 * What a node must write to durable storage. Deltas: apply them in order on top of what was there.
 * Invariant: a Ready's persist is durable before any of that Ready's messages is sent
 * (Paxos Made Simple §2.2: an acceptor must remember what it promised and accepted across failures).
 */
export interface PersistDelta {
  promised?: Ballot;
  accepted: AcceptedEntry[];
  /** A new snapshot; accepted entries for slots <= snapshot.appliedThrough may be dropped. */
  snapshot?: Snapshot;
}

/** Everything a node had made durable: what a restarted node starts from. */
export interface PersistedState {
  promised: Ballot;
  /** Accepted entries, one per slot (the latest written wins). */
  accepted: AcceptedEntry[];
  snapshot?: Snapshot;
}

export interface AppliedCommand {
  readonly command: Command;
  readonly result: unknown;
  /** True when this (clientId, seq) had been applied before: the state was not changed again. */
  readonly duplicate: boolean;
}

export interface AppliedEntry {
  readonly slot: Slot;
  readonly ballot: Ballot;
  readonly commands: readonly AppliedCommand[];
}

import type { Ballot } from './ballot';
import type { Message } from './messages';
import type { DecidedReconfiguration, Reconfiguration } from './membership';
import type { AcceptedEntry, AppliedEntry, NodeId, PersistDelta, Slot, Snapshot } from './types';

export interface Outbound {
  readonly to: NodeId;
  /** The same object may go to several peers: a transport can encode it once. */
  readonly message: Message;
}

/** Changes of a node's role and decisions it made, for logs, metrics and the process wrapper. */
export type NodeEvent =
  | { readonly type: 'became-candidate'; readonly ballot: Ballot }
  | { readonly type: 'became-leader'; readonly ballot: Ballot }
  | {
      readonly type: 'became-follower';
      readonly ballot: Ballot;
      readonly leaderId: NodeId | undefined;
      /** 'check-quorum': a leader that heard no quorum for an election timeout (check-quorum.ts). */
      readonly reason?: 'check-quorum';
    }
  | { readonly type: 'snapshot-taken'; readonly appliedThrough: number }
  | {
      /** This node's acceptor starts or stops voting (acceptor-standing.ts). */
      readonly type: 'standing-changed';
      readonly standing: string;
      readonly incarnation: number;
      /** When voting: the first slot it answers for. */
      readonly fromSlot?: number;
    }
  | {
      readonly type: 'configuration-decided';
      readonly slot: number;
      readonly change: Reconfiguration;
      readonly outcome: DecidedReconfiguration;
    }
  | { readonly type: 'snapshot-installed'; readonly appliedThrough: number }
  /**
   * The leader saw a phase-2 quorum accept `slot` at `ballot`: the value is chosen. `acceptedBy`
   * is that quorum (in arrival order); acceptors answering after the quorum are not counted, since
   * the leader stops tracking a slot once it is decided. For dashboards and metrics only.
   */
  | {
      readonly type: 'slot-decided';
      readonly slot: Slot;
      readonly ballot: Ballot;
      readonly acceptedBy: readonly NodeId[];
    };

/**
 * What the caller must do after step/tick/propose, in this order (etcd raft's Ready):
 * 1. make `persist` durable (fsync), 2. send `messages`, 3. hand `applied` to the application.
 */
export interface Ready {
  readonly persist: PersistDelta | undefined;
  readonly messages: readonly Outbound[];
  readonly applied: readonly AppliedEntry[];
  readonly events: readonly NodeEvent[];
}

/** Collects a node's outputs between two takeReady() calls. Shared by the node's roles. */
export class Outbox {
  private promised: Ballot | undefined;
  private accepted: AcceptedEntry[] = [];
  private snapshot: Snapshot | undefined;
  private messages: Outbound[] = [];
  private applied: AppliedEntry[] = [];
  private events: NodeEvent[] = [];
  /** Messages a node sends to itself: delivered by the node, never by the transport. */
  readonly local: Message[] = [];

  constructor(private readonly selfId: NodeId) {}

  send(to: NodeId, message: Message): void {
    if (to === this.selfId) this.local.push(message);
    else this.messages.push({ to, message });
  }

  sendAll(to: readonly NodeId[], message: Message): void {
    for (const id of to) this.send(id, message);
  }

  persistPromise(ballot: Ballot): void {
    this.promised = ballot;
  }

  persistAccepted(entry: AcceptedEntry): void {
    this.accepted.push(entry);
  }

  persistSnapshot(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    // Entries the snapshot covers are dropped by the store; do not write them again.
    this.accepted = this.accepted.filter((entry) => entry.slot > snapshot.appliedThrough);
  }

  apply(entry: AppliedEntry): void {
    this.applied.push(entry);
  }

  event(event: NodeEvent): void {
    this.events.push(event);
  }

  hasReady(): boolean {
    return (
      this.promised !== undefined ||
      this.accepted.length > 0 ||
      this.snapshot !== undefined ||
      this.messages.length > 0 ||
      this.applied.length > 0 ||
      this.events.length > 0
    );
  }

  take(): Ready {
    const hasPersist =
      this.promised !== undefined || this.accepted.length > 0 || this.snapshot !== undefined;
    const persist: PersistDelta | undefined = hasPersist
      ? {
          ...(this.promised !== undefined ? { promised: this.promised } : {}),
          accepted: this.accepted,
          ...(this.snapshot !== undefined ? { snapshot: this.snapshot } : {}),
        }
      : undefined;
    const ready: Ready = {
      persist,
      messages: this.messages,
      applied: this.applied,
      events: this.events,
    };
    this.promised = undefined;
    this.accepted = [];
    this.snapshot = undefined;
    this.messages = [];
    this.applied = [];
    this.events = [];
    return ready;
  }
}

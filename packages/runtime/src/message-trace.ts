import type { Ballot, Message, NodeId } from '@evpaxos/paxos';

/**
 * The Paxos phases a trace records (docs/CLUSTER.md, "Message trace"): the pre-vote a standby asks
 * before it campaigns (docs/PAXOS.md), Paxos Made Simple's 1a, 1b, 2a, 2b, the refusal, and the
 * commit. Heartbeats and catch-up are left out: they are the idle
 * traffic a student would have to read past, and the bulk of a quiet cluster's frames.
 */
export const tracedMessageTypes = [
  'pre-vote',
  'pre-vote-reply',
  'prepare',
  'promise',
  'accept',
  'accepted',
  'nack',
  'decide',
] as const;
export type TracedMessageType = (typeof tracedMessageTypes)[number];

/** One traced message as one node saw it: sent by it, or received by it. */
export interface TraceEvent {
  /** Increasing per node: GET /trace?after=seq returns only newer events. */
  readonly seq: number;
  /** Wall clock at this node (Date.now), ms: the processes of one machine share it. */
  readonly atMs: number;
  /** 'send': this node handed it to the transport; 'recv': it arrived here. */
  readonly dir: 'send' | 'recv';
  readonly type: TracedMessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly ballot: Ballot | null;
  /** Accept and Accepted: their slot; Prepare: its fromSlot; Decide: its first slot; else null. */
  readonly slot: number | null;
  /** Decide: every slot it names; Promise: the slots it reports accepted (at most 16 listed). */
  readonly slots?: readonly number[];
  /** Nack: the ballot the acceptor has promised. */
  readonly promised?: Ballot;
  /** Nack: refused because the acceptor hears a live leader (leader stickiness). */
  readonly leaseLive?: true;
  /** PreVoteReply: would this acceptor promise the candidate's ballot now. */
  readonly granted?: boolean;
}

/** GET /trace's answer. */
export interface TraceView {
  readonly id: NodeId;
  /** Tracing now (--trace, or PUT /trace {on: true}). */
  readonly on: boolean;
  /** The seq of the newest event kept: ask with after=this next time. */
  readonly lastSeq: number;
  /** Older events were dropped (the ring holds traceEventsKeptMax) before this caller read them. */
  readonly missed: number;
  readonly events: readonly TraceEvent[];
}

const listedSlotsMax = 16;

/**
 * A bounded ring of the traced messages of one node. The node calls `record` only while tracing is
 * on (ClusterNode checks one boolean per Ready and per arrival), so an untraced node pays nothing
 * per message (docs/STYLE.md rule 3: the ring's size is a limit, traceEventsKeptMax).
 */
export class MessageTrace {
  private readonly events: TraceEvent[] = [];
  private seq = 0;

  constructor(
    private readonly selfId: NodeId,
    private readonly keptMax: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records `message` if it is one of the traced types; returns the event (for the log line), or
   * undefined for a message the trace leaves out.
   */
  record(dir: 'send' | 'recv', peer: NodeId, message: Message): TraceEvent | undefined {
    const base = {
      dir,
      from: dir === 'send' ? this.selfId : peer,
      to: dir === 'send' ? peer : this.selfId,
    };
    let fields: Omit<TraceEvent, 'seq' | 'atMs' | 'dir' | 'from' | 'to'>;
    switch (message.type) {
      case 'pre-vote':
        fields = { type: 'pre-vote', ballot: message.ballot, slot: null };
        break;
      case 'pre-vote-reply':
        fields = {
          type: 'pre-vote-reply',
          ballot: message.ballot,
          slot: null,
          granted: message.granted,
        };
        break;
      case 'prepare':
        fields = { type: 'prepare', ballot: message.ballot, slot: message.fromSlot };
        break;
      case 'promise':
        fields = {
          type: 'promise',
          ballot: message.ballot,
          slot: null,
          slots: message.accepted.slice(0, listedSlotsMax).map((entry) => entry.slot),
        };
        break;
      case 'accept':
      case 'accepted':
        fields = { type: message.type, ballot: message.ballot, slot: message.slot };
        break;
      case 'nack':
        fields = {
          type: 'nack',
          ballot: message.ballot,
          slot: null,
          promised: message.promised,
          ...(message.leaseLive ? { leaseLive: true as const } : {}),
        };
        break;
      case 'decide':
        fields = {
          type: 'decide',
          ballot: message.entries[0]?.ballot ?? null,
          slot: message.entries[0]?.slot ?? null,
          slots: message.entries.slice(0, listedSlotsMax).map((entry) => entry.slot),
        };
        break;
      default:
        return undefined;
    }
    const event: TraceEvent = { seq: (this.seq += 1), atMs: this.now(), ...base, ...fields };
    this.events.push(event);
    if (this.events.length > this.keptMax) this.events.shift();
    return event;
  }

  /** The events after `afterSeq`, oldest first, at most `limit`. */
  read(afterSeq: number, limit: number, on: boolean): TraceView {
    const oldest = this.events[0]?.seq ?? this.seq + 1;
    const missed = Math.max(0, oldest - afterSeq - 1);
    const events = this.events.filter((event) => event.seq > afterSeq).slice(0, limit);
    const lastSeq = events.length > 0 ? (events[events.length - 1] as TraceEvent).seq : this.seq;
    return { id: this.selfId, on, lastSeq, missed: afterSeq === 0 ? 0 : missed, events };
  }
}

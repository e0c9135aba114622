import { ballotToString, type AppliedEntry, type Ballot, type NodeEvent } from '@evpaxos/paxos';
import {
  payloadType,
  type ClusterMember,
  type StatusView,
  type TraceEvent,
} from '@evpaxos/runtime';
import type { ReservationState } from '@evpaxos/site';
import { DASHBOARD_LIMITS } from './constants';

/** GET /evse of a charge point (packages/charge-point EvseView), as the dashboard reads it. */
export interface EvseReading {
  readonly evseState: string;
  readonly evId: string | null;
  readonly evState: string;
  readonly powerW: number;
  readonly mode: string | null;
  readonly limitW: number | null;
  readonly atMs: number;
}

export interface NodeView {
  readonly id: string;
  readonly role: ClusterMember['role'];
  readonly httpUrl: string;
  up: boolean;
  status: StatusView | null;
  evse: EvseReading | null;
  error: string | null;
}

export interface SlotView {
  readonly slot: number;
  readonly ballot: Ballot | null;
  /** Command types in the slot (Noop for a hole filled by a new leader). */
  readonly types: string[];
  /** The phase-2 quorum this node saw (only when it led the slot), else null. */
  acceptedBy: string[] | null;
  decided: boolean;
  applied: boolean;
}

export interface PowerSample {
  /** Increasing over all samples: a browser asks only for what it has not seen. */
  readonly seq: number;
  readonly atMs: number;
  readonly powerW: number;
  readonly mode: string | null;
}

export interface TimelineEvent {
  readonly seq: number;
  readonly atMs: number;
  readonly kind: 'node' | 'leader' | 'link' | 'fault' | 'evse' | 'ev' | 'lab' | 'paxos';
  readonly text: string;
}

/** A traced message as the message-sequence view draws it: the node that recorded it, its seq there. */
export interface SequenceEvent extends Omit<TraceEvent, 'seq'> {
  /** The dashboard's seq (shared with power samples and events): updates send only newer ones. */
  readonly seq: number;
  readonly node: string;
}

/** An agreed reservation (GET /reservations), and when it left the agreed state, if it did. */
export interface ReservationView extends Readonly<ReservationState> {
  /** Null while agreed; else when the dashboard saw it gone (cancelled, used or expired). */
  endedAtMs: number | null;
}

/** What a browser receives: the whole view on connect, then the same shape every poll. */
export interface DashboardView {
  readonly selfId: string;
  readonly lab: { readonly enabled: boolean; readonly restart: boolean };
  readonly siteLimitW: number;
  readonly nodes: NodeView[];
  readonly slots: SlotView[];
  /** Slots the leader has proposed and not yet decided (from its /status). */
  readonly inFlight: { readonly from: number; readonly count: number } | null;
  readonly power: Record<string, PowerSample[]>;
  readonly events: TimelineEvent[];
  /** Traced messages (docs/CLUSTER.md, "Message trace") of the last traceWindowMs. */
  readonly messages: SequenceEvent[];
  /** The nodes whose trace is on. */
  readonly tracing: string[];
  /** Agreed reservations and recently ended ones; null when this central has no /reservations. */
  readonly reservations: ReservationView[] | null;
  readonly atMs: number;
  /** The highest seq in this view (power samples and events share the counter). */
  readonly seq: number;
}

function ballotText(ballot: Ballot | null | undefined): string {
  return ballot ? ballotToString(ballot) : '-';
}

/**
 * The dashboard's memory: the latest reading of every node, the recent slots this central applied
 * (with the accepting quorum when it led them), power samples and a timeline of what changed.
 * Every list is bounded (constants.ts). Pure bookkeeping: the server feeds it readings and events.
 */
export class Collector {
  readonly nodes = new Map<string, NodeView>();
  private readonly slots = new Map<number, SlotView>();
  private readonly power = new Map<string, PowerSample[]>();
  private readonly events: TimelineEvent[] = [];
  private readonly messages: SequenceEvent[] = [];
  private reservations: Map<number, ReservationView> | null = null;
  private lastLeader: string | null | undefined;
  private seq = 0;

  constructor(
    members: readonly ClusterMember[],
    private readonly now: () => number,
  ) {
    for (const member of members) {
      this.nodes.set(member.id, {
        id: member.id,
        role: member.role,
        httpUrl: `http://${member.host}:${member.httpPort}`,
        up: false,
        status: null,
        evse: null,
        error: 'not polled yet',
      });
      if (member.role === 'charge-point') this.power.set(member.id, []);
    }
  }

  note(kind: TimelineEvent['kind'], text: string, atMs = this.now()): void {
    this.events.push({ seq: (this.seq += 1), atMs, kind, text });
    if (this.events.length > DASHBOARD_LIMITS.timelineEventsMax) this.events.shift();
  }

  /** This node's own applied entries (ClusterNode.onApplied). */
  applied(entries: readonly AppliedEntry[]): void {
    for (const entry of entries) {
      const known = this.slots.get(entry.slot);
      const types = entry.commands.map(({ command }) => payloadType(command.payload) ?? 'opaque');
      this.slots.set(entry.slot, {
        slot: entry.slot,
        ballot: entry.ballot,
        types: types.length === 0 ? ['Noop'] : types,
        acceptedBy: known?.acceptedBy ?? null,
        decided: true,
        applied: true,
      });
    }
    this.trimSlots();
  }

  /** This node's core events (ClusterNode.onEvent). */
  nodeEvent(selfId: string, event: NodeEvent): void {
    switch (event.type) {
      case 'slot-decided': {
        const known = this.slots.get(event.slot);
        if (known) {
          known.acceptedBy = [...event.acceptedBy];
          known.decided = true;
        } else {
          this.slots.set(event.slot, {
            slot: event.slot,
            ballot: event.ballot,
            types: [],
            acceptedBy: [...event.acceptedBy],
            decided: true,
            applied: false,
          });
        }
        this.trimSlots();
        return;
      }
      case 'became-leader':
        this.note(
          'paxos',
          `${selfId} completed Phase 1: leads with ballot ${ballotText(event.ballot)}`,
        );
        return;
      case 'became-candidate':
        this.note('paxos', `${selfId} runs Phase 1 with ballot ${ballotText(event.ballot)}`);
        return;
      case 'became-follower':
        this.note(
          'paxos',
          `${selfId} follows ${event.leaderId ?? '?'} (${ballotText(event.ballot)})`,
        );
        return;
      case 'snapshot-taken':
      case 'snapshot-installed':
        return;
    }
  }

  /** One poll of one node: /status (null when it did not answer) and, on a charge point, /evse. */
  reading(id: string, status: StatusView | null, evse: EvseReading | null, error: string | null) {
    const view = this.nodes.get(id);
    if (!view) return;
    const wasUp = view.up;
    const before = view.status;
    const beforeEvse = view.evse;
    view.up = status !== null;
    view.error = error;
    if (status !== null) view.status = status;
    if (evse !== null || status === null) view.evse = evse;
    if (wasUp !== view.up && !(before === null && !view.up)) {
      this.note('node', view.up ? `${id} is up` : `${id} is down (${error ?? 'no answer'})`);
    }
    if (status !== null && before !== null) {
      const faultsBefore = JSON.stringify(before.faults);
      const faultsNow = JSON.stringify(status.faults);
      if (faultsBefore !== faultsNow) {
        const dropped = status.faults.map((rule) => rule.peer);
        this.note(
          'fault',
          dropped.length === 0
            ? `${id}: fault rules cleared`
            : `${id} drops traffic with ${dropped.join(', ')}`,
        );
      }
    }
    if (evse !== null) {
      if (beforeEvse?.evseState !== evse.evseState && beforeEvse !== null) {
        this.note('evse', `${id} EVSE ${beforeEvse.evseState} → ${evse.evseState}`);
      }
      if (beforeEvse !== null && beforeEvse.evState !== evse.evState) {
        this.note(
          'ev',
          `${evse.evId ?? beforeEvse.evId ?? 'EV'} at ${id}: ${beforeEvse.evState} → ${evse.evState}`,
        );
      }
      const samples = this.power.get(id);
      if (samples) {
        samples.push({
          seq: (this.seq += 1),
          atMs: evse.atMs,
          powerW: evse.powerW,
          mode: evse.mode,
        });
        if (samples.length > DASHBOARD_LIMITS.powerSamplesPerChargePointMax) samples.shift();
      }
    }
  }

  /** New events of one node's GET /trace. */
  traced(node: string, events: readonly TraceEvent[]): void {
    for (const event of events) this.messages.push({ ...event, seq: (this.seq += 1), node });
    const oldestMs = this.now() - DASHBOARD_LIMITS.traceWindowMs;
    let drop = Math.max(0, this.messages.length - DASHBOARD_LIMITS.traceMessagesMax);
    while (drop < this.messages.length && (this.messages[drop]?.atMs ?? 0) < oldestMs) drop += 1;
    if (drop > 0) this.messages.splice(0, drop);
  }

  /**
   * One reading of GET /reservations (null: this central serves none). A reservation that is no
   * longer there ended (cancelled, used by a session, or expired): kept, greyed, for a while.
   */
  reservationsRead(agreed: readonly Omit<ReservationView, 'endedAtMs'>[] | null): void {
    if (agreed === null) {
      this.reservations = null;
      return;
    }
    const known = (this.reservations ??= new Map());
    const live = new Set(agreed.map((reservation) => reservation.reservationId));
    for (const reservation of agreed) {
      known.set(reservation.reservationId, { ...reservation, endedAtMs: null });
    }
    for (const view of known.values()) {
      if (!live.has(view.reservationId) && view.endedAtMs === null) view.endedAtMs = this.now();
    }
    const ended = [...known.values()]
      .filter((view) => view.endedAtMs !== null)
      .sort((a, b) => (a.endedAtMs ?? 0) - (b.endedAtMs ?? 0));
    for (const view of ended.slice(
      0,
      Math.max(0, ended.length - DASHBOARD_LIMITS.endedReservationsMax),
    )) {
      known.delete(view.reservationId);
    }
  }

  /** The leader every live central agrees on, noted when it changes. */
  observeLeader(): string | null {
    // A cut-off leader may still call itself leader: the highest ballot is the one that counts.
    const leader =
      [...this.nodes.values()]
        .filter((node) => node.up && node.status?.paxos.proposerState === 'leader')
        .sort(
          (a, b) => (b.status?.paxos.ballot?.round ?? 0) - (a.status?.paxos.ballot?.round ?? 0),
        )[0]?.id ?? null;
    if (this.lastLeader !== undefined && leader !== this.lastLeader) {
      this.note(
        'leader',
        leader === null
          ? `no leader (was ${this.lastLeader ?? '-'})`
          : `${leader} leads (was ${this.lastLeader ?? 'none'})`,
      );
    }
    this.lastLeader = leader;
    return leader;
  }

  /**
   * The whole view; with `sinceSeq`, only the power samples and events after it (a live update:
   * the history went out with the first view).
   */
  view(selfId: string, lab: DashboardView['lab'], siteLimitW: number, sinceSeq = 0): DashboardView {
    const leader = [...this.nodes.values()].find(
      (node) => node.up && node.status?.paxos.proposerState === 'leader',
    );
    const inFlightSlots = leader?.status?.paxos.inFlightSlots ?? 0;
    const firstUndecidedSlot = leader?.status?.paxos.firstUndecidedSlot ?? 0;
    const inFlight =
      inFlightSlots > 0 ? { from: firstUndecidedSlot - inFlightSlots, count: inFlightSlots } : null;
    return {
      selfId,
      lab,
      siteLimitW,
      nodes: [...this.nodes.values()],
      slots: [...this.slots.values()].sort((a, b) => b.slot - a.slot),
      inFlight,
      power: Object.fromEntries(
        [...this.power].map(([id, samples]) => [id, samples.filter((s) => s.seq > sinceSeq)]),
      ),
      events: this.events.filter((event) => event.seq > sinceSeq),
      messages: this.messages.filter((message) => message.seq > sinceSeq),
      tracing: [...this.nodes.values()]
        .filter((node) => node.up && node.status?.trace === true)
        .map((node) => node.id),
      reservations: this.reservations === null ? null : [...this.reservations.values()],
      atMs: this.now(),
      seq: this.seq,
    };
  }

  private trimSlots(): void {
    while (this.slots.size > DASHBOARD_LIMITS.recentSlotsMax) {
      const oldest = Math.min(...this.slots.keys());
      this.slots.delete(oldest);
    }
  }
}

/**
 * The shapes of the node HTTP API the launcher reads (docs/CLUSTER.md, "HTTP API"). Written here, not
 * imported from the runtime, because the launcher only depends on the wire contract: it must keep
 * working against any process that honours it (a container, another build).
 */
export type Role = 'central' | 'charge-point';

export interface BallotBody {
  readonly round: number;
  readonly proposerId: string;
}

export interface PeerBody {
  readonly id: string;
  readonly state: 'connected' | 'connecting' | 'down';
}

export interface StatusBody {
  readonly id: string;
  readonly role: Role;
  readonly pid: number;
  readonly clusterId: string;
  readonly tickMs: number;
  readonly paxos: {
    readonly proposerState: 'follower' | 'candidate' | 'leader' | null;
    readonly ballot: BallotBody | null;
    readonly leaderId: string | null;
    readonly promised: BallotBody | null;
    readonly appliedThrough: number;
    readonly firstUndecidedSlot: number;
    readonly inFlightSlots: number;
    readonly pendingCommands: number;
    readonly acceptedSlots: number;
    readonly snapshotThrough: number | null;
  };
  readonly peers: readonly PeerBody[];
  readonly faults: readonly FaultRule[];
}

export interface FaultRule {
  readonly peer: string;
  readonly direction: 'in' | 'out' | 'both';
  readonly action: 'drop' | 'delay' | 'duplicate';
  readonly delayMs?: number;
  readonly probability?: number;
}

export interface LogCommand {
  readonly clientId: string;
  readonly seq: number;
  readonly payload: unknown;
  readonly duplicate: boolean;
}

export interface LogEntry {
  readonly slot: number;
  readonly ballot: BallotBody;
  readonly commands: readonly LogCommand[];
}

export interface LogBody {
  readonly appliedThrough: number;
  readonly entries: readonly LogEntry[];
}

export interface SubmitReply {
  readonly slot: number;
  readonly ballot: BallotBody;
  readonly result: unknown;
  readonly duplicate: boolean;
}

/** Ballots are ordered by round, then proposer id (packages/paxos/src/ballot.ts). */
export function compareBallots(a: BallotBody, b: BallotBody): number {
  if (a.round !== b.round) return a.round - b.round;
  if (a.proposerId === b.proposerId) return 0;
  return a.proposerId < b.proposerId ? -1 : 1;
}

export function ballotText(ballot: BallotBody | null | undefined): string {
  // Round 0 is ballotZero, "no ballot yet": printing it as "0." would look like a real one.
  return ballot && ballot.round > 0 ? `${ballot.round}.${ballot.proposerId}` : '-';
}

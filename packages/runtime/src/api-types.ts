/**
 * The bodies of a node's HTTP API (docs/CLUSTER.md, "HTTP API"), defined once here, where they are
 * produced: the launcher (@evpaxos/cli), the dashboard and the benchmark import them rather than
 * write their own copies, so a change to an answer is a change to one type that every reader sees.
 */
import type { Ballot, NodeId, NodeStatus } from '@evpaxos/paxos';
import type { StoreStats } from '@evpaxos/storage';
import type { FaultRule, PeerState, TransportStats } from '@evpaxos/transport';
import type { LogEntry } from './applied-log';
import type { NodeRole } from './constants';

// The fault rule is the transport's (it applies them); PUT /faults carries them as they are.
export type { FaultRule, LogEntry };

/** JSON has no undefined: a field the core may leave undefined is null in an answer. */
type NullWhereUndefined<Value> = undefined extends Value ? Exclude<Value, undefined> | null : Value;

/** GET /status's answer (docs/CLUSTER.md). */
export interface StatusView {
  readonly id: NodeId;
  readonly role: NodeRole;
  readonly pid: number;
  readonly clusterId: string;
  readonly tickMs: number;
  /** The core's NodeStatus without id and roles; what it leaves undefined is null in JSON. */
  readonly paxos: {
    readonly [Key in keyof Omit<NodeStatus, 'id' | 'roles'>]: NullWhereUndefined<NodeStatus[Key]>;
  };
  readonly peers: readonly { readonly id: NodeId; readonly state: PeerState }[];
  readonly faults: readonly FaultRule[];
  /** The message trace is on (GET /trace has its events; docs/CLUSTER.md, "Message trace"). */
  readonly trace: boolean;
}

/** GET /stats's answer: cumulative counters since the process started. */
export interface StatsView {
  readonly id: NodeId;
  readonly appliedThrough: number;
  readonly transport: TransportStats;
  /** The acceptor store's counters; null on a central (it keeps nothing on disk). */
  readonly store: StoreStats | null;
  /** CPU this process has used since it started (process.cpuUsage()), µs: cost per command. */
  readonly cpu: { readonly userMicros: number; readonly systemMicros: number };
}

/** GET /log's answer: the applied entries from `from` on, at most `limit` of them. */
export interface LogView {
  readonly appliedThrough: number;
  readonly entries: readonly LogEntry[];
}

/** POST /submit's answer when the command is applied (200). */
export interface SubmitView {
  readonly slot: number;
  readonly ballot: Ballot;
  readonly result: unknown;
  readonly duplicate: boolean;
}

import {
  PaxosNode,
  RecordingStateMachine,
  SimDisk,
  createPrng,
  type AppliedEntry,
  type ClusterMembership,
  type Message,
  type NodeId,
  type PaxosOptions,
  type PlantedBug,
} from '../src';

export interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: Message;
}

/**
 * A tiny synchronous network for rule tests (etcd raft's in-memory network): messages queue in
 * FIFO order and are delivered by `deliver*` calls, so a test decides exactly what arrives.
 */
export class TestCluster {
  readonly nodes = new Map<NodeId, PaxosNode>();
  readonly disks = new Map<NodeId, SimDisk>();
  readonly machines = new Map<NodeId, RecordingStateMachine>();
  readonly applied = new Map<NodeId, AppliedEntry[]>();
  queue: Envelope[] = [];
  /** Directed links that drop: "a>b". */
  readonly cut = new Set<string>();

  constructor(
    readonly membership: ClusterMembership,
    readonly options: Partial<PaxosOptions> = {},
    readonly plantedBug?: PlantedBug,
  ) {
    const ids = new Set([
      ...membership.proposers,
      ...membership.acceptors,
      ...(membership.spares ?? []),
      ...(membership.learners ?? []),
    ]);
    for (const id of ids) {
      this.disks.set(id, new SimDisk());
      this.applied.set(id, []);
      this.start(id);
    }
  }

  /** Starts `id` from its disk; `incarnation` above 1 is a node that lost its state (a new disk). */
  start(id: NodeId, incarnation = 1): PaxosNode {
    const machine = new RecordingStateMachine();
    if (incarnation > 1) this.disks.set(id, new SimDisk());
    const disk = this.disks.get(id) ?? new SimDisk();
    const node = new PaxosNode(
      {
        id,
        cluster: this.membership,
        options: this.options,
        incarnation,
        ...(this.plantedBug ? { plantedBug: this.plantedBug } : {}),
      },
      {
        stateMachine: machine,
        random: createPrng(id.length * 7919 + id.charCodeAt(id.length - 1)),
      },
      disk.read(),
    );
    this.nodes.set(id, node);
    this.machines.set(id, machine);
    return node;
  }

  node(id: NodeId): PaxosNode {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  /** Collects a node's Ready: persist to its disk, queue messages, record applied entries. */
  flush(id: NodeId): void {
    const node = this.node(id);
    const ready = node.takeReady();
    if (ready.persist) this.disks.get(id)?.write(ready.persist);
    for (const { to, message } of ready.messages) this.queue.push({ from: id, to, message });
    this.applied.get(id)?.push(...ready.applied);
  }

  flushAll(): void {
    for (const id of this.nodes.keys()) this.flush(id);
  }

  /** Removes and returns queued messages matching the filter (to inspect, or to drop). */
  take(filter: (envelope: Envelope) => boolean): Envelope[] {
    const taken = this.queue.filter(filter);
    this.queue = this.queue.filter((envelope) => !filter(envelope));
    return taken;
  }

  deliverOne(envelope: Envelope): void {
    if (this.cut.has(`${envelope.from}>${envelope.to}`)) return;
    const node = this.nodes.get(envelope.to);
    if (!node) return;
    node.step(envelope.from, envelope.message);
    this.flush(envelope.to);
  }

  /** Delivers queued messages (and the replies they cause) until none is left. */
  deliverAll(filter: (envelope: Envelope) => boolean = () => true, stepsMax = 100_000): void {
    for (let step = 0; step < stepsMax; step += 1) {
      const index = this.queue.findIndex(filter);
      if (index < 0) return;
      const [envelope] = this.queue.splice(index, 1);
      if (envelope) this.deliverOne(envelope);
    }
    throw new Error('network did not quiesce');
  }

  tick(times = 1): void {
    for (let i = 0; i < times; i += 1) {
      for (const id of this.nodes.keys()) {
        this.node(id).tick();
        this.flush(id);
      }
    }
  }

  /**
   * Lets the acceptors' leader leases run out (leader-lease.ts), as an election timeout without
   * the leader's heartbeats does: ticks these acceptor-only nodes alone and drops what the ticks
   * send (catch-up requests), so a test can then have another proposer win.
   */
  lapseLeases(ids: readonly NodeId[] = this.membership.acceptors): void {
    for (const id of ids) {
      const node = this.node(id);
      for (let i = 0; i < node.config.options.electionTimeoutTicks; i += 1) node.tick();
      const queued = this.queue.length;
      this.flush(id);
      this.queue.length = queued;
    }
  }

  elect(id: NodeId): void {
    this.node(id).campaign();
    this.flush(id);
    this.deliverAll();
  }

  appliedKeys(id: NodeId): string[] {
    return this.machines.get(id)?.keys ?? [];
  }
}

export function command(clientId: string, seq: number, payload: unknown = seq) {
  return { clientId, seq, payload };
}

import type { PaxosOptions } from './config';
import type { NodeId } from './types';

/**
 * A leader's heartbeat schedule (docs/LIMITS.md, "Ticks on demand"). The failure detector's
 * heartbeat goes every heartbeatTicks to the nodes that watch the leader — acceptors (their lease)
 * and the other proposers (their election timeout); nodes that only learn take from it just the
 * leader's id and how far it decided, so they get one every learnerHeartbeatTicks.
 */
export class HeartbeatPace {
  private elapsedTicks = 0;
  private learnerElapsedTicks = 0;

  constructor(private readonly options: PaxosOptions) {}

  /** A new leader announces itself at its next tick, to every node. */
  restart(): void {
    this.elapsedTicks = this.options.heartbeatTicks;
    this.learnerElapsedTicks = this.options.learnerHeartbeatTicks;
  }

  /** Ticks until the next heartbeat (≥ 1 while leading). */
  get ticksUntilDue(): number {
    return Math.max(1, this.options.heartbeatTicks - this.elapsedTicks);
  }

  /**
   * One tick. Returns who gets a heartbeat now (undefined when none is due): of `nodes` but `self`,
   * the acceptors and proposers at every heartbeat, the others every learnerHeartbeatTicks.
   */
  tick(
    nodes: readonly NodeId[],
    self: NodeId,
    acceptors: readonly NodeId[],
    proposers: readonly NodeId[],
  ): NodeId[] | undefined {
    this.elapsedTicks += 1;
    if (this.elapsedTicks < this.options.heartbeatTicks) return undefined;
    this.elapsedTicks = 0;
    this.learnerElapsedTicks += this.options.heartbeatTicks;
    const toLearners = this.learnerElapsedTicks >= this.options.learnerHeartbeatTicks;
    if (toLearners) this.learnerElapsedTicks = 0;
    return nodes.filter(
      (id) => id !== self && (toLearners || acceptors.includes(id) || proposers.includes(id)),
    );
  }
}

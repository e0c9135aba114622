import type { Command, StateMachine } from '@evpaxos/paxos';

interface CommandLogState {
  applied: number;
}

/**
 * The default replicated state machine until the charging-site machine replaces it: it counts the
 * commands applied, and each result says how many came before and including it. Deterministic and
 * small, so replicas can be compared by result.
 */
export class CommandLogStateMachine implements StateMachine<CommandLogState, { applied: number }> {
  private state: CommandLogState = { applied: 0 };

  apply(_command: Command): { applied: number } {
    this.state.applied += 1;
    return { applied: this.state.applied };
  }

  snapshot(): CommandLogState {
    return { ...this.state };
  }

  restore(snapshot: CommandLogState): void {
    this.state = { applied: snapshot.applied };
  }
}

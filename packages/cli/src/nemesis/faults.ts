import { randomInt, type Random } from '@evpaxos/paxos';
import type { ClusterHandle } from '../launcher';

/** What a fault acts on: the cluster, its node ids, and the run's seeded randomness. */
export interface NemesisContext {
  readonly handle: ClusterHandle;
  readonly nodeIds: readonly string[];
  readonly random: Random;
}

/** An injected fault: what it did (for the report), and how to undo it. */
export interface InjectedFault {
  readonly description: string;
  undo(): Promise<void>;
}

/**
 * One kind of fault the nemesis injects. The list is open: a new kind (disk loss, once a wiped
 * acceptor can be re-admitted, issue 20) is one more entry of `nemesisFaults`.
 */
export interface NemesisFault {
  readonly name: string;
  inject(context: NemesisContext): Promise<InjectedFault>;
}

function anyNode({ nodeIds, random }: NemesisContext): string {
  return nodeIds[randomInt(random, 0, nodeIds.length - 1)] as string;
}

/** kill -9 of any node; undone by a restart with the same arguments and data dir. */
export const killFault: NemesisFault = {
  name: 'kill',
  async inject(context) {
    const id = anyNode(context);
    await context.handle.killNode(id);
    return { description: `kill -9 ${id}`, undo: () => context.handle.restartNode(id, 60_000) };
  },
};

/** SIGSTOP of any node (a long GC pause, a hung VM); undone by SIGCONT. */
export const pauseFault: NemesisFault = {
  name: 'pause',
  async inject(context) {
    const id = anyNode(context);
    context.handle.pauseNode(id);
    return {
      description: `pause ${id}`,
      undo: () => Promise.resolve(context.handle.resumeNode(id)),
    };
  },
};

/** Two random non-empty sides; every node drops the other side's traffic. Undone by heal. */
export const partitionFault: NemesisFault = {
  name: 'partition',
  async inject(context) {
    const ids = [...context.nodeIds];
    // Fisher–Yates with the run's randomness, so a seed replays the same sides.
    for (let i = ids.length - 1; i > 0; i -= 1) {
      const j = randomInt(context.random, 0, i);
      [ids[i], ids[j]] = [ids[j] as string, ids[i] as string];
    }
    const cut = randomInt(context.random, 1, ids.length - 1);
    const sides = [ids.slice(0, cut), ids.slice(cut)];
    await context.handle.partition(sides);
    return {
      description: `partition ${sides.map((side) => side.join(',')).join(' | ')}`,
      undo: () => context.handle.heal(),
    };
  },
};

export const nemesisFaults: readonly NemesisFault[] = [killFault, pauseFault, partitionFault];

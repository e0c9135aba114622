import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomInt, type Random } from '@evpaxos/paxos';
import {
  changeMembership,
  readmissionOf,
  waitUntilLeaderReaches,
  type ClusterHandle,
} from '../launcher';

/** What a fault acts on: the cluster, its node ids, and the run's seeded randomness. */
export interface NemesisContext {
  readonly handle: ClusterHandle;
  readonly nodeIds: readonly string[];
  readonly random: Random;
}

/**
 * A fault as a scenario step (docs/SCENARIOS.md): the nemesis logs it, and `evpaxos verify` counts
 * it as an outage as it counts a scenario's own kill … restart or partition … heal.
 */
export interface NemesisStep {
  readonly action: 'kill' | 'restart' | 'pause' | 'resume' | 'partition' | 'heal';
  readonly node?: string;
  readonly sides?: readonly (readonly string[])[];
}

/** An injected fault: what it did (for the report), as steps, and how to undo it. */
export interface InjectedFault {
  readonly description: string;
  readonly step: NemesisStep;
  readonly undoStep: NemesisStep;
  undo(): Promise<void>;
}

/** One kind of fault the nemesis injects. The list is open: a new kind is one more entry. */
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
    return {
      description: `kill -9 ${id}`,
      step: { action: 'kill', node: id },
      undoStep: { action: 'restart', node: id },
      undo: () => context.handle.restartNode(id, 60_000),
    };
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
      step: { action: 'pause', node: id },
      undoStep: { action: 'resume', node: id },
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
      step: { action: 'partition', sides },
      undoStep: { action: 'heal' },
      undo: () => context.handle.heal(),
    };
  },
};

/** How long a re-admitted acceptor may take to vote again (α slots under load, catch-up). */
const READMIT_TIMEOUT_MS = 90_000;

/**
 * Disk loss (issue 20.6): kill -9 a charge point and delete its data dir while it is down. Undone
 * by a restart — it comes back as a non-voting learner (docs/PAXOS.md, "Joining and
 * re-admission") — then `evpaxos member replace <it>` in place, and a wait until it votes again,
 * so the next fault never meets two acceptors that cannot vote.
 */
export const diskLossFault: NemesisFault = {
  name: 'disk-loss',
  async inject(context) {
    const chargePoints = context.nodeIds.filter(
      (id) => context.handle.node(id).role === 'charge-point',
    );
    const id = chargePoints[randomInt(context.random, 0, chargePoints.length - 1)] as string;
    const { dataDir } = context.handle.node(id);
    await context.handle.killNode(id);
    if (dataDir !== null) fs.rmSync(dataDir, { recursive: true, force: true });
    return {
      description: `disk loss ${id}`,
      // Out of service from the kill until it votes again.
      step: { action: 'kill', node: id },
      undoStep: { action: 'restart', node: id },
      undo: async () => {
        await context.handle.restartNode(id, 60_000);
        await waitUntilLeaderReaches(context.handle, id, 60_000);
        await changeMembership(
          context.handle,
          await readmissionOf(context.handle, id, 60_000),
          READMIT_TIMEOUT_MS,
        );
        const deadline = Date.now() + READMIT_TIMEOUT_MS;
        const standing = () =>
          context.handle.nodeStatus(id).then(
            (status) => status.paxos.standing,
            () => 'no answer',
          );
        while ((await standing()) !== 'voting') {
          if (Date.now() > deadline) throw new Error(`${id} was re-admitted but does not vote.`);
          await sleep(200);
        }
      },
    };
  },
};

export const nemesisFaults: readonly NemesisFault[] = [
  killFault,
  pauseFault,
  partitionFault,
  diskLossFault,
];

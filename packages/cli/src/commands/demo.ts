import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import {
  ballotText,
  clusterDown,
  clusterUp,
  formatStatusTable,
  type ClusterHandle,
} from '../launcher';

interface DemoArgs {
  dir?: string;
  keep: boolean;
}

/**
 * The consensus demo behind `npm start`: a real cluster of OS processes on 127.0.0.1 (2 central
 * systems, 5 charge points), commands committed through Multi-Paxos, the leader killed with
 * SIGKILL, the standby taking over, two charge points lost, and every node's log compared slot
 * by slot at the end. The charging-site scenario (EVs, OCPP, the 10-minute timeline) builds on it.
 */
export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe:
    'Run the consensus demo: a local cluster, commits, leader failover, lost charge points, verification',
  builder: (yargs: Argv) =>
    yargs
      .option('dir', { type: 'string', describe: 'Cluster directory (default: a fresh temp dir)' })
      .option('keep', {
        type: 'boolean',
        default: false,
        describe: 'Keep the directory (logs) afterwards',
      }) as unknown as Argv<DemoArgs>,
  handler: async (args) => {
    const dir = args.dir ?? mkdtempSync(path.join(tmpdir(), 'evpaxos-demo-'));
    let cluster: ClusterHandle | undefined;
    const stop = async (code: number) => {
      await clusterDown(dir).catch(() => undefined);
      if (!args.keep && args.dir === undefined) rmSync(dir, { recursive: true, force: true });
      process.exit(code);
    };
    // Ctrl-C leaves no process behind.
    process.once('SIGINT', () => void stop(130));
    process.once('SIGTERM', () => void stop(143));
    try {
      step('Starting 2 central systems and 5 charge points as separate processes on 127.0.0.1');
      cluster = await clusterUp({ dir, centrals: 2, chargePoints: 5 });
      const first = await cluster.waitForLeader();
      console.log(formatStatusTable(await cluster.status()));
      step(`${first.leaderId} leads with ballot ${ballotText(first.ballot)}`);

      step('Committing site commands through Multi-Paxos');
      for (const id of ['cp1', 'cp2', 'cp3', 'cp4', 'cp5']) {
        await commit(cluster, {
          type: 'RegisterChargePoint',
          chargePointId: id,
          maxPowerW: 22_000,
        });
      }
      await commit(cluster, { type: 'SetSiteLimit', limitW: 44_000 });

      step(`Killing the leader ${first.leaderId} with SIGKILL`);
      const killedAtMs = Date.now();
      await cluster.killNode(first.leaderId);
      const next = await commit(cluster, { type: 'Reserve', chargePointId: 'cp1', evId: 'EV1' });
      step(`The standby ${next.nodeId} committed ${Date.now() - killedAtMs} ms after the kill`);

      step('Killing charge points cp4 and cp5: 3 of 5 acceptors remain, a majority');
      await cluster.killNode('cp4');
      await cluster.killNode('cp5');
      await commit(cluster, { type: 'StartSession', chargePointId: 'cp1', evId: 'EV1' });

      step(`Restarting ${first.leaderId}, cp4 and cp5: they recover and catch up`);
      for (const id of [first.leaderId, 'cp4', 'cp5']) await cluster.restartNode(id);
      await commit(cluster, { type: 'StopSession', chargePointId: 'cp1', evId: 'EV1' });

      step('Verifying: every node applied the same command in every slot');
      const verdict = await verifyLogs(cluster);
      console.log(verdict.text);
      await stop(verdict.ok ? 0 : 1);
    } catch (error) {
      console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
      console.error(`logs: ${path.join(dir, 'logs')}`);
      args.keep = true;
      await stop(1);
    }
  },
};

function step(text: string): void {
  console.log(`\n» ${text}`);
}

async function commit(cluster: ClusterHandle, payload: { type: string } & Record<string, unknown>) {
  const result = await cluster.submit(payload);
  console.log(
    `  slot ${String(result.slot).padStart(3)}  ballot ${ballotText(result.ballot).padEnd(12)} ${payload.type.padEnd(20)} via ${result.nodeId} (${result.latencyMs.toFixed(1)} ms)`,
  );
  return result;
}

/** Waits until every node has applied the leader's slots, then compares the logs slot by slot. */
async function verifyLogs(cluster: ClusterHandle): Promise<{ ok: boolean; text: string }> {
  const ids = cluster.nodes.map((node) => node.id);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const logs = await Promise.all(ids.map((id) => cluster.log(id)));
    const target = Math.max(...logs.map((log) => log.appliedThrough));
    const behind = ids.filter((_, i) => (logs[i]?.appliedThrough ?? -1) < target);
    if (behind.length === 0 || Date.now() > deadline) {
      const canonical = new Map<number, string>();
      const disagreements: string[] = [];
      logs.forEach((log, i) => {
        for (const entry of log.entries) {
          const key = entry.commands.map((c) => `${c.clientId}#${c.seq}`).join(',') || 'noop';
          const known = canonical.get(entry.slot);
          if (known === undefined) canonical.set(entry.slot, key);
          else if (known !== key) disagreements.push(`slot ${entry.slot} on ${ids[i]}`);
        }
      });
      const ok = disagreements.length === 0 && behind.length === 0;
      return {
        ok,
        text: ok
          ? `  agreement: pass — ${canonical.size} slots identical on all ${ids.length} nodes`
          : `  agreement: FAIL — ${disagreements.length ? `differs at ${disagreements.join(', ')}` : `behind: ${behind.join(', ')}`}`,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

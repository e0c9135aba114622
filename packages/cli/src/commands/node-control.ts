import type { Argv, CommandModule } from 'yargs';
import { openCluster, type ClusterHandle } from '../launcher';
import { runLauncher, withDir } from './launcher-command';

interface NodeArgs {
  dir: string;
  node: string;
}

function nodeCommand(
  name: string,
  describe: string,
  action: (cluster: ClusterHandle, id: string) => Promise<string>,
): CommandModule<object, NodeArgs> {
  return {
    command: `${name} <node>`,
    describe,
    builder: (yargs: Argv) =>
      withDir(yargs).positional('node', {
        type: 'string',
        demandOption: true,
        describe: 'A node id, e.g. central-a or cp3',
      }) as unknown as Argv<NodeArgs>,
    handler: (args) =>
      runLauncher(async () => {
        console.log(await action(openCluster(args.dir), args.node));
      }),
  };
}

export const killCommand = nodeCommand(
  'kill',
  'Crash a node: SIGKILL, no flush, no goodbye',
  async (cluster, id) => {
    await cluster.killNode(id);
    return `${id} killed`;
  },
);

export const restartCommand = nodeCommand(
  'restart',
  'Start a node again with the same arguments (SIGKILL first if it runs); wait until it answers',
  async (cluster, id) => {
    await cluster.restartNode(id);
    return `${id} restarted (pid ${cluster.node(id).pid})`;
  },
);

export const pauseCommand = nodeCommand(
  'pause',
  'Freeze a node with SIGSTOP (sockets stay open, nothing answers)',
  async (cluster, id) => {
    cluster.pauseNode(id);
    return `${id} paused`;
  },
);

export const resumeCommand = nodeCommand(
  'resume',
  'Let a paused node run again (SIGCONT)',
  async (cluster, id) => {
    cluster.resumeNode(id);
    return `${id} resumed`;
  },
);

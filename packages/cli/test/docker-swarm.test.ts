import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
// The runtime's own node-spec parser (not in its public API: only these checks need it).
import { apiToken, parseNodeSpecs } from '@evpaxos/runtime';
import {
  BUILD_TIMEOUT_MS,
  IMAGE,
  buildImageOnce,
  cleanupOnInterrupt,
  dockerUnavailable,
  freePortPrefix,
  waitFor,
} from './docker-harness';
import {
  docker,
  dockerOk,
  isUp,
  siteStatus,
  StackClient,
  taskContainer,
  type NodeStatus,
} from './swarm-harness';

/**
 * deploy/docker-stack.yml on a real Docker engine in Swarm mode (docs/DEPLOY.md): a single-node
 * Swarm (one the test creates and leaves again, always) gets the node labels a
 * multi-host site gives its hosts, a Docker secret, and the stack. Every step is asserted from the
 * nodes' own GET /status, fetched over the stack's overlay network, and from commands submitted
 * through the centrals' published ports: the site elects a leader and commits; killing the
 * leader's task (SIGKILL to its container) makes the standby lead and commit while Swarm replaces
 * the task, which rejoins. Skipped, with the reason printed, where no engine is reachable (it
 * needs root: .ci/run starts one with docker-engine.sh) or it is in Swarm mode already (someone
 * else's Swarm). It is the last Docker suite in file order: the compose site and the labs never
 * run on an engine this process has put in Swarm mode.
 *
 * Names cannot collide with docker-compose.yml's test: the stack, its secret and volumes are
 * named after this process, the published ports are free ones below the kernel's ephemeral range
 * (freePortPrefix, as a compose site's).
 * The image is the run's own tag (IMAGE), built from these sources once per test run (buildImageOnce: the
 * compose and labs suites of the same run share that build), or EVPAXOS_DOCKER_IMAGE: an image
 * already built, used as it is.
 */

const root = path.resolve(__dirname, '../../../..');
const stackFile = path.join(root, 'deploy/docker-stack.yml');
const givenImage = process.env.EVPAXOS_DOCKER_IMAGE;
const image = givenImage ?? IMAGE;
const stack = `evpaxos-swarmtest-${process.pid}`;
const secretName = `${stack}-secret`;
const centrals = ['central-a', 'central-b'];
const chargePoints = ['cp1', 'cp2', 'cp3', 'cp4', 'cp5'];
const labels = ['evpaxos.central', ...chargePoints.map((id) => `evpaxos.${id}`)];
const FAILOVER_TRIALS = 2;
/**
 * Upper bounds, not expectations: on a quiet machine the stack answers in seconds, but a node
 * process starting on a CPU-starved host (other suites in parallel) has taken a minute here.
 */
const START_TIMEOUT_MS = 180_000;
const SETTLE_TIMEOUT_MS = 150_000;
/** Each look at the site is a `docker exec` starting node in a container: not too often. */
const STATUS_POLL_MS = 1_000;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * Why this engine cannot run the test, or undefined when it can. The engine is shared (other test
 * runs use it at the same time), so the suite runs only where Swarm mode is off: it turns it on
 * for its own stack and off again at the end. An engine already in Swarm mode belongs to someone
 * else (another run of this suite, or a real Swarm): left alone, and the suite says so.
 */
async function engineProblem(): Promise<string | undefined> {
  const unavailable = dockerUnavailable();
  if (unavailable !== null) return unavailable;
  const info = await docker(['info', '--format', '{{.Swarm.LocalNodeState}}'], {
    timeoutMs: 20_000,
  });
  if (info.code !== 0) {
    const why = info.stderr.trim().split('\n')[0] ?? '';
    return `no Docker engine reachable (${why}); as root, .ci/run starts one with ../shared/tools/docker-engine.sh`;
  }
  const state = info.stdout.trim();
  if (state !== 'inactive') {
    return `this engine's Swarm mode is "${state}", not "inactive": someone else's Swarm (another test run, or a real one), left alone`;
  }
  return undefined;
}

describe('Docker Swarm: deploy/docker-stack.yml on a single-node Swarm (real engine)', function () {
  // Each step waits at most SETTLE_TIMEOUT_MS for the site, then for one commit and its apply.
  this.timeout(3 * SETTLE_TIMEOUT_MS);
  let createdSwarm = false;
  let dropLeaveOnInterrupt = (): void => undefined;
  let hadGwBridge = true;
  let nodeId = '';
  const addedLabels: string[] = [];
  let deployed = false;
  let secretCreated = false;
  const publishedHttp: Record<string, number> = {};
  let client: StackClient;
  let deployToFirstCommitMs = 0;

  /** Every node's /status, seen from inside the overlay network (via cp1's task container). */
  async function statuses(): Promise<Record<string, NodeStatus>> {
    const via = await taskContainer(stack, 'cp1');
    if (via === undefined) throw new Error('cp1 has no running task');
    return siteStatus(via);
  }

  /**
   * The one central that says it leads, once every node is up, names it, and has every link up;
   * otherwise throws what it saw (waitFor names the last one if it never settles).
   */
  async function settledLeader(): Promise<string> {
    const all = await statuses();
    const down = Object.entries(all).filter(([, row]) => !isUp(row));
    if (down.length > 0 || Object.keys(all).length !== 7) {
      throw new Error(
        `not up: ${down.map(([id, row]) => `${id} ${JSON.stringify(row)}`).join(', ')}`,
      );
    }
    const rows = Object.values(all).filter(isUp);
    const leaders = rows.filter((row) => row.paxos.proposerState === 'leader').map((row) => row.id);
    const leaderId = leaders[0];
    if (leaders.length !== 1 || leaderId === undefined) {
      throw new Error(`leaders: [${leaders.join(', ')}]`);
    }
    for (const row of rows) {
      const cut = row.peers.filter((peer) => peer.state !== 'connected').map((peer) => peer.id);
      if (row.paxos.leaderId !== leaderId || cut.length > 0) {
        throw new Error(`${row.id} names ${row.paxos.leaderId}, links not up: [${cut.join(', ')}]`);
      }
    }
    return leaderId;
  }

  before(async function () {
    this.timeout(BUILD_TIMEOUT_MS + START_TIMEOUT_MS + 60_000);
    const problem = await engineProblem();
    if (problem !== undefined) {
      console.log(`      skipped: ${problem}`);
      this.skip();
    }
    if (givenImage === undefined) {
      const buildStartMs = Date.now();
      const build = await buildImageOnce();
      if (build.status !== 0) throw new Error(`docker build -t ${image} failed: ${build.stderr}`);
      console.log(`      image ${image} built (or cached) in ${Date.now() - buildStartMs} ms`);
    } else {
      await dockerOk(['image', 'inspect', '--format', '{{.Id}}', image]);
    }

    hadGwBridge = (await docker(['network', 'inspect', 'docker_gwbridge'])).code === 0;
    const init = await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
    if (init.code !== 0) {
      // Another run turned Swarm mode on between the check and here: its Swarm, left alone.
      console.log(`      skipped: docker swarm init: ${init.stderr.trim().split('\n')[0]}`);
      this.skip();
    }
    createdSwarm = true;
    // Interrupted before `after` ran: the engine still leaves Swarm mode (which removes the stack).
    dropLeaveOnInterrupt = cleanupOnInterrupt(() => {
      spawnSync('docker', ['swarm', 'leave', '--force'], { stdio: 'ignore', timeout: 60_000 });
    });
    nodeId = await dockerOk(['info', '--format', '{{.Swarm.NodeID}}']);
    // The labels a real site puts on its hosts, all on this one node; only the missing ones are
    // added (and removed again).
    const existing = JSON.parse(
      await dockerOk(['node', 'inspect', nodeId, '--format', '{{json .Spec.Labels}}']),
    ) as Record<string, string> | null;
    for (const label of labels) {
      if (existing?.[label] === 'true') continue;
      await dockerOk(['node', 'update', '--label-add', `${label}=true`, nodeId]);
      addedLabels.push(label);
    }
    const secret = randomBytes(32).toString('hex');
    await dockerOk(['secret', 'create', secretName, '-'], { input: `${secret}\n` });
    secretCreated = true;

    // Below the kernel's ephemeral range, as a compose site's (freePortPrefix): local clusters on
    // free ports may be starting at the same time (scripts/test-lanes.mjs).
    const prefix = await freePortPrefix();
    const [a, b] = [0, 1].map((index) => ({
      httpPort: Number(`${prefix}10${index}`),
      servicePort: Number(`${prefix}20${index}`),
    }));
    const env = {
      EVPAXOS_IMAGE: image,
      EVPAXOS_SECRET_NAME: secretName,
      EVPAXOS_CENTRAL_A_HTTP_PORT: String(a?.httpPort),
      EVPAXOS_CENTRAL_A_OCPP_PORT: String(a?.servicePort),
      EVPAXOS_CENTRAL_B_HTTP_PORT: String(b?.httpPort),
      EVPAXOS_CENTRAL_B_OCPP_PORT: String(b?.servicePort),
    };
    publishedHttp['central-a'] = a?.httpPort as number;
    publishedHttp['central-b'] = b?.httpPort as number;
    // Every node derives the API token from the secret and the cluster id (docs/CLUSTER.md).
    const clusterId = /EVPAXOS_CLUSTER_ID: (\S+)/.exec(fs.readFileSync(stackFile, 'utf8'))?.[1];
    expect(clusterId, 'the stack file names its cluster id').to.be.a('string');
    client = new StackClient(
      publishedHttp,
      `swarm-test-${process.pid}`,
      apiToken(secret, clusterId!),
    );

    const deployStartMs = Date.now();
    deployed = true;
    await dockerOk(['stack', 'deploy', '--compose-file', stackFile, stack], { env });
    await client.submit({ type: 'Noop', atMs: Date.now(), step: 'first' }, START_TIMEOUT_MS);
    deployToFirstCommitMs = Date.now() - deployStartMs;
    console.log(`      deploy → first decided command: ${deployToFirstCommitMs} ms`);
  });

  after(async function () {
    this.timeout(120_000);
    if (deployed) {
      await docker(['stack', 'rm', stack]);
      // The volumes can go once the stack's containers are gone.
      await waitFor('the stack containers removed', 60_000, async () => {
        const left = await dockerOk([
          'ps',
          '-aq',
          '--filter',
          `label=com.docker.stack.namespace=${stack}`,
        ]);
        return left === '' ? true : undefined;
      }).catch((error: Error) => console.log(`      cleanup: ${error.message}`));
      const volumes = chargePoints.map((id) => `${stack}_${id}-data`);
      await waitFor('the stack volumes removed', 30_000, async () =>
        (await docker(['volume', 'rm', ...volumes])).code === 0 ||
        (await docker(['volume', 'inspect', ...volumes])).code !== 0
          ? true
          : undefined,
      ).catch((error: Error) => console.log(`      cleanup: ${error.message}`));
    }
    if (secretCreated) {
      await waitFor('the secret removed', 30_000, async () =>
        (await docker(['secret', 'rm', secretName])).code === 0 ? true : undefined,
      ).catch((error: Error) => console.log(`      cleanup: ${error.message}`));
    }
    for (const label of addedLabels) await docker(['node', 'update', '--label-rm', label, nodeId]);
    if (createdSwarm) {
      await docker(['swarm', 'leave', '--force']);
      createdSwarm = false;
      dropLeaveOnInterrupt();
      if (!hadGwBridge) await docker(['network', 'rm', 'docker_gwbridge']);
    }
  });

  it('runs one task per node; each charge point on its labelled host with its own volume', async () => {
    const expected = [...centrals, ...chargePoints, 'ev-emulator']
      .map((id) => `${stack}_${id} replicated ${id === 'ev-emulator' ? '0/0' : '1/1'}`)
      .sort();
    const listServices = async () =>
      (
        await dockerOk([
          'stack',
          'services',
          stack,
          '--format',
          '{{.Name}} {{.Mode}} {{.Replicas}}',
        ])
      )
        .split('\n')
        .sort();
    // The first commit needs one central: the other's task may still be starting (0/1).
    await waitFor('every task running', START_TIMEOUT_MS, async () =>
      JSON.stringify(await listServices()) === JSON.stringify(expected) ? true : undefined,
    ).catch(() => undefined);
    expect(await listServices()).to.deep.equal(expected);
    for (const id of chargePoints) {
      const spec = JSON.parse(
        await dockerOk(['service', 'inspect', `${stack}_${id}`, '--format', '{{json .Spec}}']),
      ) as {
        TaskTemplate: { Placement: { Constraints: string[] } };
        EndpointSpec: { Mode: string };
      };
      expect(spec.TaskTemplate.Placement.Constraints).to.deep.equal([
        `node.labels.evpaxos.${id} == true`,
      ]);
      expect(spec.EndpointSpec.Mode).to.equal('dnsrr');
      const container = await taskContainer(stack, id);
      const mounts = JSON.parse(
        await dockerOk(['inspect', container as string, '--format', '{{json .Mounts}}']),
      ) as { Type: string; Name: string; Destination: string }[];
      expect(mounts.find((mount) => mount.Destination === '/data')).to.include({
        Type: 'volume',
        Name: `${stack}_${id}-data`,
      });
      // The secret is a file, not an environment variable.
      const env = JSON.parse(
        await dockerOk(['inspect', container as string, '--format', '{{json .Config.Env}}']),
      ) as string[];
      expect(env.some((line) => line.startsWith('EVPAXOS_SECRET='))).to.equal(false);
      expect(env).to.include('EVPAXOS_SECRET_FILE=/run/secrets/evpaxos-secret');
    }
  });

  it('lists the same nodes as the image cluster file the EV emulator reads', () => {
    const text = fs.readFileSync(stackFile, 'utf8');
    const nodesLine = /EVPAXOS_NODES: >-\n\s+(\S+)/.exec(text)?.[1] ?? '';
    const problems: string[] = [];
    const nodes = parseNodeSpecs(nodesLine, problems);
    expect(problems).to.deep.equal([]);
    const clusterFile = JSON.parse(
      fs.readFileSync(path.join(root, 'scripts/docker-cluster.json'), 'utf8'),
    ) as { nodes: unknown[] };
    expect(nodes).to.deep.equal(clusterFile.nodes);
  });

  it('elects one leader every node names, and commits a command every node applies', async () => {
    const leaderId = await waitFor(
      'a settled leader',
      SETTLE_TIMEOUT_MS,
      () => settledLeader(),
      STATUS_POLL_MS,
    );
    expect(centrals).to.include(leaderId);
    const ack = await client.submit(
      { type: 'Noop', atMs: Date.now(), step: 'elect' },
      SETTLE_TIMEOUT_MS,
    );
    // `duplicate` may be true: a reply slower than the client's 10 s is retried with the same
    // (clientId, seq), and the site answers the retry with the first one's slot.
    expect(ack.slot).to.be.a('number');
    await waitFor(
      `slot ${ack.slot} applied everywhere`,
      SETTLE_TIMEOUT_MS,
      async () => {
        const rows = Object.values(await statuses());
        return rows.every((row) => isUp(row) && row.paxos.appliedThrough >= ack.slot)
          ? true
          : undefined;
      },
      STATUS_POLL_MS,
    );
  });

  it('survives killing the leader task: the standby leads and commits, Swarm replaces the task', async function () {
    this.timeout(FAILOVER_TRIALS * 3 * SETTLE_TIMEOUT_MS);
    const failoverMs: number[] = [];
    const settledLeaders: string[] = [];
    for (let trial = 1; trial <= FAILOVER_TRIALS; trial += 1) {
      const leaderId = await waitFor(
        'a settled leader',
        SETTLE_TIMEOUT_MS,
        () => settledLeader(),
        STATUS_POLL_MS,
      );
      const standby = centrals.find((id) => id !== leaderId) as string;
      const killed = (await taskContainer(stack, leaderId)) as string;
      expect(killed, `${leaderId}'s container`).to.be.a('string');

      const killedAtMs = Date.now();
      await dockerOk(['kill', killed]);
      // A command through the standby commits while the old leader's task is still being replaced.
      const ack = await client.submit(
        { type: 'Noop', atMs: Date.now(), step: `after kill ${trial}` },
        SETTLE_TIMEOUT_MS,
        standby,
      );
      failoverMs.push(Date.now() - killedAtMs);
      expect(ack.nodeId).to.equal(standby);
      expect(ack.ballot.proposerId).to.equal(standby);

      // Swarm's restart policy starts a new task: a new container (a new address), the same node
      // id, and it rejoins: one leader every node names, every link up again. Usually the standby
      // still leads; the new task knows no ballot and may campaign before it hears the leader,
      // deposing it with a higher one (docs/labs/02-kill-the-leader.md) — both are correct.
      const replaced = await waitFor(`${leaderId} replaced`, SETTLE_TIMEOUT_MS, async () => {
        const container = await taskContainer(stack, leaderId);
        return container !== undefined && container !== killed ? container : undefined;
      });
      expect(replaced).to.not.equal(killed);
      const newLeader = await waitFor(
        'the site settled after the kill',
        SETTLE_TIMEOUT_MS,
        () => settledLeader(),
        STATUS_POLL_MS,
      );
      expect(centrals).to.include(newLeader);
      settledLeaders.push(newLeader === standby ? 'standby' : 'restarted');
      const history = await dockerOk([
        'service',
        'ps',
        `${stack}_${leaderId}`,
        '--format',
        '{{.DesiredState}} {{.CurrentState}}',
      ]);
      expect(history).to.match(/Shutdown Failed/);
      const rows = await statuses();
      const rejoined = rows[leaderId];
      expect(isUp(rejoined) && rejoined.paxos.proposerState).to.equal(
        newLeader === leaderId ? 'leader' : 'follower',
      );
    }
    console.log(
      `      failover after killing the leader's task: ${failoverMs.join(', ')} ms (median ${median(failoverMs)} ms); deploy → first commit ${deployToFirstCommitMs} ms; leading once settled: ${settledLeaders.join(', ')}`,
    );
  });
});

#!/usr/bin/env node
// The Docker numbers of docs/DOCKER.md, measured on the engine at hand: `up` → first decided
// command, and failover after scripts/docker-kill.sh of the leader (median of --rounds, default
// 5). Runs its own site (project evpaxos-measure, or COMPOSE_PROJECT_NAME; host port prefix
// EVPAXOS_HOST_PORT_PREFIX, default 30) from an already built evpaxos:local, and takes it down
// with its volumes at the end.
//
//   node scripts/docker-measure.mjs [--rounds 5]
//
// A decided command is a POST /submit answered 200 through the published HTTP port of a central
// (from the host, no docker exec in the timed path). Failover is the time from the kill to the
// first command decided by the standby.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { apiToken, httpJson } = createRequire(import.meta.url)(path.join(root, 'packages/runtime'));
const argv = process.argv.slice(2);
const rounds = Number(argv[argv.indexOf('--rounds') + 1] || 5) || 5;
const project = process.env.COMPOSE_PROJECT_NAME || 'evpaxos-measure';
const prefix = process.env.EVPAXOS_HOST_PORT_PREFIX || '30';
const env = { ...process.env, COMPOSE_PROJECT_NAME: project, EVPAXOS_HOST_PORT_PREFIX: prefix };
const compose =
  spawnSync('docker', ['compose', 'version']).status === 0
    ? ['docker', 'compose']
    : ['docker-compose'];
const centrals = { 'central-a': `${prefix}100`, 'central-b': `${prefix}101` };
const ATTEMPT_TIMEOUT_MS = 1_000;

/**
 * The API token of the measured site: derived from the secret in evpaxos.env and the cluster id in
 * docker-compose.yml, as every node derives it (docs/CLUSTER.md, "Authentication").
 */
function siteToken() {
  const secret =
    process.env.EVPAXOS_SECRET ??
    /^EVPAXOS_SECRET=(.*)$/m.exec(fs.readFileSync(path.join(root, 'evpaxos.env'), 'utf8'))?.[1];
  const clusterId = /EVPAXOS_CLUSTER_ID: (\S+)/.exec(
    fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'),
  )?.[1];
  return secret && clusterId ? apiToken(secret.trim(), clusterId) : undefined;
}
const token = siteToken();

/** One request through the runtime's API client; status 0 when it fails or times out. */
function request(port, method, pathName, body) {
  return httpJson(
    `http://127.0.0.1:${port}${pathName}`,
    method,
    body,
    ATTEMPT_TIMEOUT_MS,
    token,
  ).catch(() => ({ status: 0 }));
}

/** Milliseconds until `central` decides a Noop (polling every 20 ms), from `startMs`. */
async function untilDecided(central, startMs, limitMs = 120_000) {
  for (;;) {
    const reply = await request(centrals[central], 'POST', '/submit', {
      payload: { type: 'Noop', atMs: 0 },
    });
    if (reply.status === 200) return Date.now() - startMs;
    if (Date.now() - startMs > limitMs)
      throw new Error(`${central}: nothing decided in ${limitMs} ms`);
    await sleep(20);
  }
}

async function leader() {
  for (;;) {
    for (const [central, port] of Object.entries(centrals)) {
      const reply = await request(port, 'GET', '/status');
      if (reply.status === 200 && reply.body.paxos.proposerState === 'leader') return central;
    }
    await sleep(100);
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
try {
  const upStart = Date.now();
  // The seven nodes only: the EV emulator's commands would race the measured ones.
  const nodes = ['central-a', 'central-b', 'cp1', 'cp2', 'cp3', 'cp4', 'cp5'];
  execFileSync(compose[0], [...compose.slice(1), 'up', '-d', ...nodes], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const upMs = Date.now() - upStart;
  const first = await Promise.race(Object.keys(centrals).map((c) => untilDecided(c, upStart)));
  console.log(
    `up -d returned after ${upMs} ms; first decided command ${first} ms after up started`,
  );
  const failovers = [];
  for (let round = 1; round <= rounds; round += 1) {
    const killed = await leader();
    const standby = killed === 'central-a' ? 'central-b' : 'central-a';
    await untilDecided(killed, Date.now()); // a working leader before the kill
    const start = Date.now();
    // The kill script waits for Docker's restart; the clock does not wait for it.
    const kill = spawn('bash', [path.join(root, 'scripts/docker-kill.sh'), killed], {
      env,
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => kill.once('exit', resolve));
    const ms = await untilDecided(standby, start);
    if ((await exited) !== 0) throw new Error(`docker-kill.sh ${killed} failed`);
    failovers.push(ms);
    console.log(`failover ${round}: killed ${killed}, ${standby} decided after ${ms} ms`);
    await sleep(3_000); // the killed central back and following before the next round
  }
  console.log(`failover median of ${rounds}: ${median(failovers)} ms (${failovers.join(', ')})`);
} finally {
  execFileSync(compose[0], [...compose.slice(1), 'down', '-v', '-t', '3'], {
    cwd: root,
    env,
    stdio: 'ignore',
  });
}

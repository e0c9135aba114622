#!/usr/bin/env node
// The check every lab (docs/labs/) ends with: asks each node of a running cluster for /status
// and /log and checks what Multi-Paxos promises — at most one leader per ballot, every reachable
// node agrees on each slot, and (with the options) that progress happened.
//
//   node scripts/lab-check.mjs [--dir .evpaxos]      the local cluster (`evpaxos cluster up`)
//   node scripts/lab-check.mjs --docker              the compose site (ports 7100-7106 on localhost;
//                                                    EVPAXOS_HOST_PORT_PREFIX=8: 8100-8106, as compose)
//   node scripts/lab-check.mjs --host 10.77.0 …      (not needed: see scripts/netns-cluster.sh status)
//   node scripts/lab-check.mjs --status cp1          that node's whole GET /status, as JSON
//   node scripts/lab-check.mjs --url cp1             that node's HTTP API, e.g. http://127.0.0.1:7102
//   node scripts/lab-check.mjs --election-ms         per became-leader in the centrals' logs (local):
//                                                    ms since that central's became-candidate
// Options: --leader-id (print the leader's id, nothing else), --leader ID (that node must lead), --min-applied N (every reachable node applied slot N),
//          --min-ballot-round R (the leader's round is at least R), --expect-unreachable ID,…,
//          --wait-ms N (ask again every 500 ms until every check passes — or, with --leader-id,
//          a leader shows — for N ms at most: a site just started or crashed is still electing)
// Prints PASS or FAIL with the reason per check; exit 0 only if every check passed.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const REQUEST_TIMEOUT_MS = 1_500;
const argv = process.argv.slice(2);
const option = (name) => {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
};
const dockerNodes = ['central-a', 'central-b', 'cp1', 'cp2', 'cp3', 'cp4', 'cp5'];

function nodesToAsk() {
  if (argv.includes('--docker')) {
    // docker-compose.yml publishes node i's HTTP API on localhost:${PREFIX}10i, PREFIX being
    // EVPAXOS_HOST_PORT_PREFIX (default 7): the same variable, read the same way.
    const prefix = process.env.EVPAXOS_HOST_PORT_PREFIX || '7';
    if (!/^[1-9]\d?$/.test(prefix) || Number(`${prefix}201`) > 65_535) {
      console.error(
        `EVPAXOS_HOST_PORT_PREFIX must be a number from 1 to 65 (host ports PREFIX100-PREFIX201), not "${prefix}".`,
      );
      process.exit(2);
    }
    return dockerNodes.map((id, index) => ({ id, url: `http://127.0.0.1:${prefix}10${index}` }));
  }
  const dir = option('--dir') ?? '.evpaxos';
  const file = path.join(dir, 'processes.json');
  if (!fs.existsSync(file)) {
    console.error(`No cluster in ${dir} (no processes.json): run "npx evpaxos cluster up" first.`);
    process.exit(2);
  }
  const processes = JSON.parse(fs.readFileSync(file, 'utf8'));
  return processes.nodes.map((node) => ({
    id: node.id,
    url: `http://${node.host}:${node.httpPort}`,
  }));
}

function getJson(url) {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: REQUEST_TIMEOUT_MS, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => {
        try {
          resolve(response.statusCode === 200 ? JSON.parse(text) : null);
        } catch {
          resolve(null);
        }
      });
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(null));
  });
}

async function readLog(url) {
  const entries = [];
  for (let from = 0; ;) {
    const page = await getJson(`${url}/log?from=${from}&limit=10000`);
    if (!page) return null;
    entries.push(...page.entries);
    if (page.entries.length === 0 || page.entries.at(-1).slot >= page.appliedThrough)
      return entries;
    from = page.entries.at(-1).slot + 1;
  }
}

const ballotText = (ballot) =>
  ballot && ballot.round > 0 ? `${ballot.round}.${ballot.proposerId}` : '-';

// --wait-ms N: a site that was just started or crashed is still electing; ask again every
// WAIT_POLL_MS until every check passes, for N ms at most, and print the last round only.
const WAIT_POLL_MS = 500;
const WAIT_MS_MAX = 600_000;
const waitText = option('--wait-ms') ?? '0';
if (!/^\d+$/.test(waitText) || Number(waitText) > WAIT_MS_MAX) {
  console.error(
    `--wait-ms takes a number of milliseconds from 0 to ${WAIT_MS_MAX}, not "${waitText}".`,
  );
  process.exit(2);
}
const waitUntilMs = Date.now() + Number(waitText);
const nodes = nodesToAsk();

async function askAll() {
  const answers = await Promise.all(
    nodes.map(async (node) => ({ ...node, status: await getJson(`${node.url}/status`) })),
  );
  return { answers, reachable: answers.filter((node) => node.status) };
}

/** The node named by --status / --url, or exit 2 naming the known ones. */
function namedNode(flag) {
  const id = option(flag);
  const node = nodes.find((candidate) => candidate.id === id);
  if (node === undefined) {
    console.error(`${flag} takes a node id: one of ${nodes.map((n) => n.id).join(', ')}.`);
    process.exit(2);
  }
  return node;
}

if (argv.includes('--url')) {
  console.log(namedNode('--url').url);
  process.exit(0);
}

if (argv.includes('--status')) {
  const node = namedNode('--status');
  const status = await getJson(`${node.url}/status`);
  if (status === null) {
    console.error(`${node.id} does not answer at ${node.url}/status.`);
    process.exit(1);
  }
  console.log(JSON.stringify(status));
  process.exit(0);
}

if (argv.includes('--election-ms')) {
  // Phase 1 as the logs saw it: for every became-leader, the time since the same central's last
  // became-candidate (a promise from a quorum of acceptors, each fsynced, came in between).
  const logsDir = path.join(option('--dir') ?? '.evpaxos', 'logs');
  let found = 0;
  for (const node of nodes) {
    const file = path.join(logsDir, `${node.id}.log`);
    if (!fs.existsSync(file)) continue;
    let candidateAt = null;
    for (const text of fs.readFileSync(file, 'utf8').split('\n')) {
      let line;
      try {
        line = JSON.parse(text);
      } catch {
        continue;
      }
      const at = Date.parse(line.timestamp);
      if (line.message === 'became-candidate') candidateAt = at;
      if (line.message === 'became-leader' && candidateAt !== null) {
        found += 1;
        console.log(
          `${node.id} ballot ${ballotText(line.ballot)}: candidate → leader in ${at - candidateAt} ms`,
        );
        candidateAt = null;
      }
    }
  }
  if (found === 0) {
    console.error(`no became-candidate → became-leader pair in ${logsDir}/*.log`);
    process.exit(1);
  }
  process.exit(0);
}

if (argv.includes('--leader-id')) {
  // For scripts: print the id of the node that leads now (the highest ballot), or fail.
  for (;;) {
    const { reachable } = await askAll();
    const leading = reachable
      .filter((node) => node.status.paxos.proposerState === 'leader')
      .sort((a, b) => b.status.paxos.ballot.round - a.status.paxos.ballot.round);
    if (leading.length > 0) {
      console.log(leading[0].id);
      process.exit(0);
    }
    if (Date.now() + WAIT_POLL_MS > waitUntilMs) break;
    await sleep(WAIT_POLL_MS);
  }
  console.error(`no leader right now${waitText === '0' ? '' : ` (waited ${waitText} ms)`}`);
  process.exit(1);
}

/** One round of every check: the lines to print and the results. */
async function checkOnce() {
  const lines = [];
  const results = [];
  const check = (ok, what) => results.push({ ok, what });
  const { answers, reachable } = await askAll();
  for (const node of answers) {
    const paxos = node.status?.paxos;
    lines.push(
      node.status
        ? `${node.id.padEnd(10)} ${String(paxos.proposerState ?? '-').padEnd(10)} ballot ${ballotText(paxos.ballot).padEnd(12)} leader ${String(paxos.leaderId ?? '-').padEnd(10)} promised ${ballotText(paxos.promised).padEnd(12)} applied ${paxos.appliedThrough}`
        : `${node.id.padEnd(10)} unreachable`,
    );
  }

  // Safety: two leaders may exist for a moment (an old one that has not heard of the new ballot),
  // but never two with the same ballot, and only the highest ballot can get a quorum.
  const leaders = reachable.filter((node) => node.status.paxos.proposerState === 'leader');
  const leaderBallots = leaders.map((node) => ballotText(node.status.paxos.ballot));
  check(
    new Set(leaderBallots).size === leaderBallots.length,
    `no two leaders share a ballot (leaders: ${leaders.map((n) => `${n.id}@${ballotText(n.status.paxos.ballot)}`).join(', ') || 'none'})`,
  );

  // Agreement: for every slot, every reachable node that applied it applied the same commands.
  const logs = await Promise.all(
    reachable.map(async (node) => ({ id: node.id, log: await readLog(node.url) })),
  );
  const bySlot = new Map();
  let disagreements = 0;
  for (const { id, log } of logs) {
    for (const entry of log ?? []) {
      const value = JSON.stringify(entry.commands.map((c) => [c.clientId, c.seq, c.payload]));
      const seen = bySlot.get(entry.slot);
      if (!seen) bySlot.set(entry.slot, { id, value });
      else if (seen.value !== value) {
        disagreements += 1;
        if (disagreements <= 3)
          lines.push(`slot ${entry.slot}: ${seen.id} and ${id} applied different commands`);
      }
    }
  }
  check(
    disagreements === 0,
    `agreement: ${bySlot.size} slots, every reachable node applied the same commands`,
  );

  const wantLeader = option('--leader');
  if (wantLeader !== undefined) {
    check(
      leaders.length === 1 && leaders[0].id === wantLeader,
      `${wantLeader} is the one leader (leaders: ${leaders.map((n) => n.id).join(', ') || 'none'})`,
    );
  } else {
    check(
      leaders.length >= 1,
      `a leader is elected (${leaders.map((n) => n.id).join(', ') || 'none'})`,
    );
  }
  const minRound = option('--min-ballot-round');
  if (minRound !== undefined) {
    const round = Math.max(0, ...leaders.map((node) => node.status.paxos.ballot?.round ?? 0));
    check(
      round >= Number(minRound),
      `the leader's ballot round is at least ${minRound} (it is ${round})`,
    );
  }
  const minApplied = option('--min-applied');
  if (minApplied !== undefined) {
    const lagging = reachable.filter(
      (node) => node.status.paxos.appliedThrough < Number(minApplied),
    );
    check(
      lagging.length === 0,
      `every reachable node applied slot ${minApplied}${lagging.length ? ` (behind: ${lagging.map((n) => n.id).join(', ')})` : ''}`,
    );
  }
  const unreachable = option('--expect-unreachable');
  if (unreachable !== undefined) {
    for (const id of unreachable.split(',')) {
      check(
        !reachable.some((node) => node.id === id),
        `${id} does not answer (it is down or cut off)`,
      );
    }
  }
  return { lines, results };
}

for (;;) {
  const { lines, results } = await checkOnce();
  const passed = results.every((result) => result.ok);
  if (passed || Date.now() + WAIT_POLL_MS > waitUntilMs) {
    for (const line of lines) console.log(line);
    for (const result of results) console.log(`${result.ok ? 'PASS' : 'FAIL'}  ${result.what}`);
    process.exit(passed ? 0 : 1);
  }
  await sleep(WAIT_POLL_MS);
}

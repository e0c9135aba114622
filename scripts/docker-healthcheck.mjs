#!/usr/bin/env node
// The image's HEALTHCHECK (slim images have no curl): asks this container's own evpaxos process
// for GET /status on its httpPort, found from EVPAXOS_ID and EVPAXOS_NODES — the same variables
// the process itself starts from, so the check cannot ask the wrong port.
//
//   node scripts/docker-healthcheck.mjs           exit 0 when /status answers 200 for this node id
//   node scripts/docker-healthcheck.mjs --print   also print a one-line summary (scripts/docker-status.sh)
//   node scripts/docker-healthcheck.mjs --json    print the whole /status body (docker-status.sh --json)
//
// A container without EVPAXOS_ID (ev-emulator, sim, verify) has no admin API: healthy while it runs.
import http from 'node:http';

const STATUS_TIMEOUT_MS = 2_000;
const print = process.argv.includes('--print');
const printJson = process.argv.includes('--json');
const id = process.env.EVPAXOS_ID;
const nodes = process.env.EVPAXOS_NODES ?? '';

/** round.proposerId, as `evpaxos status` prints it; '-' before any ballot. */
function formatBallot(ballot) {
  return ballot && ballot.round > 0 ? `${ballot.round}.${ballot.proposerId}` : '-';
}

function finish(code, line) {
  if (print || code !== 0) console.log(line);
  process.exit(code);
}

if (!id) finish(0, 'no EVPAXOS_ID: this role has no admin API');

// The node spec: id=role@host:clusterPort:httpPort[:servicePort],… (docs/CLUSTER.md).
const spec = nodes
  .split(',')
  .map((part) => part.trim())
  .find((part) => part.startsWith(`${id}=`));
const match = spec && /@[^:]+:\d+:(\d+)/.exec(spec);
if (!match) finish(1, `${id}: not in EVPAXOS_NODES, cannot find its httpPort`);
const httpPort = Number(match[1]);

const request = http.get(
  { host: '127.0.0.1', port: httpPort, path: '/status', timeout: STATUS_TIMEOUT_MS },
  (response) => {
    let body = '';
    response.setEncoding('utf8');
    response.on('data', (chunk) => (body += chunk));
    response.on('end', () => {
      if (response.statusCode !== 200) finish(1, `${id}: /status answered ${response.statusCode}`);
      let status;
      try {
        status = JSON.parse(body);
      } catch {
        finish(1, `${id}: /status is not JSON`);
      }
      if (status.id !== id) finish(1, `${id}: port ${httpPort} answers as ${status.id}`);
      if (printJson) {
        console.log(JSON.stringify(status, null, 2));
        process.exit(0);
      }
      const paxos = status.paxos ?? {};
      const ballot = formatBallot(paxos.ballot);
      const promised = formatBallot(paxos.promised);
      const peers = status.peers ?? [];
      const connected = peers.filter((peer) => peer.state === 'connected').length;
      finish(
        0,
        [
          id.padEnd(10),
          String(status.role).padEnd(13),
          String(paxos.proposerState ?? '-').padEnd(10),
          ballot.padEnd(13),
          String(paxos.leaderId ?? '-').padEnd(10),
          promised.padEnd(13),
          String(paxos.appliedThrough ?? '-').padEnd(8),
          `${connected}/${peers.length}`,
        ].join(' '),
      );
    });
  },
);
request.on('timeout', () => request.destroy(new Error(`no answer in ${STATUS_TIMEOUT_MS} ms`)));
request.on('error', (error) => finish(1, `${id}: /status on port ${httpPort}: ${error.message}`));

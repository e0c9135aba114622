#!/usr/bin/env node
// Submits one command from inside a central's container (scripts/docker-submit.sh runs it with
// `docker exec`): POST /submit to this container's own node, following a 421 to the leader it
// names — inside the site network the leader's hostname resolves, from the host it would not.
//
//   node scripts/docker-submit.mjs '{"type":"Noop"}' [--no-follow] [--timeout-ms 12000]
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';

// The one API client (packages/runtime/src/api-client.ts): it sends the API token, derived from
// this container's EVPAXOS_SECRET and EVPAXOS_CLUSTER_ID (docs/CLUSTER.md, "Authentication").
const { httpJson, readApiToken } = createRequire(import.meta.url)('../packages/runtime');

const args = process.argv.slice(2);
const follow = !args.includes('--no-follow');
const timeoutIndex = args.indexOf('--timeout-ms');
const timeoutMs = timeoutIndex >= 0 ? Number(args[timeoutIndex + 1]) : 12_000;
const payloadText = args.find(
  (arg, index) => !arg.startsWith('--') && (timeoutIndex < 0 || index !== timeoutIndex + 1),
);
const id = process.env.EVPAXOS_ID;
const spec = (process.env.EVPAXOS_NODES ?? '').split(',').find((part) => part.startsWith(`${id}=`));
const httpPort = spec && Number(/@[^:]+:\d+:(\d+)/.exec(spec)?.[1]);
if (!payloadText || !httpPort) {
  console.error(
    'usage: docker-submit.mjs <json payload> [--no-follow] [--timeout-ms N] (inside a central)',
  );
  process.exit(2);
}
let payload;
try {
  payload = JSON.parse(payloadText);
} catch (error) {
  console.error(`The payload is not JSON: ${error.message}`);
  process.exit(2);
}
// Site commands carry the submitter's clock and a central refuses one without it (400,
// docs/CLUSTER.md): stamp it when left out, as `evpaxos submit` does.
if (
  typeof payload === 'object' &&
  payload !== null &&
  !Array.isArray(payload) &&
  'type' in payload &&
  !('atMs' in payload)
) {
  payload = { ...payload, atMs: Date.now() };
}
const deadline = Date.now() + timeoutMs;

/** POST /submit through the runtime's API client, with the token this container's env gives. */
async function post(url) {
  const reply = await httpJson(
    url,
    'POST',
    { payload },
    Math.max(1, deadline - Date.now()),
    readApiToken(),
  );
  return {
    status: reply.status,
    text: typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body),
  };
}

const RETRY_DELAY_MS = 100;
const ownUrl = `http://127.0.0.1:${httpPort}/submit`;
let url = ownUrl;
for (;;) {
  let reply;
  try {
    reply = await post(url);
  } catch (error) {
    console.error(`${url}: ${error.message}`);
    process.exit(1);
  }
  let body = {};
  try {
    body = JSON.parse(reply.text);
  } catch {
    // Not JSON: printed as it is below.
  }
  // 421 names the leader: go there (once per answer). 421 without a leader means an election is
  // under way, and 503 that the leader is busy: nothing was accepted, so asking again is safe.
  // A 504 is not retried: that command may still commit.
  const electing = reply.status === 421 && !body.leaderUrl;
  if (reply.status === 421 && body.leaderUrl && follow) {
    console.error(`not the leader; following to ${body.leaderUrl}`);
    url = `${body.leaderUrl}/submit`;
    continue;
  }
  if ((electing || reply.status === 503) && Date.now() + RETRY_DELAY_MS < deadline) {
    await sleep(RETRY_DELAY_MS);
    url = ownUrl;
    continue;
  }
  console.log(reply.text);
  process.exit(reply.status === 200 ? 0 : 1);
}

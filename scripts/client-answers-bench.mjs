#!/usr/bin/env node
// Microseconds of the central's per-command /client work, in one process, the fastest of 20
// windows of 100 ms (docs/BENCHMARKS.md, "Issue 21: concurrency 256, sixth session"): unpacking
// and checking a frame of 90 of the bench's requests, and packing a frame of 90 answers (what one
// frame holds at concurrency 256), as version 1 maps and as version 2 arrays; and 256 ClientCalls waits plus their settling (four slots of 64), of this build
// and, with `--compare OTHER_TREE`, of another build's packages/runtime, taking turns. Run after
// `npm run build`:
//   node scripts/client-answers-bench.mjs [--compare /path/to/other/tree] [--rounds 3]
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const option = (name) => {
  const at = argv.indexOf(name);
  return at === -1 ? undefined : argv[at + 1];
};
const rounds = Number(option('--rounds') ?? 3);
const runtimeOf = (tree) => path.join(tree, 'packages/runtime/dist/src');
const here = runtimeOf(path.resolve(import.meta.dirname, '..'));
const { clientPackr } = require(path.join(here, 'client-frames.js'));
const { positionalAnswer } = require(path.join(here, 'client-versions.js'));
const { clientAnswer, readClientRequest } = require(path.join(here, 'client-requests.js'));
const { readPositionalRequest } = require(path.join(here, 'client-versions.js'));
const builds = [['this build', require(path.join(here, 'client-calls.js')).ClientCalls]];
const other = option('--compare');
if (other !== undefined) {
  builds.push([
    other,
    require(path.join(runtimeOf(path.resolve(other)), 'client-calls.js')).ClientCalls,
  ]);
}

const node = { urlOf: () => null };
const ballot = { round: 7, proposerId: 'central-a' };
const answersPerFrame = 90;
// The bench's command is refused by the site as an unknown transaction: this is its result.
const outcomes = Array.from({ length: answersPerFrame }, (_, index) => ({
  ok: true,
  slot: 1000 + (index >> 6),
  ballot,
  result: {
    ok: false,
    code: 'unknown-transaction',
    reason: 'transaction bench is not in progress',
  },
  duplicate: false,
}));
const payload = { type: 'StopSession', atMs: 0, transactionId: 'bench', value: 'v'.repeat(100) };
const clientIdOf = (index) => `bench-4242-lx1z2y-${index}`;
const requestsV1 = clientPackr.pack(
  Array.from({ length: answersPerFrame }, (_, requestId) => ({
    type: 'submit',
    requestId,
    clientId: clientIdOf(requestId),
    seq: 7,
    payload,
  })),
);
const requestsV2 = clientPackr.pack(
  Array.from({ length: answersPerFrame }, (_, requestId) => [
    requestId,
    clientIdOf(requestId),
    7,
    payload,
  ]),
);
const readV1 = () => {
  for (const request of clientPackr.unpack(requestsV1)) readClientRequest(request, 'A request');
};
const readV2 = () => {
  for (const request of clientPackr.unpack(requestsV2)) readPositionalRequest(request);
};
const packV1 = () => clientPackr.pack(outcomes.map((o, id) => clientAnswer(id, o, node)));
const packV2 = () => clientPackr.pack(outcomes.map((o, id) => positionalAnswer(id, o, node)));

const entries = [0, 1, 2, 3].map((slot) => ({
  slot,
  ballot,
  commands: Array.from({ length: 64 }, (_, index) => ({
    command: { clientId: `bench-4242-lx1z2y-${slot * 64 + index}`, seq: 1, payload: null },
    result: null,
    duplicate: false,
  })),
}));
const waitAndSettle = (ClientCalls) => (iteration) => {
  const calls = new ClientCalls({
    pendingMax: 10_000,
    timeoutMs: 10_000,
    observeCommitMs: () => {},
  });
  const settle = () => {};
  for (const entry of entries) {
    for (const applied of entry.commands) {
      applied.command.seq = iteration + 1;
      calls.wait(applied.command.clientId, iteration + 1, settle);
    }
  }
  calls.settleApplied(entries);
};

function fastest(work) {
  let best = Infinity;
  for (let window = 0; window < 20; window += 1) {
    const start = process.hrtime.bigint();
    let count = 0;
    while (Number(process.hrtime.bigint() - start) < 100e6) work(count++);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e3 / count);
  }
  return best;
}

console.log(
  `bytes of a frame of ${answersPerFrame} requests: version 1 ${requestsV1.length}, version 2 ${requestsV2.length}; of ${answersPerFrame} answers: version 1 ${packV1().length}, version 2 ${packV2().length}`,
);
for (let round = 1; round <= rounds; round += 1) {
  const r1 = fastest(readV1);
  const r2 = fastest(readV2);
  const v1 = fastest(packV1);
  const v2 = fastest(packV2);
  const calls = builds.map(
    ([name, ClientCalls]) => `${name} ${(fastest(waitAndSettle(ClientCalls)) / 256).toFixed(3)}`,
  );
  console.log(
    `round ${round}: µs per request unpacked and checked, version 1 ${(r1 / answersPerFrame).toFixed(3)}, version 2 ${(r2 / answersPerFrame).toFixed(3)}; µs per answer packed, version 1 ${(v1 / answersPerFrame).toFixed(3)}, version 2 ${(v2 / answersPerFrame).toFixed(3)}; µs per call waited and settled: ${calls.join(', ')}`,
  );
}

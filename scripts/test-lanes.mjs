#!/usr/bin/env node
// npm test's mocha run (docs/TESTING.md, "Lanes"): two lanes at once, then one file set alone.
//
//   docker  the suites that drive the Docker engine (packages/cli/dist/test/docker-*.test.js),
//           one after the other: they share the engine (Swarm mode, images, networks);
//   main    every other test file but the ALONE ones, in .mocharc.json's order, at the same time;
//   alone   once both have ended: the high-speed site scenarios (ALONE), which run a scenario at
//           20-30x on as many as 17 processes and so get both cores to themselves.
//
// Why two lanes: a Docker suite spends much of its time waiting on the engine and on the site in
// its containers (a lab's `sleep 45` for a lease, Swarm replacing a task), time the main lane's
// real-process clusters use. The lanes share nothing else: a local cluster's launcher chooses its
// ports in 10000-19999 (packages/cli launcher/ports.ts) and a Docker site publishes
// PREFIX100-PREFIX201 with a prefix of 20 or more, below the kernel's ephemeral range
// (docker-harness.ts, freePortPrefix), so neither can take the other's ports.
//
// The main and alone lanes print as they run; the Docker lane's report is kept and printed whole
// after the main lane ends, so no two reports interleave. The exit code is 0 only if every lane
// passed. EVPAXOS_TEST_LANES=1 runs everything in one lane, as `npx mocha` does. Extra arguments
// (`npm run test:unit -- --grep X`) go to every lane.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const config = JSON.parse(fs.readFileSync(path.join(root, '.mocharc.json'), 'utf8'));
const mocha = path.join(root, 'node_modules/mocha/bin/mocha.js');
const extra = process.argv.slice(2);
/**
 * Suites of packages/cli that run after the two lanes, alone: scenarios at 20-30x whose EVs must
 * get a profile within a few real seconds: they get both cores, as in a one-lane run, and not a
 * Docker lab's eight containers booting beside them (docs/TESTING.md, "Times").
 */
const ALONE = ['site-e2e', 'site-size'];

/** The test files .mocharc.json's spec names (packages/X/dist/test/**\/*.test.js), sorted. */
function specFiles() {
  const files = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.test.js')) files.push(path.relative(root, file));
    }
  };
  for (const pkg of fs.readdirSync(path.join(root, 'packages')).sort()) {
    const dir = path.join(root, 'packages', pkg, 'dist/test');
    if (fs.existsSync(dir)) walk(dir);
  }
  return files.sort();
}

const isDocker = (file) => /^packages\/cli\/dist\/test\/docker-[^/]*\.test\.js$/.test(file);
const alone = new Set(ALONE.map((name) => `packages/cli/dist/test/${name}.test.js`));
const files = specFiles();
const oneLane = process.env.EVPAXOS_TEST_LANES === '1';
/** Lanes run at once, one phase after the other. */
const phases = (
  oneLane
    ? [[{ name: 'all', files, live: true }]]
    : [
        [
          { name: 'main', files: files.filter((f) => !isDocker(f) && !alone.has(f)), live: true },
          { name: 'docker', files: files.filter(isDocker), live: false },
        ],
        [{ name: 'alone', files: files.filter((f) => alone.has(f)), live: true }],
      ]
)
  .map((lanes) => lanes.filter((lane) => lane.files.length > 0))
  .filter((lanes) => lanes.length > 0);

const children = new Set();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  // The suites' own interrupt handlers take their clusters and Docker sites down: pass it on once
  // (each lane is its own process group, so a Ctrl-C reaches it only from here), then exit once
  // every lane has.
  process.on(signal, () => {
    for (const child of children) child.kill(signal);
  });
}

function runLane(lane) {
  const args = [
    mocha,
    '--no-config',
    '--timeout',
    String(config.timeout),
    '--reporter',
    config.reporter,
    ...extra,
    ...lane.files,
  ];
  const startedMs = Date.now();
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: ['ignore', lane.live ? 'inherit' : 'pipe', lane.live ? 'inherit' : 'pipe'],
    env: process.env,
    detached: true,
  });
  children.add(child);
  const kept = [];
  if (!lane.live) {
    child.stdout.on('data', (chunk) => kept.push(chunk));
    child.stderr.on('data', (chunk) => kept.push(chunk));
  }
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ lane, code: code ?? 1, signal, seconds: (Date.now() - startedMs) / 1000, kept });
    });
  });
}

let stopped = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => (stopped = true));

const startedMs = Date.now();
const results = [];
for (const lanes of phases) {
  if (stopped) break;
  const phase = await Promise.all(lanes.map(runLane));
  for (const result of phase.filter((r) => !r.lane.live)) {
    process.stdout.write(
      `\n===== lane ${result.lane.name} (${result.lane.files.length} files) =====\n`,
    );
    process.stdout.write(Buffer.concat(result.kept));
  }
  results.push(...phase);
}
console.log('');
for (const { lane, code, signal, seconds } of results) {
  const outcome = signal ? `killed by ${signal}` : code === 0 ? 'passed' : `failed (exit ${code})`;
  console.log(`lane ${lane.name}: ${lane.files.length} files, ${seconds.toFixed(0)} s, ${outcome}`);
}
console.log(`mocha lanes: ${((Date.now() - startedMs) / 1000).toFixed(0)} s`);
process.exitCode = !stopped && results.every((r) => r.code === 0 && !r.signal) ? 0 : 1;

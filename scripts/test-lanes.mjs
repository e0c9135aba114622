#!/usr/bin/env node
// npm test's mocha run in two lanes at once (docs/TESTING.md, "Lanes"):
//
//   docker  the suites that drive the Docker engine (packages/cli/dist/test/docker-*.test.js),
//           one after the other: they share the engine (Swarm mode, images, networks);
//   main    every other test file, in .mocharc.json's order.
//
// Why two lanes: a Docker suite spends much of its time waiting on the engine and on the site in
// its containers (a lab's `sleep 45` for a lease, Swarm replacing a task), time the main lane's
// real-process clusters use. The lanes share nothing else: local clusters bind port 0 (the kernel's
// ephemeral range) and a Docker site publishes PREFIX100-PREFIX201 with a prefix below that range
// (docker-harness.ts, freePortPrefix), so neither can take the other's ports.
//
// The main lane prints as it runs; the Docker lane's report is kept and printed whole after it,
// so neither interleaves with the other. The exit code is 0 only if both lanes passed.
// EVPAXOS_TEST_LANES=1 runs everything in one lane, as `npx mocha` does. Extra arguments
// (`npm run test:unit -- --grep X`) go to both lanes.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const config = JSON.parse(fs.readFileSync(path.join(root, '.mocharc.json'), 'utf8'));
const mocha = path.join(root, 'node_modules/mocha/bin/mocha.js');
const extra = process.argv.slice(2);
/** Suites of packages/cli moved to the Docker lane to even the lanes out. */
const DOCKER_LANE_ALSO = ['site-size'];

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
/**
 * Real-process suites that run after the Docker suites in their lane, so the two lanes take about
 * as long (docs/TESTING.md has the measured table): they bind free ports, as every local suite.
 */
const balance = new Set(DOCKER_LANE_ALSO.map((name) => `packages/cli/dist/test/${name}.test.js`));
const inDockerLane = (file) => isDocker(file) || balance.has(file);
const files = specFiles();
const oneLane = process.env.EVPAXOS_TEST_LANES === '1';
const lanes = oneLane
  ? [{ name: 'all', files, live: true }]
  : [
      { name: 'main', files: files.filter((file) => !inDockerLane(file)), live: true },
      {
        name: 'docker',
        files: [...files.filter(isDocker), ...files.filter((f) => balance.has(f))],
        live: false,
      },
    ].filter((lane) => lane.files.length > 0);

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

const startedMs = Date.now();
const results = await Promise.all(lanes.map(runLane));
for (const result of results.filter((r) => !r.lane.live)) {
  process.stdout.write(
    `\n===== lane ${result.lane.name} (${result.lane.files.length} files) =====\n`,
  );
  process.stdout.write(Buffer.concat(result.kept));
}
console.log('');
for (const { lane, code, signal, seconds } of results) {
  const outcome = signal ? `killed by ${signal}` : code === 0 ? 'passed' : `failed (exit ${code})`;
  console.log(`lane ${lane.name}: ${lane.files.length} files, ${seconds.toFixed(0)} s, ${outcome}`);
}
console.log(`mocha lanes: ${((Date.now() - startedMs) / 1000).toFixed(0)} s`);
process.exitCode = results.every((r) => r.code === 0 && !r.signal) ? 0 : 1;

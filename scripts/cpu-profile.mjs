#!/usr/bin/env node
// Summarises a V8 .cpuprofile (what `node --cpu-prof` writes; `npm run bench -- --cpu-prof DIR`):
// self time per function and per source file, the busiest first, over the whole profile or its
// last N seconds (`--last-s N`: the loaded part of a bench row). Usage:
//   node scripts/cpu-profile.mjs FILE.cpuprofile [--last-s 8] [--top 25]
import * as fs from 'node:fs';
import * as path from 'node:path';

const argv = process.argv.slice(2);
const file = argv.find((arg) => !arg.startsWith('--'));
const option = (name, fallback) => {
  const at = argv.indexOf(name);
  if (at === -1) return fallback;
  const value = Number(argv[at + 1]);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`${name} needs a positive number`);
    process.exit(2);
  }
  return value;
};
if (file === undefined) {
  console.error('usage: node scripts/cpu-profile.mjs FILE.cpuprofile [--last-s N] [--top N]');
  process.exit(2);
}
const lastS = option('--last-s', Infinity);
const top = option('--top', 25);
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));

// Sample i lasted timeDeltas[i + 1]; keep the samples of the window that ends at endTime.
const endUs = profile.endTime;
const fromUs = Number.isFinite(lastS) ? endUs - lastS * 1e6 : -Infinity;
const selfUs = new Map();
let atUs = profile.startTime;
let totalUs = 0;
for (let i = 0; i < profile.samples.length; i += 1) {
  atUs += profile.timeDeltas[i];
  const durationUs = profile.timeDeltas[i + 1] ?? 0;
  if (atUs < fromUs) continue;
  selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + durationUs);
  totalUs += durationUs;
}
const functions = new Map();
const files = new Map();
for (const [id, us] of selfUs) {
  const { callFrame } = byId.get(id);
  const where = callFrame.url === '' ? '(native)' : path.basename(callFrame.url);
  const name = `${callFrame.functionName || '(anonymous)'} ${where}:${callFrame.lineNumber + 1}`;
  functions.set(name, (functions.get(name) ?? 0) + us);
  files.set(where, (files.get(where) ?? 0) + us);
}
const table = (title, entries) => {
  console.log(`\n${title}`);
  for (const [name, us] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(
      `${((100 * us) / totalUs).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`,
    );
  }
};
console.log(`${path.basename(file)}: ${(totalUs / 1e6).toFixed(2)} s of samples`);
table('self time by function', functions);
table('self time by file', files);

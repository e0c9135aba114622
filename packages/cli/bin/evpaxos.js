#!/usr/bin/env node
'use strict';
// A committed shim so npm can link the bin before the build has run. A node process
// (`evpaxos charge-point` or `evpaxos central`, the first argument as the launcher spawns it) runs
// its role's bundle, dist/bundle/<role>.js (made by `npm run build`: scripts/bundle.mjs); every
// other command runs the compiled sources. docs/CLUSTER.md, "Memory", says why.
const path = require('node:path');

const role = process.argv[2];
const bundled = role === 'charge-point' || role === 'central';
const entry = bundled
  ? path.join(__dirname, '..', 'dist', 'bundle', `${role}.js`)
  : path.join(__dirname, '..', 'dist', 'src', 'index.js');
let main;
try {
  ({ main } = require(entry));
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes(entry)) {
    console.error(`evpaxos: ${entry} is missing: run "npm run build" first.`);
    process.exit(1);
  }
  throw error;
}
main(process.argv.slice(2)).catch((error) => {
  console.error(`evpaxos: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

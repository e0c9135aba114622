#!/usr/bin/env node
'use strict';
// A committed shim so npm can link the bin before the TypeScript build has run.
const { main } = require('../dist/src/index.js');
main(process.argv.slice(2)).catch((error) => {
  console.error(`evpaxos: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

#!/usr/bin/env node
// Run inside a container by scripts/docker-kill.sh: SIGKILLs the evpaxos process — a crash with
// no flush and no goodbye. `docker kill` would do the same to the process, but Docker then counts
// the container as stopped by hand and its restart policy does not bring it back; a process that
// dies on its own is restarted (`restart: unless-stopped`) and recovers from its volume.
import fs from 'node:fs';

const victims = [];
for (const entry of fs.readdirSync('/proc')) {
  const pid = Number(entry);
  if (!Number.isInteger(pid) || pid === process.pid) continue;
  let commandLine;
  try {
    commandLine = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    continue; // gone meanwhile
  }
  if (commandLine.some((part) => part.endsWith('packages/cli/bin/evpaxos.js'))) victims.push(pid);
}
if (victims.length === 0) {
  console.error('no evpaxos process in this container');
  process.exit(1);
}
for (const pid of victims) {
  if (pid === 1) {
    // The kernel ignores SIGKILL sent to a namespace's init from inside it.
    console.error('evpaxos runs as PID 1 (no init process): run the container with init: true.');
    process.exit(1);
  }
  process.kill(pid, 'SIGKILL');
  console.log(`SIGKILL sent to evpaxos pid ${pid} (in the container)`);
}

#!/usr/bin/env node
// Run inside a container by scripts/docker-kill.sh: SIGKILLs the evpaxos process — a crash with
// no flush and no goodbye. `docker kill` would do the same to the process, but Docker then counts
// the container as stopped by hand and its restart policy does not bring it back; a process that
// dies on its own is restarted (`restart: unless-stopped`) and recovers from its volume.
//
// With `init: true` (docker-compose.yml) PID 1 is Docker's init, `docker-init -- node
// packages/cli/bin/evpaxos.js …`: its command line names evpaxos.js too, but it is not the
// process to kill. The victim is the process whose program is node running evpaxos.js; when it
// dies, docker-init exits with its status and the container stops as a crash would stop it.
import fs from 'node:fs';
import path from 'node:path';

/** The command line of a process, or undefined when it is gone or unreadable. */
function commandLineOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined; // gone meanwhile
  }
}

const victims = [];
for (const entry of fs.readdirSync('/proc')) {
  const pid = Number(entry);
  if (!Number.isInteger(pid) || pid === process.pid) continue;
  const commandLine = commandLineOf(pid);
  if (!commandLine) continue;
  const [program = '', script = ''] = commandLine;
  if (path.basename(program) === 'node' && script.endsWith('packages/cli/bin/evpaxos.js')) {
    victims.push(pid);
  }
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

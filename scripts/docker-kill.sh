#!/usr/bin/env bash
# Crashes a node. By default the evpaxos process inside the container gets SIGKILL (no flush, no
# goodbye); Docker sees the container die on its own and its restart policy (unless-stopped)
# starts it again, on the same volume: a crash and recovery.
#   scripts/docker-kill.sh cp3            crash; Docker restarts it within a second or two
#   scripts/docker-kill.sh --stop cp3     `docker kill`: Docker counts that as stopped by hand and
#                                         does NOT restart it; bring it back with `docker start cp3`
set -euo pipefail
source "$(dirname "$0")/docker-lib.sh"
mode=crash
if [ "${1:-}" = "--stop" ]; then mode=stop; shift; fi
[ $# -gt 0 ] || die "usage: $0 [--stop] NODE [NODE…]"
parse_nodes "$@"
for node in "${NODES[@]}"; do
  if [ "$mode" = stop ]; then
    docker kill "$node" >/dev/null
    echo "killed: $node (docker kill, SIGKILL); it stays down until: docker start $node"
  else
    docker exec "$node" node scripts/docker-crash.mjs
    echo "crashed: $node; Docker restarts it (restart: unless-stopped) from its volume — watch: docker ps"
  fi
done

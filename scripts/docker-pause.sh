#!/usr/bin/env bash
# Freezes containers (cgroup freezer): the processes stop with their sockets open, like a long GC
# pause or a hung VM. Peers see silence, not a closed connection.
#   scripts/docker-pause.sh central-a [NODE…]      scripts/docker-resume.sh undoes it
set -euo pipefail
source "$(dirname "$0")/docker-lib.sh"
[ $# -gt 0 ] || die "usage: $0 NODE [NODE…]"
parse_nodes "$@"
require_site
failed=0
for node in "${NODES[@]}"; do
  state=$(state_of "$node")
  if [ "$state" != running ]; then
    echo "$node is not running ($state): not paused" >&2
    failed=1
    continue
  fi
  docker pause "$(container_of "$node")" >/dev/null
  echo "paused: $node (frozen; resume with scripts/docker-resume.sh $node)"
done
exit $failed

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
  # The cgroup v1 freezer gives up when a busy task does not stop in time ("unable to freeze"),
  # leaving the container running: that is transient, so try again a few times before failing.
  paused=0
  for attempt in 1 2 3 4 5; do
    if error=$(docker pause "$(container_of "$node")" 2>&1 >/dev/null) || [ "$(state_of "$node")" = paused ]; then
      paused=1
      break
    fi
    echo "pause of $node failed (attempt $attempt of 5): ${error}" >&2
    sleep 1
  done
  if [ $paused -eq 0 ]; then
    echo "$node could not be paused: the freezer refused it 5 times" >&2
    failed=1
    continue
  fi
  echo "paused: $node (frozen; resume with scripts/docker-resume.sh $node)"
done
exit $failed

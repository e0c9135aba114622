#!/usr/bin/env bash
# Thaws containers frozen by scripts/docker-pause.sh.
#   scripts/docker-resume.sh central-a [NODE…]
set -euo pipefail
source "$(dirname "$0")/docker-lib.sh"
[ $# -gt 0 ] || die "usage: $0 NODE [NODE…]"
parse_nodes "$@"
require_site
failed=0
for node in "${NODES[@]}"; do
  state=$(state_of "$node")
  if [ "$state" != paused ]; then
    echo "$node is not paused ($state): nothing to resume" >&2
    failed=1
    continue
  fi
  docker unpause "$(container_of "$node")" >/dev/null
  echo "resumed: $node"
done
exit $failed

#!/usr/bin/env bash
# Thaws containers frozen by scripts/docker-pause.sh.
#   scripts/docker-resume.sh central-a [NODE…]
set -euo pipefail
source "$(dirname "$0")/docker-lib.sh"
[ $# -gt 0 ] || die "usage: $0 NODE [NODE…]"
parse_nodes "$@"
for node in "${NODES[@]}"; do
  docker unpause "$node" >/dev/null
  echo "resumed: $node"
done

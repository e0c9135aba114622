#!/usr/bin/env bash
# One line per site container, like `evpaxos status`: asked from inside each container (docker
# exec), so a partitioned node still answers for itself.
#   scripts/docker-status.sh
set -uo pipefail
source "$(dirname "$0")/docker-lib.sh"
printf '%-10s %-13s %-10s %-13s %-10s %-13s %-8s %s\n' id role proposer ballot leader promised applied peers
for node in "${SITE_NODES[@]}"; do
  state=$(docker inspect -f '{{.State.Status}}' "$node" 2>/dev/null || echo missing)
  if [ "$state" != running ]; then
    printf '%-10s %s\n' "$node" "$state"
    continue
  fi
  docker exec "$node" node scripts/docker-healthcheck.mjs --print || true
done

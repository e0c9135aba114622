#!/usr/bin/env bash
# One line per site container, like `evpaxos status`: asked from inside each container (docker
# exec), so a partitioned node still answers for itself.
#   scripts/docker-status.sh              the table
#   scripts/docker-status.sh --json cp1   that node's whole GET /status (JSON), asked from inside
set -uo pipefail
source "$(dirname "$0")/docker-lib.sh"
if [ "${1:-}" = "--json" ]; then
  [ $# -eq 2 ] || die "usage: $0 [--json NODE]"
  parse_nodes "$2"
  require_site
  state=$(state_of "$2")
  [ "$state" = running ] || { echo "$2 is not running ($state)" >&2; exit 1; }
  exec docker exec "$(container_of "$2")" node scripts/docker-healthcheck.mjs --json
fi
[ $# -eq 0 ] || die "usage: $0 [--json NODE]"
require_site
printf '%-10s %-13s %-10s %-13s %-10s %-13s %-8s %s\n' id role proposer ballot leader promised applied peers
for node in "${SITE_NODES[@]}"; do
  state=$(state_of "$node")
  if [ "$state" != running ]; then
    printf '%-10s %s\n' "$node" "$state"
    continue
  fi
  docker exec "$(container_of "$node")" node scripts/docker-healthcheck.mjs --print || true
done

#!/usr/bin/env bash
# Cuts containers off the site network: each listed node loses every link (to every other node
# and to the host's published port) — a real network partition, not an application rule.
#   scripts/docker-partition.sh central-a cp1 cp2      (commas work too: central-a,cp1,cp2)
# The rest of the site keeps its links: with 3 of 5 charge points and central-b on that side, it
# keeps a quorum. scripts/docker-heal.sh reconnects everyone.
set -euo pipefail
source "$(dirname "$0")/docker-lib.sh"
[ $# -gt 0 ] || die "usage: $0 NODE [NODE…]   e.g. $0 central-a cp1 cp2"
parse_nodes "$@"
require_site
network=$(site_network)
for node in "${NODES[@]}"; do
  id=$(container_of "$node")
  [ -n "$id" ] || { echo "$node has no container in site \"$PROJECT\": not partitioned" >&2; continue; }
  if ! docker inspect -f '{{range $net, $_ := .NetworkSettings.Networks}}{{$net}} {{end}}' "$id" | grep -qw -- "$network"; then
    echo "partitioned: $node was already off $network"
    continue
  fi
  docker network disconnect "$network" "$id"
  echo "partitioned: $node disconnected from $network (it can reach nobody, nobody can reach it)"
done

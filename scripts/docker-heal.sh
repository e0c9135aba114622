#!/usr/bin/env bash
# Reconnects containers to the site network (all site containers by default, or the listed ones),
# each under its service name as DNS alias, so its peers find it again by hostname.
#   scripts/docker-heal.sh [NODE…]
set -euo pipefail
source "$(dirname "$0")/docker-lib.sh"
if [ $# -gt 0 ]; then parse_nodes "$@"; else NODES=("${SITE_NODES[@]}" ev-emulator); fi
require_site
network=$(site_network)
for node in "${NODES[@]}"; do
  id=$(container_of "$node")
  [ -n "$id" ] || continue
  if docker inspect -f '{{range $net, $_ := .NetworkSettings.Networks}}{{$net}} {{end}}' "$id" | grep -qw -- "$network"; then
    [ $# -gt 0 ] && echo "healed: $node was already on $network"
    continue
  fi
  docker network connect --alias "$node" "$network" "$id"
  echo "healed: $node reconnected to $network"
done
echo "heal done"

#!/usr/bin/env bash
# Reconnects containers to the site network (all site containers by default, or the listed ones).
# A container keeps its name as its DNS alias, so its peers find it again by hostname.
#   scripts/docker-heal.sh [NODE…]
set -euo pipefail
source "$(dirname "$0")/docker-lib.sh"
if [ $# -gt 0 ]; then parse_nodes "$@"; else NODES=("${SITE_NODES[@]}" ev-emulator); fi
for node in "${NODES[@]}"; do
  if ! docker inspect "$node" >/dev/null 2>&1; then continue; fi
  attached=$(docker inspect -f '{{range $net, $_ := .NetworkSettings.Networks}}{{$net}} {{end}}' "$node")
  case " $attached " in
    *" $NETWORK "*) [ $# -gt 0 ] && echo "healed: $node was already on $NETWORK" ;;
    *)
      docker network connect --alias "$node" "$NETWORK" "$node"
      echo "healed: $node reconnected to $NETWORK"
      ;;
  esac
done
echo "heal done"

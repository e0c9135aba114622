#!/usr/bin/env bash
# Submits a command to the site from a central's container, following a 421 to the leader.
#   scripts/docker-submit.sh '{"type":"Noop"}'                    via central-a, else central-b
#   scripts/docker-submit.sh --via central-b '{"type":"Noop"}'    only through central-b's side
#   scripts/docker-submit.sh --via central-a --timeout-ms 3000 '{"type":"Noop","probe":1}'
set -euo pipefail
source "$(dirname "$0")/docker-lib.sh"
via=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --via) via="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
[ ${#args[@]} -gt 0 ] || die "usage: $0 [--via central-a|central-b] [--timeout-ms N] '<json>'"
if [ -n "$via" ]; then
  exec docker exec "$via" node scripts/docker-submit.mjs "${args[@]}" --no-follow
fi
for central in central-a central-b; do
  if [ "$(docker inspect -f '{{.State.Running}}' "$central" 2>/dev/null)" = true ]; then
    if docker exec "$central" node scripts/docker-submit.mjs "${args[@]}"; then exit 0; fi
  fi
done
exit 1

#!/usr/bin/env bash
# Submits a command to the site from a central's container, following a 421 to the leader.
#   scripts/docker-submit.sh '{"type":"Noop"}'                    via central-a, else central-b
#   scripts/docker-submit.sh --via central-b '{"type":"Noop"}'    only through central-b's side
#   scripts/docker-submit.sh --via central-a --timeout-ms 3000 '{"type":"Noop"}'
# Prints the answer ({slot, ballot, result}); exit 0 decided, 1 not decided, 2 bad input/no site.
set -euo pipefail
source "$(dirname "$0")/docker-lib.sh"
via=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --via)
      [ $# -ge 2 ] || die "--via needs a central (central-a or central-b)."
      via="$2"
      shift 2
      ;;
    *) args+=("$1"); shift ;;
  esac
done
[ ${#args[@]} -gt 0 ] || die "usage: $0 [--via central-a|central-b] [--timeout-ms N] '<json>'"
if [ -n "$via" ]; then
  case " ${SITE_CENTRALS[*]} " in
    *" $via "*) ;;
    *) die "--via names a central (one of: ${SITE_CENTRALS[*]}), not \"$via\"." ;;
  esac
fi
require_site
if [ -n "$via" ]; then
  state=$(state_of "$via")
  [ "$state" = running ] || { echo "$via is not running ($state): nothing submitted" >&2; exit 1; }
  exec docker exec "$(container_of "$via")" node scripts/docker-submit.mjs "${args[@]}" --no-follow
fi
for central in "${SITE_CENTRALS[@]}"; do
  if [ "$(state_of "$central")" = running ]; then
    rc=0
    docker exec "$(container_of "$central")" node scripts/docker-submit.mjs "${args[@]}" || rc=$?
    # 0 decided; 2 the payload or options are bad (the other central would say the same).
    if [ $rc -eq 0 ] || [ $rc -eq 2 ]; then exit $rc; fi
  fi
done
exit 1

#!/usr/bin/env bash
# Crashes a node. By default the evpaxos process inside the container gets SIGKILL (no flush, no
# goodbye); Docker sees the container die on its own and its restart policy (unless-stopped)
# starts it again, on the same volume: a crash and recovery. The script waits until Docker has
# restarted it (at most RESTART_WAIT_S, 60 s: a starved host restarts slowly) and says so.
#   scripts/docker-kill.sh cp3            crash; Docker restarts it within a second or two
#   scripts/docker-kill.sh --stop cp3     `docker kill`: Docker counts that as stopped by hand and
#                                         does NOT restart it; bring it back with
#                                         `docker compose start cp3`
# Exit 0 done, 1 a node was not running or did not come back, 2 bad input or no site.
set -euo pipefail
source "$(dirname "$0")/docker-lib.sh"
mode=crash
if [ "${1:-}" = "--stop" ]; then mode=stop; shift; fi
[ $# -gt 0 ] || die "usage: $0 [--stop] NODE [NODE…]"
parse_nodes "$@"
require_site
RESTART_WAIT_S=${RESTART_WAIT_S:-60}
failed=0
for node in "${NODES[@]}"; do
  id=$(container_of "$node")
  state=$(state_of "$node")
  if [ "$state" != running ]; then
    case "$state" in
      paused) echo "$node is paused: nothing killed (resume it first: scripts/docker-resume.sh $node)" >&2 ;;
      missing) echo "$node has no container in site \"$PROJECT\": nothing killed" >&2 ;;
      *) echo "$node is not running ($state): nothing killed (start it: $(compose_command) start $node)" >&2 ;;
    esac
    failed=1
    continue
  fi
  if [ "$mode" = stop ]; then
    docker kill "$id" >/dev/null
    echo "killed: $node (docker kill, SIGKILL); it stays down until: $(compose_command) start $node"
    continue
  fi
  restarts=$(docker inspect -f '{{.RestartCount}}' "$id")
  # The exec'd crash script dies with the container when its SIGKILL lands first (exit 137):
  # expected. Any other failure (no evpaxos process, PID 1 without init) is the script's own.
  rc=0
  docker exec "$id" node scripts/docker-crash.mjs || rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 137 ]; then
    echo "$node: the crash did not happen (docker exec exit $rc)" >&2
    failed=1
    continue
  fi
  # Docker's restart policy, not this script, brings it back: wait to see it do so.
  deadline=$((SECONDS + RESTART_WAIT_S))
  while :; do
    now=$(docker inspect -f '{{.RestartCount}} {{.State.Status}}' "$id")
    if [ "${now% *}" -gt "$restarts" ] && [ "${now#* }" = running ]; then
      echo "crashed: $node; Docker restarted it (restart: unless-stopped; restart count ${now% *})"
      break
    fi
    if [ $SECONDS -ge $deadline ]; then
      echo "crashed: $node; Docker has not restarted it within ${RESTART_WAIT_S} s (now: ${now#* }): see docker inspect $id" >&2
      failed=1
      break
    fi
    sleep 0.2
  done
done
exit $failed

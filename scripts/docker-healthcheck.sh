#!/usr/bin/env bash
# The image's HEALTHCHECK, in bash alone: healthy when this container's own evpaxos process
# answers GET /status with 200 for its own id, on its httpPort found from EVPAXOS_ID and
# EVPAXOS_NODES (the variables the process itself starts from, so the check cannot ask the wrong
# port). Docker runs it every few seconds in every container: a bash process costs about a
# millisecond of CPU where starting node for it (scripts/docker-healthcheck.mjs, which
# scripts/docker-status.sh still uses to print a node's status) cost some 50 ms, and on a shared,
# loaded host those node starts piled up past the check's timeout (docs/DOCKER.md).
#
#   bash scripts/docker-healthcheck.sh     exit 0 when healthy; else one line saying why, exit 1
#
# A container without EVPAXOS_ID (ev-emulator, sim, verify) has no admin API: healthy while it runs.
set -u
STATUS_TIMEOUT_S=2

id=${EVPAXOS_ID:-}
[ -n "$id" ] || exit 0

# The node spec: id=role@host:clusterPort:httpPort[:servicePort],… (docs/CLUSTER.md).
port=''
IFS=',' read -ra specs <<<"${EVPAXOS_NODES:-}"
for spec in "${specs[@]}"; do
  spec=${spec//[[:space:]]/}
  if [ "${spec%%=*}" = "$id" ]; then
    IFS=':' read -r _host _cluster_port port _service_port <<<"${spec#*@}"
  fi
done
if ! [[ "$port" =~ ^[0-9]+$ ]]; then
  echo "$id: not in EVPAXOS_NODES, cannot find its httpPort"
  exit 1
fi

if ! { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
  echo "$id: /status on port $port: no connection"
  exit 1
fi
printf 'GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
if ! read -r -t "$STATUS_TIMEOUT_S" -u 3 _protocol code _reason; then
  echo "$id: /status on port $port: no answer in $STATUS_TIMEOUT_S s"
  exit 1
fi
if [ "$code" != 200 ]; then
  echo "$id: /status answered $code"
  exit 1
fi
# The rest of the answer (headers and the JSON body), until the server closes; read stops there
# with a non-zero status, which is expected.
IFS= read -r -d '' -t "$STATUS_TIMEOUT_S" -u 3 answer || true
case "$answer" in
  *"\"id\":\"$id\""*) exit 0 ;;
  *)
    echo "$id: port $port answers, but not as $id"
    exit 1
    ;;
esac

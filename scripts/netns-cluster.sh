#!/usr/bin/env bash
# An evpaxos cluster on Linux without Docker, where every node has a network of its own: one
# network namespace per node with its own IP, all plugged by veth pairs into a bridge that lives
# in a namespace of its own too. Nothing is added to the host's network: the 10.77.0.0/24
# addresses exist only inside these namespaces. Partitions are real (routes and links, not
# application rules), and so are loss and delay (tc netem).
#
#   sudo scripts/netns-cluster.sh up [--centrals 1] [--charge-points 3] [--unsafe-no-fsync]
#   sudo scripts/netns-cluster.sh status
#   sudo scripts/netns-cluster.sh submit '{"type":"Noop"}' [--via central-a] [--timeout-ms 3000]
#   sudo scripts/netns-cluster.sh cut A B        drop every packet between A and B (blackhole routes)
#   sudo scripts/netns-cluster.sh restore A B
#   sudo scripts/netns-cluster.sh isolate NODE   its link to the bridge goes down (ip link)
#   sudo scripts/netns-cluster.sh rejoin NODE
#   sudo scripts/netns-cluster.sh loss NODE PCT  tc netem on the node's interface (outgoing)
#   sudo scripts/netns-cluster.sh delay NODE MS
#   sudo scripts/netns-cluster.sh clear NODE     removes loss and delay
#   sudo scripts/netns-cluster.sh kill NODE      SIGKILL;   start NODE   starts it again (same data)
#   sudo scripts/netns-cluster.sh exec NODE CMD… runs CMD inside the node's namespace
#   sudo scripts/netns-cluster.sh down           stops every node and deletes the namespaces
#
# Options (before or after the subcommand): --dir D (default .evpaxos-netns: logs, data, state),
# --prefix P (namespace and interface prefix, default evp; at most 5 characters),
# --subnet 10.77.0 (the first three octets). Needs root, iproute2, and node on the PATH.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="$repo/packages/cli/bin/evpaxos.js"
dir=".evpaxos-netns"
prefix="${EVPAXOS_NETNS_PREFIX:-evp}"
subnet="10.77.0"
centrals=1
charge_points=3
unsafe_no_fsync=false
ready_timeout_s=20
CLUSTER_PORT=7000
HTTP_PORT=7100
SERVICE_PORT=7200

die() {
  echo "netns-cluster: $*" >&2
  exit 2
}

positional=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --prefix) prefix="$2"; shift 2 ;;
    --subnet) subnet="$2"; shift 2 ;;
    --centrals) centrals="$2"; shift 2 ;;
    --charge-points) charge_points="$2"; shift 2 ;;
    --unsafe-no-fsync) unsafe_no_fsync=true; shift ;;
    *) positional+=("$1"); shift ;;
  esac
done
set -- "${positional[@]+"${positional[@]}"}"
[ $# -gt 0 ] || die "name a subcommand: up, down, status, submit, cut, restore, isolate, rejoin, loss, delay, clear, kill, start, exec"
subcommand="$1"
shift
[ ${#prefix} -le 5 ] || die "--prefix must have at most 5 characters (interface names are limited to 15)"
dir="$(mkdir -p "$dir" && cd "$dir" && pwd)"
state="$dir/nodes.tsv" # one line per node: index id role ip

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces): run it with sudo"
command -v ip >/dev/null || die "needs iproute2 (ip)"

switch_ns="$prefix-switch"
ns_of() { echo "$prefix-$1"; }

# Reads the node table written by `up`.
node_field() { # id column
  awk -v id="$1" -v column="$2" '$2 == id { print $column }' "$state"
}
require_node() {
  [ -f "$state" ] || die "no cluster in $dir: run up first"
  [ -n "$(node_field "$1" 2)" ] || die "unknown node \"$1\" (nodes: $(awk '{ printf "%s ", $2 }' "$state"))"
}
node_spec() {
  awk -v c="$CLUSTER_PORT" -v h="$HTTP_PORT" -v s="$SERVICE_PORT" \
    '{ printf "%s%s=%s@%s:%s:%s:%s", (NR > 1 ? "," : ""), $2, $3, $4, c, h, s }' "$state"
}

# The node's own /status and submit helpers (also the Docker image's), run inside its namespace.
node_env() { # id
  # The cluster id and the secret's file give the helpers the API token (docs/CLUSTER.md,
  # "Authentication"); the file, not the secret, so no command line shows it.
  echo "EVPAXOS_ID=$1" "EVPAXOS_NODES=$(node_spec)" "EVPAXOS_CLUSTER_ID=evpaxos-netns" "EVPAXOS_SECRET_FILE=$dir/secret"
}
node_status_line() { # id
  # shellcheck disable=SC2046
  ip netns exec "$(ns_of "$1")" env $(node_env "$1") node "$repo/scripts/docker-healthcheck.mjs" --print
}

start_node() { # id
  local id="$1" role ip ns
  role="$(node_field "$id" 3)"
  ip="$(node_field "$id" 4)"
  ns="$(ns_of "$id")"
  mkdir -p "$dir/logs" "$dir/data/$id"
  (
    export EVPAXOS_ID="$id" EVPAXOS_CLUSTER_ID="evpaxos-netns" EVPAXOS_SECRET="$(cat "$dir/secret")"
    export EVPAXOS_NODES="$(node_spec)" EVPAXOS_LISTEN_HOST="0.0.0.0"
    if [ "$role" = charge-point ]; then
      export EVPAXOS_DATA_DIR="$dir/data/$id" EVPAXOS_UNSAFE_NO_FSYNC="$unsafe_no_fsync"
    fi
    # setsid: its own session, so a Ctrl-C in this terminal does not reach it.
    ip netns exec "$ns" setsid node "$bin" "$role" >>"$dir/logs/$id.log" 2>&1 </dev/null &
    echo $! >"$dir/$id.pid"
  )
  echo "started: $id ($role) at $ip in namespace $ns, log $dir/logs/$id.log"
}

wait_ready() { # timeout_s
  local deadline=$((SECONDS + $1)) id line leader
  while :; do
    leader=""
    local all=true
    while read -r _ id _ _; do
      if line="$(node_status_line "$id" 2>/dev/null)"; then
        # Keep the real pid (the node reports it) for kill/down.
        [ -n "$line" ] || all=false
      else
        all=false
      fi
      case "$line" in *" leader "*) leader="$id" ;; esac
    done <"$state"
    if $all && [ -n "$leader" ]; then return 0; fi
    if [ $SECONDS -ge "$deadline" ]; then return 1; fi
    sleep 0.2
  done
}

stop_all() {
  local pidfile pid deadline
  for pidfile in "$dir"/*.pid; do
    [ -e "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    kill -TERM "$pid" 2>/dev/null && echo "stopping: $(basename "$pidfile" .pid) (pid $pid)" || true
  done
  deadline=$((SECONDS + 3))
  for pidfile in "$dir"/*.pid; do
    [ -e "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt "$deadline" ]; do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      echo "killed: $(basename "$pidfile" .pid) (pid $pid, did not stop in 3 s)"
    fi
    rm -f "$pidfile"
  done
}

delete_namespaces() {
  local ns
  # Every namespace with our prefix: also those of a half-finished `up`.
  for ns in $(ip netns list | awk '{ print $1 }' | grep -E "^$prefix-" || true); do
    ip netns del "$ns" && echo "deleted namespace: $ns"
  done
}

cmd_up() {
  if [ -f "$state" ] && ls "$dir"/*.pid >/dev/null 2>&1; then
    die "a cluster is already up in $dir: run down first"
  fi
  [ "$centrals" -ge 1 ] && [ "$charge_points" -ge 1 ] && [ $((centrals + charge_points)) -le 200 ] ||
    die "--centrals and --charge-points must be at least 1 (200 nodes at most)"
  if ip netns list | grep -qE "^$prefix-"; then
    die "namespaces named $prefix-* exist already: run down (or use another --prefix)"
  fi
  [ -f "$dir/secret" ] || (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/secret")
  : >"$state"
  local index=0 letter id
  for ((i = 0; i < centrals; i++)); do
    letter=$(printf "\\$(printf '%03o' $((97 + i)))")
    echo "$index central-$letter central $subnet.$((10 + index))" >>"$state"
    index=$((index + 1))
  done
  for ((i = 1; i <= charge_points; i++)); do
    echo "$index cp$i charge-point $subnet.$((10 + index))" >>"$state"
    index=$((index + 1))
  done
  # Whatever fails from here on, leave no namespace and no process behind.
  trap 'echo "netns-cluster: up failed; cleaning up" >&2; stop_all; delete_namespaces' ERR

  ip netns add "$switch_ns"
  ip -n "$switch_ns" link add br0 type bridge
  ip -n "$switch_ns" link set br0 up
  while read -r index id _ ip; do
    local ns
    ns="$(ns_of "$id")"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # The pair is created in the switch namespace; one end moves into the node's namespace.
    ip -n "$switch_ns" link add "$prefix-v$index" type veth peer name "$prefix-p$index"
    ip -n "$switch_ns" link set "$prefix-p$index" netns "$ns"
    ip -n "$ns" link set "$prefix-p$index" name eth0
    ip -n "$ns" addr add "$ip/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$switch_ns" link set "$prefix-v$index" master br0
    ip -n "$switch_ns" link set "$prefix-v$index" up
    echo "namespace: $ns, eth0 $ip/24, bridge port $prefix-v$index"
  done <"$state"
  while read -r _ id _ _; do start_node "$id"; done <"$state"
  if ! wait_ready "$ready_timeout_s"; then
    echo "netns-cluster: no leader within ${ready_timeout_s} s; the logs end with:" >&2
    tail -n 5 "$dir"/logs/*.log >&2 || true
    false
  fi
  trap - ERR
  cmd_status
  echo "cluster up: node spec $(node_spec)"
}

cmd_down() {
  stop_all
  delete_namespaces
  echo "down: no namespace $prefix-* and no node left"
}

cmd_status() {
  require_node "$(awk 'NR == 1 { print $2 }' "$state")"
  printf '%-10s %-13s %-10s %-13s %-10s %-13s %-8s %s\n' id role proposer ballot leader promised applied peers
  while read -r _ id _ _; do
    node_status_line "$id" 2>/dev/null || printf '%-10s %s\n' "$id" "down (no answer)"
  done <"$state"
}

cmd_submit() {
  local via="" args=() id
  while [ $# -gt 0 ]; do
    case "$1" in
      --via) via="$2"; shift 2 ;;
      *) args+=("$1"); shift ;;
    esac
  done
  [ ${#args[@]} -gt 0 ] || die "usage: submit '<json>' [--via CENTRAL] [--timeout-ms N]"
  if [ -n "$via" ]; then
    require_node "$via"
    # shellcheck disable=SC2046
    exec ip netns exec "$(ns_of "$via")" env $(node_env "$via") \
      node "$repo/scripts/docker-submit.mjs" "${args[@]}" --no-follow
  fi
  for id in $(awk '$3 == "central" { print $2 }' "$state"); do
    # shellcheck disable=SC2046
    if ip netns exec "$(ns_of "$id")" env $(node_env "$id") \
      node "$repo/scripts/docker-submit.mjs" "${args[@]}"; then return 0; fi
  done
  return 1
}

netem_available() {
  ip -n "$1" link add evp-probe type dummy 2>/dev/null || return 1
  local ok=0
  ip netns exec "$1" tc qdisc add dev evp-probe root netem delay 1ms 2>/dev/null || ok=1
  ip -n "$1" link del evp-probe 2>/dev/null || true
  return $ok
}
cmd_netem() { # node netem-args…
  local id="$1" ns
  shift
  require_node "$id"
  ns="$(ns_of "$id")"
  command -v tc >/dev/null || die "needs tc (iproute2)"
  netem_available "$ns" || die "tc netem is not available in this kernel (module sch_netem; try: modprobe sch_netem)"
  ip netns exec "$ns" tc qdisc replace dev eth0 root netem "$@"
  echo "$id: every packet it sends: netem $*"
}

case "$subcommand" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  submit) cmd_submit "$@" ;;
  cut | restore)
    [ $# -eq 2 ] || die "usage: $subcommand A B"
    require_node "$1"
    require_node "$2"
    [ "$1" != "$2" ] || die "$subcommand needs two different nodes"
    verb=add
    [ "$subcommand" = restore ] && verb=del
    # A blackhole route on each side: packets between the two vanish silently, both ways, while
    # both still reach everyone else (a partial, non-transitive partition if you cut only some).
    ip -n "$(ns_of "$1")" route "$verb" blackhole "$(node_field "$2" 4)/32"
    ip -n "$(ns_of "$2")" route "$verb" blackhole "$(node_field "$1" 4)/32"
    if [ "$subcommand" = cut ]; then echo "cut: $1 <-/-> $2"; else echo "restored: $1 <---> $2"; fi
    ;;
  isolate | rejoin)
    [ $# -eq 1 ] || die "usage: $subcommand NODE"
    require_node "$1"
    state_word=down
    [ "$subcommand" = rejoin ] && state_word=up
    ip -n "$switch_ns" link set "$prefix-v$(node_field "$1" 1)" "$state_word"
    if [ "$subcommand" = isolate ]; then echo "isolated: $1 (its bridge port is down)"; else echo "rejoined: $1"; fi
    ;;
  loss)
    [ $# -eq 2 ] || die "usage: loss NODE PERCENT"
    cmd_netem "$1" loss "$2%"
    ;;
  delay)
    [ $# -eq 2 ] || die "usage: delay NODE MS"
    cmd_netem "$1" delay "$2ms"
    ;;
  clear)
    [ $# -eq 1 ] || die "usage: clear NODE"
    require_node "$1"
    ip netns exec "$(ns_of "$1")" tc qdisc del dev eth0 root 2>/dev/null || true
    echo "$1: no loss, no delay"
    ;;
  kill)
    [ $# -eq 1 ] || die "usage: kill NODE"
    require_node "$1"
    kill -KILL "$(cat "$dir/$1.pid")" && echo "killed: $1 (SIGKILL)"
    rm -f "$dir/$1.pid"
    ;;
  start)
    [ $# -eq 1 ] || die "usage: start NODE"
    require_node "$1"
    start_node "$1"
    ;;
  exec)
    [ $# -ge 2 ] || die "usage: exec NODE COMMAND…"
    require_node "$1"
    ns="$(ns_of "$1")"
    shift
    exec ip netns exec "$ns" "$@"
    ;;
  *) die "unknown subcommand \"$subcommand\"" ;;
esac

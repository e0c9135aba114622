# Shared by the docker-*.sh helpers (sourced, not run). The names come from docker-compose.yml:
# every container is named after its service, and the one network is evpaxos-sitenet.
NETWORK="${EVPAXOS_DOCKER_NETWORK:-evpaxos-sitenet}"
SITE_NODES=(central-a central-b cp1 cp2 cp3 cp4 cp5)

die() {
  echo "$(basename "$0"): $*" >&2
  exit 2
}

# Splits "central-a,cp1 cp2" into NODES (one name each) and checks each is a site node; runs in
# the calling shell so a bad name stops the script before it touches anything.
parse_nodes() {
  local name
  NODES=()
  for name in $(echo "$*" | tr ',|' '  '); do
    case " ${SITE_NODES[*]} ev-emulator " in
      *" $name "*) NODES+=("$name") ;;
      *) die "unknown node \"$name\" (one of: ${SITE_NODES[*]} ev-emulator)" ;;
    esac
  done
}

command -v docker >/dev/null 2>&1 || die "docker is not installed"

# Shared by the docker-*.sh helpers (sourced, not run). A site is one Compose project: the helpers
# find its containers and its network by the labels Compose puts on them
# (com.docker.compose.project / .service / .network), never by a fixed name, so two sites on one
# host (`docker compose -p site2 up`) are told apart by the project name (docs/DOCKER.md).
#
#   COMPOSE_PROJECT_NAME   the site to act on (default: Compose's own default, the name of the
#                          directory that holds docker-compose.yml)

SITE_NODES=(central-a central-b cp1 cp2 cp3 cp4 cp5)
SITE_CENTRALS=(central-a central-b)
COMPOSE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() {
  echo "$(basename "$0"): $*" >&2
  exit 2
}

command -v docker >/dev/null 2>&1 || die "docker is not installed."

# Compose's default project name: the directory's name, lower-cased, keeping [a-z0-9_-] (both
# Compose 1.29 and v2 normalise it this way).
default_project() {
  basename "$COMPOSE_DIR" | tr '[:upper:]' '[:lower:]' | tr -cd 'a-z0-9_-'
}
PROJECT="${COMPOSE_PROJECT_NAME:-$(default_project)}"

# The Compose command that works here, for the hints the helpers print: `docker compose` (v2, the
# CLI plugin) where it answers, else Debian's `docker-compose` (1.29). Same subcommands either way.
compose_command() {
  if docker compose version >/dev/null 2>&1; then
    echo "docker compose"
  elif command -v docker-compose >/dev/null 2>&1; then
    echo "docker-compose"
  else
    echo "docker compose"
  fi
}

# The container of a service in this project (any state), or nothing. One-off `run` containers
# are not the site's.
container_of() {
  docker ps -a -q --no-trunc \
    --filter "label=com.docker.compose.project=$PROJECT" \
    --filter "label=com.docker.compose.service=$1" \
    --filter "label=com.docker.compose.oneoff=False" | head -n 1
}

# created | running | paused | restarting | exited | dead, or "missing" when there is no container.
state_of() {
  local id
  id=$(container_of "$1")
  if [ -z "$id" ]; then echo missing; else docker inspect -f '{{.State.Status}}' "$id" 2>/dev/null || echo missing; fi
}

# Refuses to act on a site that is not up: at least one of its nodes must be running (or paused:
# frozen by scripts/docker-pause.sh, still up).
require_site() {
  local node
  for node in "${SITE_NODES[@]}"; do
    case "$(state_of "$node")" in running | paused) return 0 ;; esac
  done
  die "no evpaxos site \"$PROJECT\" is running here (start it: $(compose_command) up -d; another site: set COMPOSE_PROJECT_NAME)."
}

# The site's network (Compose names it <project>_sitenet; found by its labels).
site_network() {
  local name
  name=$(docker network ls \
    --filter "label=com.docker.compose.project=$PROJECT" \
    --filter "label=com.docker.compose.network=sitenet" --format '{{.Name}}' | head -n 1)
  [ -n "$name" ] || die "site \"$PROJECT\" has no sitenet network (is it up? $(compose_command) up -d)."
  echo "$name"
}

# Splits "central-a,cp1 cp2" into NODES (one name each) and checks each is a site node; runs in
# the calling shell so a bad name stops the script before it touches anything.
parse_nodes() {
  local name
  NODES=()
  for name in $(echo "$*" | tr ',|' '  '); do
    case " ${SITE_NODES[*]} ev-emulator " in
      *" $name "*) NODES+=("$name") ;;
      *) die "unknown node \"$name\" (one of: ${SITE_NODES[*]} ev-emulator)." ;;
    esac
  done
  [ ${#NODES[@]} -gt 0 ] || die "no node named."
}

#!/usr/bin/env bash
# docker-compose.yml on this kind of machine (an engine with no bridge network and no registry):
# builds the local images it needs, then runs the base file with deploy/compose.loopback.yml.
#   bash tools/containers/compose-stack.sh up      # build, start, wait until every service is healthy
#   bash tools/containers/compose-stack.sh down    # stop and remove everything, volumes included
# Ports: MYSQL_HOST_PORT, KAFKA_HOST_PORT, KAFKA_CONTROLLER_PORT, IMS_PORT, INGESTION_PORT,
# IDENTITY_PORT, PUBLICATION_PORT (defaults 3306, 9092, 9093, 4100..4400); COMPOSE_PROJECT_NAME.
set -euo pipefail
cd "$(dirname "$0")/../.."
export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-audience-exchange}" DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
resolved=".var/compose/${COMPOSE_PROJECT_NAME}.yml"
# The two files merged, less the published ports: the engine refuses port bindings under host
# networking, and an override file cannot remove them (Debian's docker-compose is v1).
resolve() {
  mkdir -p "$(dirname "$resolved")"
  docker-compose -f docker-compose.yml -f deploy/compose.loopback.yml config >"$resolved.merged"
  /usr/bin/python3 - "$resolved.merged" "$resolved" <<'PY'
import sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
for service in config.get('services', {}).values():
    if service.get('network_mode') == 'host':
        service.pop('ports', None)
yaml.safe_dump(config, open(sys.argv[2], 'w'), sort_keys=False)
PY
}
compose() { docker-compose --project-directory . -f "$resolved" "$@"; }
command -v docker-compose >/dev/null || { echo "[compose] docker-compose is not installed (Debian: docker-compose)"; exit 1; }
export AUDX_DEPS_IMAGE AUDX_NODE_IMAGE AUDX_KAFKA_LIBS
AUDX_DEPS_IMAGE="$(node tools/containers/image-name.mjs)"
AUDX_KAFKA_LIBS="${AUDX_CACHE_DIR:-$HOME/.cache/audx}/kafka-$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' tools/kafka/pom.xml)/libs"
case "${1:-}" in
  up)
    started=$(date +%s)
    bash tools/containers/images.sh
    AUDX_NODE_IMAGE="$(bash tools/containers/node-image.sh)"
    node tools/stack/kafka.mjs fetch
    resolve
    compose build
    built=$(date +%s)
    compose up -d
    services="mysql kafka ims segment-ingestion identity-reconciliation audience-publication"
    for _ in $(seq 1 180); do
      unhealthy=""
      for s in $services; do
        id="$(compose ps -q "$s")"
        state="$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" 2>/dev/null || echo missing)"
        [ "$state" = healthy ] || unhealthy="$unhealthy $s:$state"
      done
      if [ -z "$unhealthy" ]; then echo "[compose] every service healthy: images built in $((built - started)) s, started in $(( $(date +%s) - built )) s"; exit 0; fi
      sleep 1
    done
    echo "[compose] not healthy after 180 s:$unhealthy"
    compose logs --tail=40
    exit 1
    ;;
  down)
    AUDX_NODE_IMAGE="unused" resolve
    compose down -v --remove-orphans
    rm -f "$resolved" "$resolved.merged"
    # the layers a rebuild left untagged (the services' images are rebuilt on every change)
    docker image prune -f --filter 'label=org.opencontainers.image.licenses=Apache-2.0' >/dev/null
    ;;
  *) echo "usage: compose-stack.sh up|down"; exit 2 ;;
esac

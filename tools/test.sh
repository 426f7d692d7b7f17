#!/usr/bin/env bash
# The one test command (npm test): from a fresh clone it installs, brings up MySQL and the local
# Kafka broker (and, where a Docker engine can run, builds the image the integration tests' containers
# use), then runs lint, typecheck, unit, integration and end-to-end suites.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-true}" NX_DAEMON=false NX_NO_CLOUD=true KAFKAJS_NO_PARTITIONER_WARNING=1
started=$(date +%s)
step() { echo; echo "=== $1 ($(( $(date +%s) - started ))s)"; }

step "dependencies"; bash tools/ensure-deps.sh; bash tools/ensure-debian.sh
step "containers (a Docker engine on loopback, the local image)"
if bash tools/containers/engine.sh; then bash tools/containers/images.sh || echo "[images] not built: the integration tests use the machine's services"; fi
step "local stack"; node tools/stack/mysql.mjs; node tools/stack/kafka.mjs start
step "lint (module boundaries)"; npx nx show projects >/dev/null; npx eslint .
step "typecheck"; npx tsc -p tsconfig.json
step "unit"; npx jest --selectProjects unit --ci
step "integration (real Kafka + MySQL)"; npx jest --selectProjects integration --ci --runInBand --forceExit
step "build (the services compiled, as npm start runs them)"; npx nx run-many -t build --output-style=static
step "end-to-end (the four services as a client sees them, compiled)"; AUDX_RUN_COMPILED=1 npx jest --selectProjects e2e --ci --runInBand --forceExit
step "fault tests (SIGKILL, broker and MySQL restarts, poison messages)"; npx jest --selectProjects faults --ci --runInBand --forceExit
step "done in $(( $(date +%s) - started ))s"

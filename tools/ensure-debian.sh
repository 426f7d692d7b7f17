#!/usr/bin/env bash
# Debian packages the tests use: kcat (a Kafka client that is not kafkajs, for outside producers);
# docker.io, debootstrap and docker-compose (the tests' containers and compose stack, built locally
# with no registry).
set -euo pipefail
missing=()
command -v kcat >/dev/null || missing+=(kcat)
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v docker-compose >/dev/null || missing+=(docker-compose)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "[debian] installing ${missing[*]}"
run() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
export DEBIAN_FRONTEND=noninteractive
run apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null || { run apt-get update >/dev/null && run apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }

#!/usr/bin/env bash
# Makes sure a Docker engine answers, starting Debian's dockerd when none does. The engine keeps
# every byte on loopback: no bridge, no iptables rules; containers run with host networking.
# Exits 0 when an engine answers, 1 when none can be had (the tests then use the machine's services).
set -uo pipefail
cd "$(dirname "$0")/../.."
docker info >/dev/null 2>&1 && { echo "[docker] engine answering"; exit 0; }
command -v dockerd >/dev/null || { echo "[docker] no dockerd installed"; exit 1; }
run() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
mkdir -p .var
echo "[docker] starting dockerd (--bridge=none --iptables=false)"
run nohup dockerd --bridge=none --iptables=false --ip6tables=false >.var/dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && { echo "[docker] engine answering"; exit 0; }
  sleep 0.5
done
echo "[docker] dockerd did not answer within 30 s; see .var/dockerd.log"
tail -5 .var/dockerd.log
exit 1

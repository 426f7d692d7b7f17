#!/usr/bin/env bash
# Builds, with no image registry, the one image the test containers run: a minimal Debian root
# (debootstrap, from Debian's packages) holding MariaDB and a Java runtime, turned into an image
# by `docker import`. Kafka's jars are not in it: the container mounts the Maven-fetched ones.
# The engine keeps the image, so later runs reuse it (the tag changes when its contents do).
set -euo pipefail
cd "$(dirname "$0")/../.."
image="$(node tools/containers/image-name.mjs)"
if docker image inspect "$image" >/dev/null 2>&1; then echo "[images] $image present"; exit 0; fi
command -v debootstrap >/dev/null || { echo "[images] debootstrap is not installed"; exit 1; }
mirror="${AUDX_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
work="$(mktemp -d /var/tmp/audx-rootfs.XXXXXX)"
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
echo "[images] building $image: debootstrap bookworm (mariadb-server, openjdk-17-jre-headless) from $mirror"
debootstrap --variant=minbase --include=mariadb-server,openjdk-17-jre-headless bookworm "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log"; exit 1; }
rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
tar -C "$work/root" -c . | docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$image" >/dev/null
echo "[images] built $image in $(( $(date +%s) - started )) s ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%d MiB", $1/1048576}'))"

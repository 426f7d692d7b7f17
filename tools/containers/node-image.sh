#!/usr/bin/env bash
# Builds, with no registry, the Node.js base image the services' Dockerfile takes as NODE_IMAGE on
# this kind of machine: the local dependency image (tools/containers/images.sh) plus this machine's
# own node and npm, so the services run in containers on the Node.js they are tested with.
set -euo pipefail
cd "$(dirname "$0")/../.."
deps="$(node tools/containers/image-name.mjs)"
image="audx/node:$(node -p 'process.versions.node')-local"
if docker image inspect "$image" >/dev/null 2>&1; then echo "$image"; exit 0; fi
bash tools/containers/images.sh >&2
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
node_bin="$(readlink -f "$(command -v node)")"
npm_dir="$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)"
cp "$node_bin" "$ctx/node"
cp -r "$npm_dir" "$ctx/npm"
cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $deps
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && node --version && npm --version
DOCKERFILE
DOCKER_BUILDKIT=0 docker build --network host -q -t "$image" "$ctx" >&2
echo "$image"

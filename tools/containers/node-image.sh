#!/usr/bin/env bash
# Builds, with no registry, the Node.js base image the services' Dockerfile takes as NODE_IMAGE on
# this kind of machine: the local dependency image (tools/containers/images.sh) plus this machine's
# own node and npm, so the services run in containers on the Node.js they are tested with, and its
# CA bundle, so npm in a build step trusts what the machine trusts (an egress proxy's CA, here).
set -euo pipefail
cd "$(dirname "$0")/../.."
deps="$(node tools/containers/image-name.mjs)"
ca_bundle="${AUDX_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
image="audx/node:$(node -p 'process.versions.node')-local-$(sha256sum "$ca_bundle" | cut -c1-8)"
if docker image inspect "$image" >/dev/null 2>&1; then echo "$image"; exit 0; fi
bash tools/containers/images.sh >&2
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
node_bin="$(readlink -f "$(command -v node)")"
npm_dir="$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)"
cp "$node_bin" "$ctx/node"
cp -r "$npm_dir" "$ctx/npm"
cp "$ca_bundle" "$ctx/ca-certificates.crt"
cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $deps
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /usr/local/share/audx/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/usr/local/share/audx/ca-certificates.crt npm_config_cafile=/usr/local/share/audx/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && node --version && npm --version
DOCKERFILE
DOCKER_BUILDKIT=0 docker build --network host -q -t "$image" "$ctx" >&2
echo "$image"

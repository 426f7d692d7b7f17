#!/usr/bin/env bash
# npm start: a fresh clone to four running services on the real stack.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true KAFKAJS_NO_PARTITIONER_WARNING=1
bash tools/ensure-deps.sh
node tools/stack/mysql.mjs
node tools/stack/kafka.mjs start  # SASL/SCRAM with ACLs (KAFKA_SECURITY=none: plaintext)
node -r @swc-node/register tools/stack/provision-kafka.ts  # topics, and each principal's ACLs
npx nx run-many -t build --output-style=static  # each service compiled to dist/ (tools/build.mjs)
exec node tools/start-services.mjs

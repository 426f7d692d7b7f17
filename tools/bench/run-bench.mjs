#!/usr/bin/env node
// npm run bench: brings the stack up, then runs each benchmark script in its own process (one at a
// time: this is a 2-core machine) and prints every figure next to the raw MySQL/Kafka baseline.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const namespace = `bench${Date.now().toString(36)}`;
// the services run compiled, as under npm start (tools/build.mjs runs below)
const env = { ...process.env, AUDX_TEST_NAMESPACE: namespace, KAFKAJS_NO_PARTITIONER_WARNING: '1', AUDX_RUN_COMPILED: '1' };
for (const [script, args] of [['tools/ensure-deps.sh', []], ['tools/stack/mysql.mjs', []], ['tools/stack/kafka.mjs', ['start']], ['tools/build.mjs', []]]) {
  const r = spawnSync(script.endsWith('.sh') ? 'bash' : process.execPath, [script, ...args], { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) process.exit(1);
}
const only = process.argv.slice(2);
// By default: the raw floor, then everything through the running services as a client uses them.
// The in-process benches (ingestion, identity, publication) time one class each, for profiling:
// name them to run them (`npm run bench identity`).
const defaults = ['baseline', 'e2e-bench', 'ims-bench'];
const scripts = (only.length === 0 ? defaults : ['baseline', 'e2e-bench', 'big-share-bench', 'ingestion-bench', 'identity-bench', 'publication-bench', 'ims-bench'].filter((s) => only.some((o) => s.startsWith(o))))
  .filter((s) => fs.existsSync(path.join(root, 'tools/bench', `${s}.ts`)));
const results = [];
for (const s of scripts) {
  console.log(`\n=== ${s}`);
  const started = Date.now();
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', `tools/bench/${s}.ts`], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let rest = '';
    child.stdout.on('data', (d) => {
      rest += d.toString();
      const lines = rest.split('\n');
      rest = lines.pop();
      for (const line of lines) {
        if (line.startsWith('BENCH ')) {
          const figure = JSON.parse(line.slice(6));
          results.push({ script: s, ...figure });
          console.log(`  ${figure.name}: ${Object.entries(figure).filter(([k]) => k !== 'name').map(([k, v]) => `${k}=${v}`).join(' ')}`);
        } else if (line.trim() && !line.startsWith('{"level"')) console.log(`  ${line}`);
      }
    });
    child.on('exit', resolve);
  });
  console.log(`  (${s} ${code === 0 ? 'done' : `FAILED with ${code}`} in ${Math.round((Date.now() - started) / 1000)} s)`);
}
fs.mkdirSync(path.join(root, '.var'), { recursive: true });
const out = path.join(root, '.var', 'bench-results.json');
fs.writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), cpus: (await import('node:os')).cpus().length, results }, null, 2));
console.log(`\nAll figures in ${path.relative(root, out)}`);

// A 1M run leaves about 1 GB of schemas behind; runs after it would measure a fuller disk.
if (process.env.BENCH_KEEP_DATA !== '1') {
  const { createConnection } = await import('mysql2/promise');
  const conn = await createConnection(process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306');
  const [dbs] = await conn.query('SHOW DATABASES');
  for (const { Database: db } of dbs) if (db.endsWith(`_${namespace}`)) await conn.query(`DROP DATABASE \`${db}\``);
  await conn.end();
  console.log(`Dropped this run's schemas (*_${namespace}); BENCH_KEEP_DATA=1 keeps them`);
}

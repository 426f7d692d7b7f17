#!/usr/bin/env node
// Starts the four services as child processes (logs in .var/logs/<service>.log), waits for each
// /ready, prints URLs and health, then keeps serving until Ctrl-C (SIGTERM to each, graceful).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const logDir = path.join(root, '.var', 'logs');
fs.mkdirSync(logDir, { recursive: true });
const services = [
  { name: 'ims', port: Number(process.env.IMS_PORT ?? 4100) },
  { name: 'segment-ingestion', port: Number(process.env.INGESTION_PORT ?? 4200) },
  { name: 'identity-reconciliation', port: Number(process.env.IDENTITY_PORT ?? 4300) },
  { name: 'audience-publication', port: Number(process.env.PUBLICATION_PORT ?? 4400) },
];
const children = [];
// a secured broker (tools/stack/kafka.mjs): each service connects as its own principal
const kafkaUsers = (() => {
  const file = path.join(process.env.AUDX_VAR_DIR ?? path.join(root, '.var'), 'kafka', 'credentials.json');
  return process.env.KAFKA_SECURITY !== 'none' && fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')).users : null;
})();
const kafkaEnv = (name) => (kafkaUsers && !process.env.KAFKA_SASL_MECHANISM ? { KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: `audx-${name}`, KAFKA_SASL_PASSWORD: kafkaUsers[`audx-${name}`] } : {});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function ready(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/ready`);
    return { status: res.status, body: await res.json() };
  } catch (err) {
    return { status: 0, body: { error: String(err.cause?.code ?? err.message) } };
  }
}

function start(service) {
  const out = fs.openSync(path.join(logDir, `${service.name}.log`), 'a');
  // a capped heap: uncapped, V8 grows towards a quarter of the machine before it collects
  const heap = process.env.NODE_OPTIONS?.includes('--max-old-space-size') ? [] : [`--max-old-space-size=${Number(process.env.AUDX_SERVICE_HEAP_MB ?? 192)}`];
  // compiled by tools/build.mjs (start.sh runs it): no runtime compiler in every service
  const child = spawn(process.execPath, [...heap, `dist/apps/${service.name}/src/main.js`], {
    cwd: root,
    // a local stack: development defaults (secrets, keys) are allowed here and nowhere by default
    env: { ...process.env, ...kafkaEnv(service.name), NODE_ENV: process.env.NODE_ENV ?? 'development', PORT: String(service.port), IMS_URL: process.env.IMS_URL ?? `http://127.0.0.1:${services[0].port}` },
    stdio: ['ignore', out, out],
  });
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`[start] ${service.name} exited (${code ?? signal}); see .var/logs/${service.name}.log`);
  });
  children.push(child);
}

let stopping = false;
async function stopAll(exitCode = 0) {
  if (stopping) return;
  stopping = true;
  console.log('\n[start] stopping services (the Kafka broker keeps running: node tools/stack/kafka.mjs stop)');
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : (c.once('exit', r), c.kill('SIGTERM'))))));
  process.exit(exitCode);
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

let demoFailed = false;
for (const s of services) start(s);
const deadline = Date.now() + 180_000;
for (const s of services) {
  while ((await ready(s.port)).status !== 200) {
    if (Date.now() > deadline) {
      console.error(`[start] ${s.name} is not ready after 180 s; see .var/logs/${s.name}.log`);
      await stopAll(1);
    }
    await sleep(300);
  }
}
console.log('\nAudience Exchange is running:');
for (const s of services) {
  const r = await ready(s.port);
  console.log(`  ${s.name.padEnd(24)} http://127.0.0.1:${s.port}  ready=${r.status === 200}  ${JSON.stringify(r.body.checks)}  docs: http://127.0.0.1:${s.port}/docs`);
}
if (process.env.AUDX_DEMO !== '0' && fs.existsSync(path.join(root, 'tools/demo/run-demo.ts'))) {
  const demo = spawn(process.execPath, ['-r', '@swc-node/register', 'tools/demo/run-demo.ts'], { cwd: root, stdio: 'inherit', env: process.env });
  const code = await new Promise((r) => demo.once('exit', r));
  if (code !== 0) console.error('[start] the demo failed (above); the services keep running');
  demoFailed = code !== 0;
}
console.log('\nLogs in .var/logs/. Ctrl-C stops the services.');
if (process.env.AUDX_START_EXIT_WHEN_READY === '1') await stopAll(demoFailed ? 1 : 0);

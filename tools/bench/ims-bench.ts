/**
 * IMS and guard benchmark (not a test). Starts IMS and a service protected by @audx/auth on the
 * local stack, then measures:
 *  - tokens issued per second (POST /ims/token/v3, keep-alive, N concurrent clients), and the
 *    first-token latency of a client (scrypt verification, before it is remembered);
 *  - guard verifications per second in process (TokenVerifier: RS256 + claims + revocation list);
 *  - the latency the guard adds to a request: GET /probe/read (protected) against GET /probe/open.
 * Usage: node -r @swc-node/register tools/bench/ims-bench.ts [--seconds 5] [--concurrency 8]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createPublicKey } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { createConnection } from 'mysql2/promise';
import { RevocationList, StaticKeySource, TokenVerifier } from '@audx/auth';
import { kafkaAuth, repoRoot, runStackScript, ServiceProcess, testDatabase, testEnv } from '@audx/testing';
import { ImsClient, apiHeaders, headerOf } from '../../apps/ims/test/support/ims-client';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 5);
const CONCURRENCY = arg('concurrency', 8);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(ms: number[]) {
  const s = [...ms].sort((x, y) => x - y);
  return { n: s.length, mean: s.reduce((a, b) => a + b, 0) / s.length, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99) };
}

const fmt = (v: number) => v.toFixed(2);

/** `concurrency` loops calling `fn` for `seconds`; returns requests/s and latencies. */
async function load(seconds: number, concurrency: number, fn: () => Promise<void>) {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await fn();
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { perSecond: latencies.length / ((performance.now() - started) / 1000), ...summary(latencies) };
}

/** CPU time (user + system) a process has used so far, in ms (Linux /proc, 10 ms ticks). */
function cpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** `load` plus the server's CPU time per request. */
async function loadWithCpu(pid: number | undefined, seconds: number, concurrency: number, fn: () => Promise<void>) {
  const before = cpuMs(pid);
  const result = await load(seconds, concurrency, fn);
  return { ...result, serverCpuUsPerRequest: ((cpuMs(pid) - before) * 1000) / (result.perSecond * seconds) };
}

async function expectStatus(res: Promise<Response>, status: number): Promise<void> {
  const r = await res;
  await r.arrayBuffer();
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}`);
}

async function cleanup(namespace: string) {
  const { mysqlUrl, kafkaBrokers } = testEnv();
  const conn = await createConnection({ uri: mysqlUrl });
  const [rows] = await conn.query('SHOW DATABASES');
  for (const r of rows as { Database: string }[]) if (r.Database.endsWith(`_${namespace}`)) await conn.query(`DROP DATABASE \`${r.Database}\``);
  await conn.end();
  const admin = new Kafka({ brokers: kafkaBrokers.split(','), ...kafkaAuth(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${namespace}.`));
  if (topics.length) await admin.deleteTopics({ topics, timeout: 30000 }).catch(() => undefined);
  await admin.disconnect();
}

async function main() {
  process.env.KAFKA_BROKERS ??= '127.0.0.1:9092';
  process.env.MYSQL_URL ??= 'mysql://root@127.0.0.1:3306';
  process.env.AUDX_TEST_NAMESPACE = `bench${Date.now().toString(36)}`;
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  runStackScript('mysql');
  runStackScript('kafka', ['start']);
  const env = testEnv();
  const ims = await (await ServiceProcess.create('ims', { MYSQL_DATABASE: testDatabase('audx_ims_bench'), LOG_LEVEL: 'error' })).start();
  const probe = await (
    await ServiceProcess.fromScript(path.join(repoRoot, 'apps/ims/test/fixtures/protected-app.ts'), {
      IMS_URL: ims.url,
      MYSQL_DATABASE: testDatabase('audx_probe_bench'),
      LOG_LEVEL: 'error',
    })
  ).start();
  try {
    const client = new ImsClient(ims.url);
    const orgId = await client.createOrg('bench');

    // first token of a client: the secret goes through scrypt once
    const cold: number[] = [];
    for (let i = 0; i < 5; i++) {
      const integration = await client.createIntegration(orgId, ['read']);
      const t = performance.now();
      await client.accessToken(integration.clientId, integration.clientSecret);
      cold.push(performance.now() - t);
    }
    const integration = await client.createIntegration(orgId, ['read', 'lists.write']);
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: integration.clientId, client_secret: integration.clientSecret, scope: 'read' }).toString();
    const issue = () => expectStatus(fetch(`${ims.url}/ims/token/v3`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }), 200);
    await load(1, CONCURRENCY, issue); // warm-up
    const tokens = await loadWithCpu(ims.pid, SECONDS, CONCURRENCY, issue);

    // in-process verification with IMS's real key and token, a revocation list of 10 000 entries
    const token = await client.accessToken(integration.clientId, integration.clientSecret);
    const jwks = (await (await fetch(`${ims.url}/ims/keys`)).json()) as { keys: { kid: string; n: string; e: string }[] };
    const jwk = jwks.keys.find((k) => k.kid === headerOf(token).kid)!;
    const revocations = new RevocationList();
    revocations.markReady();
    const exp = Math.floor(Date.now() / 1000) + 3600;
    for (let i = 0; i < 10_000; i++) revocations.add(`revoked-${i}`, exp);
    const verifier = new TokenVerifier(new StaticKeySource(new Map([[jwk.kid, createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' })]])), revocations);
    let verified = 0;
    const vStart = performance.now();
    while (performance.now() - vStart < 2000) {
      if (!(await verifier.verify(token)).valid) throw new Error('verification failed');
      verified++;
    }
    const verificationsPerSecond = verified / ((performance.now() - vStart) / 1000);

    // the guard's added latency over HTTP: sequential, interleaved, then under load
    const headers = apiHeaders(token, integration.clientId, orgId);
    const open = () => expectStatus(fetch(`${probe.url}/probe/open`), 200);
    const guarded = () => expectStatus(fetch(`${probe.url}/probe/read`, { headers }), 200);
    for (let i = 0; i < 300; i++) await (i % 2 ? open() : guarded());
    const openMs: number[] = [];
    const guardedMs: number[] = [];
    for (let i = 0; i < 2000; i++) {
      for (const [fn, into] of [[open, openMs], [guarded, guardedMs]] as const) {
        const t = performance.now();
        await fn();
        into.push(performance.now() - t);
      }
    }
    const seqOpen = summary(openMs);
    const seqGuarded = summary(guardedMs);
    // alternate the two under load, twice, and keep each one's better run (JIT and neighbours vary)
    const runs = { open: [] as Awaited<ReturnType<typeof loadWithCpu>>[], guarded: [] as Awaited<ReturnType<typeof loadWithCpu>>[] };
    for (let round = 0; round < 2; round++) {
      runs.open.push(await loadWithCpu(probe.pid, SECONDS, CONCURRENCY * 2, open));
      runs.guarded.push(await loadWithCpu(probe.pid, SECONDS, CONCURRENCY * 2, guarded));
    }
    const best = (rs: Awaited<ReturnType<typeof loadWithCpu>>[]) => rs.reduce((x, y) => (y.perSecond > x.perSecond ? y : x));
    const loadOpen = best(runs.open);
    const loadGuarded = best(runs.guarded);

    const lines = [
      `IMS benchmark (${SECONDS}s runs, concurrency ${CONCURRENCY}; IMS, the protected service and this client share the machine)`,
      `tokens: ${tokens.perSecond.toFixed(0)} issued/s (POST /ims/token/v3, ${CONCURRENCY} concurrent, keep-alive); latency ms p50 ${fmt(tokens.p50)} p90 ${fmt(tokens.p90)} p99 ${fmt(tokens.p99)}; IMS CPU ${tokens.serverCpuUsPerRequest.toFixed(0)} us/token`,
      `first token of a client (scrypt verification): mean ${fmt(summary(cold).mean)} ms over ${cold.length} clients`,
      `guard verification in process: ${verificationsPerSecond.toFixed(0)} verifications/s (${fmt(1000 / verificationsPerSecond)} ms each; RS256 2048, claims, 10 000 revocations)`,
      `guard added latency, sequential (n=${seqGuarded.n}): open p50 ${fmt(seqOpen.p50)} / p99 ${fmt(seqOpen.p99)} ms, protected p50 ${fmt(seqGuarded.p50)} / p99 ${fmt(seqGuarded.p99)} ms -> +${fmt(seqGuarded.p50 - seqOpen.p50)} ms p50, +${fmt(seqGuarded.mean - seqOpen.mean)} ms mean`,
      `under load (${CONCURRENCY * 2} concurrent, best of 2): open ${loadOpen.perSecond.toFixed(0)} req/s p50 ${fmt(loadOpen.p50)} ms, protected ${loadGuarded.perSecond.toFixed(0)} req/s p50 ${fmt(loadGuarded.p50)} ms`,
      `server CPU per request: open ${loadOpen.serverCpuUsPerRequest.toFixed(0)} us, protected ${loadGuarded.serverCpuUsPerRequest.toFixed(0)} us -> the guard costs ${(loadGuarded.serverCpuUsPerRequest - loadOpen.serverCpuUsPerRequest).toFixed(0)} us of CPU per request`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await probe.stop();
    await ims.stop();
    await cleanup(env.namespace).catch((err) => process.stderr.write(`cleanup failed: ${String(err)}\n`));
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);

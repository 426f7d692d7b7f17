/**
 * Benchmark of audience-publication, end to end on the real service, broker and database:
 * `list.exported` chunks on Kafka (as identity-reconciliation publishes them) until the
 * `audience.published` event of the version arrives.
 *
 *   1. a 1M-member audience, first version (incremental: every member is an add)
 *   2. the same audience with a 1% delta (0.5% leave, 0.5% join), second version
 *   3. the same audience shared `full` (.overwrite of every member), third version
 *
 * Usage: node -r @swc-node/register tools/bench/publication-bench.ts [--members 1000000]
 *          [--delta 0.01] [--chunk 10000] [--gzip] [--no-full] [--keep]
 * Needs the local stack (MariaDB on 3306, Kafka on KAFKA_BROKERS); starts its own service process
 * in a namespace and database of its own, and drops them afterwards unless --keep.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { createConnection } from 'mysql2/promise';
import { AudiencePublished, Envelope, ListExported, Topics } from '@audx/contracts';
import { EventProducer, TopicNamer, createKafka } from '@audx/messaging';
import { kafkaAuth, runStackScript, ServiceProcess, testDatabase, testEnv, testKafkaSasl, waitFor } from '@audx/testing';

const ORG = 'BE0C4A1B2C3D4E5F60718293@AdobeOrg';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] && !process.argv[i + 1].startsWith('--') ? process.argv[i + 1] : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

const MEMBERS = Number(arg('members', '1000000'));
const DELTA = Number(arg('delta', '0.01'));
const CHUNK = Number(arg('chunk', '10000'));
const GZIP = flag('gzip');

const id = (n: number) => `7${String(n).padStart(37, '0')}`;

function chunksOf(exportId: string, ids: string[], mode: 'incremental' | 'full'): ListExported[] {
  const count = Math.ceil(ids.length / CHUNK);
  return Array.from({ length: count }, (_, seq) => {
    const identifiers = ids.slice(seq * CHUNK, (seq + 1) * CHUNK);
    const last = seq === count - 1;
    return {
      exportId,
      listId: 'lst-bench',
      dataSource: 'defaultDataSource',
      segmentId: '24',
      audienceName: null,
      mode,
      labels: [],
      exportControls: [],
      dpid: 12345,
      seq,
      last,
      identifiers,
      ...(last ? { totals: { chunks: count, members: ids.length, withIdentifier: ids.length, complement: 0, blocked: 0, identifiers: ids.length } } : {}),
    };
  });
}

interface Phase {
  name: string;
  members: number;
  seconds: number;
  sendSeconds: number;
  stagingSeconds: number;
  publishSeconds: number;
  added: number;
  removed: number;
  files: number;
  lines: number;
  bytes: number;
  peakRssMb: number;
}

async function main(): Promise<void> {
  process.env.KAFKA_BROKERS ??= '127.0.0.1:9092';
  process.env.MYSQL_URL ??= 'mysql://root@127.0.0.1:3306';
  process.env.AUDX_TEST_NAMESPACE = `bench${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  runStackScript('mysql');
  runStackScript('kafka', ['start']);
  const env = testEnv();
  const outbox = mkdtempSync(path.join(os.tmpdir(), 'audx-bench-outbox-'));
  const service = await (await ServiceProcess.create('audience-publication', { OUTBOX_DIR: outbox, OUTBOUND_GZIP: String(GZIP), PUBLICATION_POLL_MS: '200', NODE_ENV: 'production' })).start();
  const db = await createConnection({ uri: env.mysqlUrl, database: testDatabase('audx_publication'), supportBigNumbers: true, bigNumberStrings: true });
  const namer = new TopicNamer(env.namespace);
  const kafka = createKafka({ brokers: env.kafkaBrokers.split(','), clientId: 'bench', namespace: env.namespace, partitions: 3, replicationFactor: 1, sasl: testKafkaSasl() }, pino({ level: 'silent' }));
  const producer = new EventProducer(kafka, namer, 'identity-reconciliation');
  await producer.connect();
  const events: Envelope<AudiencePublished>[] = [];
  const consumer = kafka.consumer({ groupId: namer.group('bench-observer') });
  await consumer.connect();
  await consumer.subscribe({ topic: namer.physical(Topics.audiencePublished), fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void events.push(JSON.parse(message.value!.toString()) as Envelope<AudiencePublished>) });

  let peakRss = 0;
  const sampler = setInterval(async () => {
    try {
      const text = await (await fetch(`${service.url}/metrics`)).text();
      const m = /^process_resident_memory_bytes(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(text);
      if (m) peakRss = Math.max(peakRss, Number(m[1]));
    } catch {
      /* busy */
    }
  }, 250);

  await new Promise((r) => setTimeout(r, 1500));
  const idleRssMb = Math.round(peakRss / 1024 / 1024);
  const phases: Phase[] = [];
  async function share(name: string, exportId: string, ids: string[], mode: 'incremental' | 'full', version: number): Promise<void> {
    peakRss = 0;
    const started = Date.now();
    for (const chunk of chunksOf(exportId, ids, mode)) await producer.publish(Topics.listExported, ORG, chunk);
    const sent = Date.now();
    const event = await waitFor(() => events.find((e) => e.payload.version === version), { timeoutMs: 30 * 60_000, intervalMs: 50, what: `version ${version}` });
    const done = Date.now();
    const [[row]] = (await db.query(
      'SELECT TIMESTAMPDIFF(MICROSECOND, created_at, assembled_at) / 1e6 AS staging, TIMESTAMPDIFF(MICROSECOND, assembled_at, finished_at) / 1e6 AS publishing FROM exports WHERE export_id = ?',
      [exportId],
    )) as unknown as [{ staging: string; publishing: string }[]];
    const p = event.payload;
    phases.push({
      name,
      members: p.size,
      seconds: (done - started) / 1000,
      sendSeconds: (sent - started) / 1000,
      stagingSeconds: Number(row.staging),
      publishSeconds: Number(row.publishing),
      added: p.added,
      removed: p.removed,
      files: p.files.length,
      lines: p.files.reduce((n, f) => n + f.lines, 0),
      bytes: p.files.reduce((n, f) => n + f.bytes, 0),
      peakRssMb: Math.round(peakRss / 1024 / 1024),
    });
    process.stdout.write(`${JSON.stringify(phases[phases.length - 1])}\n`);
  }

  try {
    const first = Array.from({ length: MEMBERS }, (_, i) => id(i));
    await share(`${MEMBERS} members, first version (.sync, all adds)`, 'bench-v1', first, 'incremental', 1);
    const half = Math.round((MEMBERS * DELTA) / 2);
    const second = [...first.slice(half), ...Array.from({ length: half }, (_, i) => id(MEMBERS + i))];
    await share(`${MEMBERS} members, ${DELTA * 100}% delta (.sync)`, 'bench-v2', second, 'incremental', 2);
    if (!flag('no-full')) await share(`${MEMBERS} members, full share (.overwrite)`, 'bench-v3', second, 'full', 3);
  } finally {
    clearInterval(sampler);
    await consumer.disconnect();
    await producer.disconnect();
    await db.end();
    await service.stop();
    if (!flag('keep')) await cleanup(env.namespace, env.mysqlUrl, env.kafkaBrokers, outbox);
  }

  process.stdout.write(`\naudience-publication benchmark (chunks of ${CHUNK}, gzip ${GZIP ? 'on' : 'off'}, ${os.cpus().length} cores, service RSS idle ${idleRssMb} MB)\n`);
  process.stdout.write('| phase | end to end s | send s | staging s | publish s | added | removed | files | lines | bytes | peak RSS MB |\n|---|---|---|---|---|---|---|---|---|---|---|\n');
  for (const p of phases) {
    process.stdout.write(
      `| ${p.name} | ${p.seconds.toFixed(1)} | ${p.sendSeconds.toFixed(1)} | ${p.stagingSeconds.toFixed(1)} | ${p.publishSeconds.toFixed(1)} | ${p.added} | ${p.removed} | ${p.files} | ${p.lines} | ${p.bytes} | ${p.peakRssMb} |\n`,
    );
  }
}

async function cleanup(namespace: string, mysqlUrl: string, brokers: string, outbox: string): Promise<void> {
  rmSync(outbox, { recursive: true, force: true });
  const conn = await createConnection({ uri: mysqlUrl });
  await conn.query(`DROP DATABASE IF EXISTS \`${testDatabase('audx_publication')}\``);
  await conn.end();
  const admin = new Kafka({ brokers: brokers.split(','), ...kafkaAuth(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(namespace));
  if (topics.length) await admin.deleteTopics({ topics, timeout: 30000 });
  await admin.disconnect();
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { Kafka } from 'kafkajs';
import pino from 'pino';
import type { Connection } from 'mysql2/promise';
import { Topics, VisitorIdentified, dlqOf } from '@audx/contracts';
import { connectDatabase, repoRoot, testDatabase, testEnv, testKafkaSasl, waitFor } from '@audx/testing';
import { AUDIT_LOG_DDL, DEAD_LETTERS_DDL, EventProducer, OUTBOX_DDL, TopicNamer, buildMessage, createKafka, ensureTopics } from '../src';

const env = testEnv();
const database = testDatabase('audx_probe');
const ORG = '1FD6776A524453CC0A490D44@AdobeOrg';
// A namespace of its own: these topics have one partition, whatever other suites create.
const namespace = `${env.namespace}probe`;
const namer = new TopicNamer(namespace);

function visitor(recipientId: string, n: number): VisitorIdentified {
  return { visitorId: String(n).padStart(38, '0'), recipientId, observedAt: new Date().toISOString() };
}

function startProbe(extra: NodeJS.ProcessEnv = {}, stdout: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
  return spawn(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, 'fixtures/probe-consumer.ts')], {
    cwd: repoRoot,
    env: { ...process.env, KAFKA_BROKERS: env.kafkaBrokers, MYSQL_URL: env.mysqlUrl, KAFKA_NAMESPACE: namespace, PROBE_DATABASE: database, KAFKAJS_NO_PARTITIONER_WARNING: '1', ...extra },
    stdio: ['ignore', stdout, 'inherit'],
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('BatchConsumer behind the Nest transport (an @EventPattern handler; real Kafka, real MySQL, separate processes)', () => {
  let db: Connection;
  let producer: EventProducer;
  let kafka: Kafka;

  beforeAll(async () => {
    db = await connectDatabase(database);
    for (const sql of [...OUTBOX_DDL, AUDIT_LOG_DDL, DEAD_LETTERS_DDL]) await db.query(sql);
    await db.query('CREATE TABLE IF NOT EXISTS handled (event_id CHAR(36) PRIMARY KEY, recipient_id VARCHAR(128) NOT NULL, times INT NOT NULL)');
    kafka = createKafka({ brokers: env.kafkaBrokers.split(','), clientId: 'probe-test', namespace, partitions: 1, replicationFactor: 1, sasl: testKafkaSasl() }, pino({ level: 'silent' }));
    await ensureTopics(kafka, namer, { partitions: 1, replicationFactor: 1 });
    producer = new EventProducer(kafka, namer, 'probe-test');
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
    await db.end();
  });

  it('handles a message exactly once when the consumer is SIGKILLed between its database commit and its offset commit', async () => {
    const sent = await producer.publish(Topics.visitorIdentified, ORG, visitor('r-exactly-once', 1));

    const crashing = startProbe({ CRASH_AFTER_COMMIT: '1' });
    const result = await exited(crashing);
    expect(result.signal).toBe('SIGKILL');
    const [afterCrash] = await db.query('SELECT times FROM handled WHERE event_id = ?', [sent.id]);
    expect(afterCrash).toEqual([{ times: 1 }]);

    // The offset was never committed: the restarted consumer gets the message again and drops it.
    const restarted = startProbe();
    const admin = kafka.admin();
    await admin.connect();
    try {
      await waitFor(
        async () => {
          const [offsets] = await admin.fetchOffsets({ groupId: namer.group('probe-consumer'), topics: [namer.physical(Topics.visitorIdentified)] });
          return offsets.partitions.every((p) => Number(p.offset) >= 1);
        },
        { timeoutMs: 60000, what: 'offset committed after restart' },
      );
    } finally {
      await admin.disconnect();
    }
    const [afterRestart] = await db.query('SELECT times FROM handled WHERE event_id = ?', [sent.id]);
    expect(afterRestart).toEqual([{ times: 1 }]);
    restarted.kill('SIGTERM');
    expect((await exited(restarted)).code).toBe(0);
  });

  it('retries a handler that fails twice, slowly, then succeeds, without a rebalance, and drains on SIGTERM', async () => {
    const probe = startProbe({}, 'pipe');
    let output = '';
    probe.stdout!.on('data', (d: Buffer) => (output += d.toString('utf8')));
    const joins = () => output.split('\n').filter((l) => l === 'joined').length;
    try {
      await waitFor(() => joins() >= 1, { timeoutMs: 30000, what: 'the probe in its group' });
      // each failure takes 7 s, longer than the 6 s session: the group stays only if the retries keep heartbeating
      const sent = await producer.publish(Topics.visitorIdentified, ORG, visitor('flaky-once', 20));
      await waitFor(async () => ((await db.query('SELECT times FROM handled WHERE event_id = ?', [sent.id]))[0] as unknown[]).length === 1, { timeoutMs: 40000, what: 'the flaky event handled' });
      const [rows] = await db.query('SELECT times FROM handled WHERE event_id = ?', [sent.id]);
      expect(rows).toEqual([{ times: 1 }]);
      expect(joins()).toBe(1);
    } finally {
      probe.kill('SIGTERM');
    }
    expect(await exited(probe)).toEqual({ code: 0, signal: null });
  });

  it('sends a poison message to the DLQ with its error and still handles the next message on the partition', async () => {
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({ topic: namer.physical(Topics.visitorIdentified), messages: [{ key: 'k', value: 'this is not json' }] });
    await raw.disconnect();
    await producer.publish(Topics.visitorIdentified, ORG, visitor('poison-handler', 2));
    const good = await producer.publish(Topics.visitorIdentified, ORG, visitor('r-after-poison', 3));

    const dlq: { value: string; error: string }[] = [];
    const dlqConsumer = kafka.consumer({ groupId: namer.group('dlq-reader') });
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: namer.physical(dlqOf(Topics.visitorIdentified)), fromBeginning: true });
    await dlqConsumer.run({
      eachMessage: async ({ message }) => {
        dlq.push({ value: message.value?.toString() ?? '', error: message.headers?.['x-error']?.toString() ?? '' });
      },
    });

    const probe = startProbe();
    try {
      await waitFor(async () => {
        const [rows] = await db.query('SELECT times FROM handled WHERE event_id = ?', [good.id]);
        return (rows as unknown[]).length === 1;
      }, { timeoutMs: 60000, what: 'message after the poison handled' });
      await waitFor(() => dlq.length >= 2, { timeoutMs: 30000, what: 'two dead letters' });
      await new Promise((r) => setTimeout(r, 3000)); // a consumer that re-read its batch would dead-letter again
    } finally {
      probe.kill('SIGTERM');
      await exited(probe);
      await dlqConsumer.disconnect();
    }
    expect(dlq).toHaveLength(2);
    expect(dlq.find((d) => d.value === 'this is not json')?.error).toBe('value is not JSON');
    expect(dlq.find((d) => d.value.includes('poison-handler'))?.error).toBe('handler rejects this recipient');
    const [handled] = await db.query("SELECT COUNT(*) AS n FROM handled WHERE recipient_id = 'poison-handler'");
    expect(Number((handled as { n: string }[])[0].n)).toBe(0);
  });
  it('does not dead-letter a message while the database is away: it retries the batch until the handler succeeds, once', async () => {
    const sent = await producer.publish(Topics.visitorIdentified, ORG, visitor('transient-outage', 4));
    const dlq: string[] = [];
    const dlqConsumer = kafka.consumer({ groupId: namer.group('dlq-reader-outage') });
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: namer.physical(dlqOf(Topics.visitorIdentified)), fromBeginning: true });
    await dlqConsumer.run({ eachMessage: async ({ message }) => void dlq.push(message.value?.toString() ?? '') });
    const probe = startProbe();
    try {
      await waitFor(async () => {
        const [rows] = await db.query('SELECT times FROM handled WHERE event_id = ?', [sent.id]);
        return (rows as unknown[]).length === 1;
      }, { timeoutMs: 90000, what: 'message handled once the outage is over' });
      await new Promise((r) => setTimeout(r, 2000));
    } finally {
      probe.kill('SIGTERM');
      await exited(probe);
      await dlqConsumer.disconnect();
    }
    const [handled] = await db.query('SELECT times FROM handled WHERE event_id = ?', [sent.id]);
    expect(handled).toEqual([{ times: 1 }]);
    expect(dlq.filter((v) => v.includes('transient-outage'))).toEqual([]);
  });

  it('handles each event of a slice once: an id repeated within the slice, or handled before, is a duplicate', async () => {
    const times = async (recipientId: string) => {
      const [rows] = await db.query('SELECT event_id, times FROM handled WHERE recipient_id = ?', [recipientId]);
      return (rows as { event_id: string; times: number }[]).map((r) => r.times);
    };
    const before = buildMessage('probe-test', Topics.visitorIdentified, ORG, visitor('r-slice-before', 10));
    await producer.sendMessages([before]);
    let probe = startProbe();
    await waitFor(async () => (await times('r-slice-before')).length === 1, { timeoutMs: 60000, what: 'the earlier event handled' });
    probe.kill('SIGTERM');
    await exited(probe);

    // one fetch, one slice: claimed together, not one statement per event
    const a = buildMessage('probe-test', Topics.visitorIdentified, ORG, visitor('r-slice-a', 11));
    const b = buildMessage('probe-test', Topics.visitorIdentified, ORG, visitor('r-slice-b', 12));
    await producer.sendMessages([a, a, before, b, a]);
    probe = startProbe();
    try {
      await waitFor(async () => (await times('r-slice-b')).length === 1, { timeoutMs: 60000, what: 'the slice handled' });
      await new Promise((r) => setTimeout(r, 2000));
    } finally {
      probe.kill('SIGTERM');
      await exited(probe);
    }
    expect(await times('r-slice-a')).toEqual([1]);
    expect(await times('r-slice-b')).toEqual([1]);
    expect(await times('r-slice-before')).toEqual([1]);
  });
});

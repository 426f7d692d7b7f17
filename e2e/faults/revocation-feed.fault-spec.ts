/**
 * The revocation feed fails closed when the broker goes away, and must come back by itself every
 * time the broker does: a feed that stays stale refuses every token of the service for good. The
 * broker is stopped and restarted at varied moments (mid-connect, mid-fetch, while the watchdog
 * replaces a consumer), and after each the feed must be ready again and see a new revocation.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { RevocationFeed, RevocationList } from '@audx/auth';
import { Topics } from '@audx/contracts';
import { TopicNamer } from '@audx/messaging';
import { kafkaAuth, provisionKafka, testEnv, waitFor } from '@audx/testing';
import { OwnBroker, moments } from './fault-harness';

const seed = Number(process.env.FAULT_SEED ?? Date.now() % 2 ** 31);
const at = moments(seed);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the revocation feed across broker restarts', () => {
  let broker: OwnBroker;
  let feed: RevocationFeed;
  let kafka: Kafka;
  const list = new RevocationList();
  const namer = new TopicNamer(testEnv().namespace);

  beforeAll(async () => {
    process.stdout.write(`revocation feed moments seed ${seed} (FAULT_SEED=${seed} replays them)\n`);
    broker = await OwnBroker.start();
    broker.becomeTheRunsBroker();
    const users = broker.users;
    if (users) provisionKafka(broker.brokers, testEnv().namespace, users.admin);
    kafka = new Kafka({ clientId: 'revocation-feed-faults', brokers: [broker.brokers], logLevel: logLevel.NOTHING, ...kafkaAuth() });
    feed = new RevocationFeed({ kafka, namer, service: 'faults', list, logger: pino({ level: process.env.FAULT_LOG_LEVEL ?? 'silent' }), staleAfterMs: 4000 });
    feed.start();
    await waitFor(() => list.ready, { timeoutMs: 60_000, what: 'the feed ready at start' });
  }, 120_000);

  afterAll(async () => {
    await feed?.stop();
    broker?.destroy();
  });

  async function revoke(jti: string): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    try {
      const exp = Math.floor(Date.now() / 1000) + 3600;
      const envelope = { id: randomUUID(), type: Topics.imsTokenRevoked, version: 1, orgId: 'ims', occurredAt: new Date().toISOString(), producer: 'faults', payload: { jti, exp } };
      await producer.send({ topic: namer.physical(Topics.imsTokenRevoked), messages: [{ key: jti, value: JSON.stringify(envelope) }] });
    } finally {
      await producer.disconnect();
    }
  }

  const revoked = (jti: string) => list.isRevoked({ jti, client_id: 'c', created_at: String(Date.now()) });

  it.each([1, 2, 3, 4, 5])('comes back ready after broker restart %i and sees a revocation made after it', async (round) => {
    await sleep(at(0, 3000));
    broker.stop();
    // long enough, some rounds, for the watchdog to mark the list stale and replace the consumer
    await sleep(at(500, 9000));
    broker.start();
    const jti = `after-restart-${round}-${randomUUID()}`;
    await waitFor(async () => revoke(jti).then(() => true, () => false), { timeoutMs: 60_000, intervalMs: 1000, what: 'a revocation sent' });
    await waitFor(() => list.ready && revoked(jti), { timeoutMs: 60_000, intervalMs: 250, what: `the feed ready and holding ${jti}` });
  }, 180_000);
});

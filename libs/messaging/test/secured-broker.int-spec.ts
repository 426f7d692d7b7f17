import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Topics } from '@audx/contracts';
import { type KafkaSasl, TopicNamer, buildMessage, createKafka, ensureTopics, grantAcls } from '../src';
import { TestStack, freePort, runStackScript, testEnv, waitFor } from '@audx/testing';

/**
 * A broker of its own, secured as `KAFKA_SECURITY=sasl` runs it: SASL/SCRAM on the client
 * listener, KRaft's standard authorizer, one principal per service and one for outside producers,
 * each granted exactly its topics and groups (kafka-access.ts). The services run on it as their
 * own principals, and a producer that is not ours (kcat, on librdkafka) writes what it may.
 */
describe('a secured broker (SASL/SCRAM and ACLs)', () => {
  const namer = new TopicNamer(testEnv().namespace);
  let env: NodeJS.ProcessEnv;
  let brokers: string;
  let users: Record<string, string>;
  let outside: { bootstrap: string; securityProtocol: string; mechanism: string; username: string; password: string };

  const kafkaAs = (sasl: KafkaSasl | null) => createKafka({ brokers: [brokers], clientId: 'secured-test', namespace: testEnv().namespace, partitions: 3, replicationFactor: 1, sasl }, pino({ level: 'silent' }));
  const as = (username: string, password = users[username]): KafkaSasl => ({ mechanism: 'scram-sha-256', username, password });

  /** Sends one message; answers 'ok' or the refusal. */
  async function produce(sasl: KafkaSasl | null, topic: string): Promise<string> {
    const producer = kafkaAs(sasl).producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 1 } });
    try {
      await producer.connect();
      await producer.send({ topic: namer.physical(topic), acks: -1, messages: [{ key: 'k', value: '{}' }] });
      return 'ok';
    } catch (err) {
      return `${(err as Error).name}: ${(err as Error).message}`;
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  }

  beforeAll(async () => {
    const port = await freePort();
    const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'audx-sasl-'));
    brokers = `127.0.0.1:${port}`;
    env = { KAFKA_SECURITY: 'sasl', KAFKA_BROKERS: brokers, KAFKA_CONTROLLER_PORT: String(await freePort()), AUDX_VAR_DIR: varDir };
    runStackScript('kafka', ['start'], env);
    users = (JSON.parse(fs.readFileSync(path.join(varDir, 'kafka', 'credentials.json'), 'utf8')) as { users: Record<string, string> }).users;
    outside = JSON.parse(fs.readFileSync(path.join(varDir, 'kafka-credentials.json'), 'utf8'));
    // the operator provisions topics and ACLs; services may not create topics here
    const operator = kafkaAs(as('admin'));
    expect(await ensureTopics(operator, namer, { partitions: 3, replicationFactor: 1 })).toBe('ok');
    const admin = operator.admin();
    await admin.connect();
    await grantAcls(admin, namer);
    await admin.disconnect();
  }, 240_000);

  afterAll(() => {
    if (env) runStackScript('kafka', ['stop'], env);
  });

  it('keeps the outside producers\' credentials where a producer that is not ours finds them', () => {
    expect(outside).toEqual({ bootstrap: brokers, securityProtocol: 'SASL_PLAINTEXT', mechanism: 'SCRAM-SHA-256', username: 'audx-outside-producer', password: users['audx-outside-producer'] });
  });

  it('refuses a client without credentials, and one with a wrong password', async () => {
    expect(await produce(null, Topics.segmentMembership)).toMatch(/^KafkaJS\w*Error: /);
    expect(await produce(null, Topics.segmentMembership)).not.toBe('ok');
    expect(await produce(as('audx-outside-producer', 'not-the-password'), Topics.segmentMembership)).toMatch(/SASL SCRAM SHA256 authentication failed/);
  });

  it('lets each principal write exactly its topics', async () => {
    const refused = /Not authorized to access topics/;
    expect(await produce(as('audx-outside-producer'), Topics.segmentMembership)).toBe('ok');
    expect(await produce(as('audx-outside-producer'), Topics.segmentImported)).toMatch(refused);
    expect(await produce(as('audx-segment-ingestion'), Topics.segmentImported)).toBe('ok');
    expect(await produce(as('audx-segment-ingestion'), Topics.listExported)).toMatch(refused);
    expect(await produce(as('audx-audience-publication'), Topics.imsTokenRevoked)).toMatch(refused);
    // the dead-letter topic of what it consumes, not of what others consume
    expect(await produce(as('audx-audience-publication'), 'list.exported.dlq')).toBe('ok');
    expect(await produce(as('audx-audience-publication'), 'segment.imported.dlq')).toMatch(refused);
    // nobody but the operator creates topics
    expect(await ensureTopics(kafkaAs(as('audx-identity-reconciliation')), new TopicNamer(`${testEnv().namespace}-new`), { partitions: 1, replicationFactor: 1 })).toBe('not-allowed');
  });

  it('runs the services as their own principals: a streamed membership from kcat, with a token of its org, reaches the list', async () => {
    const stack = await TestStack.start(['segment-ingestion', 'identity-reconciliation'], { KAFKA_BROKERS: brokers }, { kafkaUsers: users });
    try {
      const tenant = await stack.ims.tenant('secured broker');
      const identity = stack.url('identity-reconciliation');
      const post = (p: string, lines: unknown[]) =>
        fetch(`${identity}${p}`, { method: 'POST', headers: { ...tenant.headers, 'content-type': 'application/x-ndjson' }, body: lines.map((l) => JSON.stringify(l)).join('\n') + '\n' });
      const visitorId = `7${'0'.repeat(36)}1`;
      expect((await post('/v1/recipients', [{ recipientId: 'sasl-1' }])).status).toBe(200);
      expect((await post('/v1/visitors', [{ visitorId, recipientId: 'sasl-1' }])).status).toBe(200);

      const message = buildMessage('kcat', Topics.segmentMembership, tenant.orgId, { dataSource: 'defaultDataSource', userId: visitorId, segmentId: '9100', status: 'realized', observedAt: new Date().toISOString() });
      const args = [
        '-P', '-b', outside.bootstrap, '-t', namer.physical(Topics.segmentMembership), '-k', message.key,
        '-X', `security.protocol=${outside.securityProtocol}`, '-X', `sasl.mechanisms=${outside.mechanism}`, '-X', `sasl.username=${outside.username}`, '-X', `sasl.password=${outside.password}`,
        '-H', `authorization=Bearer ${tenant.token}`,
      ];
      await new Promise<void>((resolve, reject) => {
        const child = execFile('kcat', args, { timeout: 20000 }, (err, _out, stderr) => (err ? reject(new Error(`kcat: ${err.message} ${stderr}`)) : resolve()));
        child.stdin?.end(`${JSON.stringify(message.envelope)}\n`);
      });

      const members = await waitFor(
        async () => {
          const lists = (await (await fetch(`${identity}/v1/lists?limit=1000`, { headers: tenant.headers })).json()) as { items: { listId: string; segmentId: string | null }[] };
          const list = lists.items.find((l) => l.segmentId === '9100');
          if (!list) return false;
          const page = (await (await fetch(`${identity}/v1/lists/${list.listId}/members`, { headers: tenant.headers })).json()) as { items: string[] };
          return page.items.length > 0 ? page.items : false;
        },
        { timeoutMs: 60000, what: 'the streamed membership in its list' },
      );
      expect(members).toEqual(['sasl-1']);
      // and back: segment-ingestion hears segment.reconciled, so its streamed import completes
      const ingestion = stack.url('segment-ingestion');
      await waitFor(
        async () => {
          const page = (await (await fetch(`${ingestion}/v1/imports`, { headers: tenant.headers })).json()) as { items: { status: string }[] };
          return page.items.length > 0 && page.items.every((i) => i.status === 'completed');
        },
        { timeoutMs: 30000, what: 'the streamed import completed' },
      );
      for (const name of ['ims', 'segment-ingestion', 'identity-reconciliation'] as const) expect(stack.service(name).output.join('')).not.toMatch(/not authorized|AUTHORIZATION_FAILED/i);
    } finally {
      await stack.stop();
    }
  }, 180_000);
});

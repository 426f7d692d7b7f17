/**
 * Faults with a 100,000-member import and export in flight: each service SIGKILLed at a random
 * moment and restarted, the Kafka broker stopped and restarted, MySQL restarted. After each, the
 * list, the receipt, the audience versions and the outbound file content must equal those of an
 * undisturbed run. Then a poison message on every consumed topic must land in its DLQ while the
 * flow goes on.
 */
import { Kafka, logLevel } from 'kafkajs';
import { ALL_TOPICS, TopicName, dlqOf } from '@audx/contracts';
import { TopicNamer } from '@audx/messaging';
import { kafkaAuth, ServiceName, testEnv, TestStack, waitFor } from '@audx/testing';
import { Client, ExportView, ImportView, ListView, vid } from '../client';
import { OwnBroker, digest, moments, restartMysql } from './fault-harness';

const MEMBERS = Number(process.env.FAULT_MEMBERS ?? 100_000);
// A new seed every run explores new moments; FAULT_SEED replays a run (the seed is printed).
const seed = Number(process.env.FAULT_SEED ?? Date.now() % 2 ** 31);
const at = moments(seed);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Outcome {
  members: string;
  receipt: unknown;
  versions: number;
  size: number;
  file: string;
}

describe(`faults with ${MEMBERS.toLocaleString()} members in flight`, () => {
  let broker: OwnBroker;
  let stack: TestStack;
  let c: Client;
  let reference: Outcome;
  const file = Array.from({ length: MEMBERS }, (_, i) => `${vid(i + 1)} SEG`).join('\n') + '\n';

  beforeAll(async () => {
    process.stdout.write(`fault moments seed ${seed} (FAULT_SEED=${seed} replays them)\n`);
    broker = await OwnBroker.start();
    broker.becomeTheRunsBroker();
    stack = await TestStack.start(['segment-ingestion', 'identity-reconciliation', 'audience-publication'], { KAFKA_BROKERS: broker.brokers, IMPORT_STALE_SECONDS: '10' }, { kafkaUsers: broker.users });
    c = new Client(stack, await stack.ims.tenant('faults'));
    const recipients = Array.from({ length: MEMBERS }, (_, i) => JSON.stringify({ recipientId: `r${i + 1}`, email: `m${i + 1}@example.test` })).join('\n');
    const links = Array.from({ length: MEMBERS }, (_, i) => JSON.stringify({ visitorId: vid(i + 1), recipientId: `r${i + 1}` })).join('\n');
    await c.ok('identity-reconciliation', 'POST', '/v1/recipients', recipients, 'application/x-ndjson');
    await c.ok('identity-reconciliation', 'POST', '/v1/visitors', links, 'application/x-ndjson');
  });

  afterAll(async () => {
    await stack?.stop();
    broker?.destroy();
  });

  /** Upload (retrying as a client would when the upload itself was cut), reconcile, share, compare. */
  async function run(segment: string, disturb?: { during: 'import' | 'export'; act: () => Promise<void> }): Promise<Outcome> {
    const upload = async (): Promise<ImportView> => {
      for (let attempt = 0; ; attempt++) {
        const a = await c.call<{ importId: string }>('segment-ingestion', 'POST', '/v1/imports?format=aam-outbound&mode=full', file.replaceAll('SEG', segment)).catch(() => null);
        if (a && a.status === 202) return c.importDone(a.body.importId);
        if (attempt > 20) throw new Error(`upload kept failing: ${a?.status} ${a?.text}`);
        await sleep(1000);
      }
    };
    const importing = upload();
    if (disturb?.during === 'import') await disturb.act();
    const done = await importing;
    expect(done.status).toBe('completed');
    const list = await waitFor<ListView>(() => c.listOf(segment).catch(() => false), { what: "list" });
    const share = async (): Promise<ExportView> => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await c.share(list.listId, { dataSource: 'defaultDataSource', segmentId: segment, audienceName: `faults ${segment}`, mode: 'full' });
        } catch (err) {
          if (attempt > 20) throw err;
          await sleep(1000);
        }
      }
    };
    const sharing = share();
    if (disturb?.during === 'export') await disturb.act();
    const exported = await sharing;
    expect(exported.status).toBe('published');
    const all = await c.ok<{ version: number; size: number; files: { fileName: string }[] }[]>(
      'audience-publication', 'GET', `/v1/audiences/${exported.audienceId}/versions`,
    );
    const content: string[] = [];
    for (const f of all[0].files.filter((x) => !x.fileName.endsWith('.info'))) {
      const text = (await c.call('audience-publication', 'GET', `/v1/audiences/${exported.audienceId}/versions/${all[0].version}/files/${f.fileName}`)).text;
      content.push(...text.trim().split('\n').map((l) => l.replace(/\t.*$/, `\t${l.includes('d_sid') ? 'add' : 'other'}`)));
    }
    const receipt = { ...(done.receipt as Record<string, unknown>), segments: undefined };
    return { members: digest(await c.members(list.listId)), receipt, versions: all.length, size: all[0].size, file: digest(content) };
  }

  const restartAfter = (name: ServiceName, minMs: number, maxMs: number) => async () => {
    const wait = at(minMs, maxMs);
    await sleep(wait);
    const s = stack.service(name);
    await s.kill();
    process.stdout.write(`  SIGKILL ${name} after ${wait} ms\n`);
    await s.start(120000);
  };

  it('an undisturbed run sets the reference', async () => {
    reference = await run('600');
    expect(reference.size).toBe(MEMBERS);
    expect(reference.versions).toBe(1);
  });

  it.each([
    // each case its own segment (a reused one would find the list and audience of an earlier case)
    ['segment-ingestion', 'import', 50, 1500, '611'],
    ['identity-reconciliation', 'import', 300, 3000, '612'],
    ['identity-reconciliation', 'export', 50, 1500, '613'],
    ['audience-publication', 'export', 100, 2500, '614'],
    ['ims', 'import', 50, 1000, '615'],
  ] as const)('SIGKILL %s during the %s converges to the reference', async (name, during, min, max, segment) => {
    const outcome = await run(segment, { during, act: restartAfter(name, min, max) });
    expect(outcome).toEqual(reference);
  });

  it('a Kafka broker stopped and restarted mid-import converges to the reference', async () => {
    const outcome = await run('620', {
      during: 'import',
      act: async () => {
        await sleep(at(200, 1500));
        broker.stop();
        process.stdout.write('  broker stopped\n');
        await sleep(3000);
        broker.start();
        process.stdout.write('  broker restarted\n');
      },
    });
    expect(outcome).toEqual(reference);
  });

  it('MySQL restarted mid-import converges to the reference', async () => {
    const outcome = await run('630', {
      during: 'import',
      act: async () => {
        await sleep(at(300, 2000));
        await restartMysql();
        process.stdout.write('  mysql restarted\n');
      },
    });
    expect(outcome).toEqual(reference);
  });

  it('a poison message on every consumed topic lands in its DLQ and the flow goes on', async () => {
    const env = testEnv();
    const namer = new TopicNamer(env.namespace);
    const kafka = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING, ...kafkaAuth() });
    const producer = kafka.producer();
    await producer.connect();
    const consumed: TopicName[] = ALL_TOPICS.filter((t) => !['list.updated', 'audience.published'].includes(t));
    const marker = `poison-${Date.now()}`;
    for (const t of consumed) await producer.send({ topic: namer.physical(t), messages: [{ key: marker, value: `${marker} not json` }] });
    await producer.disconnect();
    const seen = new Set<string>();
    const reader = kafka.consumer({ groupId: namer.group(`dlq-reader-${marker}`) });
    await reader.connect();
    await reader.subscribe({ topics: consumed.map((t) => namer.physical(dlqOf(t))), fromBeginning: true });
    await reader.run({
      eachMessage: async ({ topic, message }) => {
        if (message.value?.toString().startsWith(marker)) seen.add(namer.logical(topic).replace(/\.dlq$/, ''));
      },
    });
    try {
      await waitFor(() => seen.size === consumed.length, { timeoutMs: 60000, what: 'a dead letter on every DLQ' }).catch(async (err) => {
        const admin = kafka.admin();
        await admin.connect();
        const offsets = await Promise.all(consumed.map(async (t) => `${t}: ${JSON.stringify((await admin.fetchTopicOffsets(namer.physical(dlqOf(t)))).map((p) => p.high))}`));
        await admin.disconnect();
        // what each service said of its consumers, so that a failure here can be diagnosed from the CI log
        const said = (['ims', 'segment-ingestion', 'identity-reconciliation', 'audience-publication'] as const).map((n) => {
          const lines = stack.service(n).output.join('').split('\n').filter((l) => /crash|consumer|rebalanc|error/i.test(l));
          return `${n}:\n${lines.slice(-15).join('\n')}`;
        });
        throw new Error(`${(err as Error).message}; seen ${[...seen].join(', ')}; DLQ high watermarks ${offsets.join('; ')}\n${said.join('\n')}`);
      });
    } finally {
      await reader.disconnect();
    }
    // and the flow goes on
    const after = await run('640');
    expect(after).toEqual(reference);
  });
});

import type { Connection } from 'mysql2/promise';
import { Topics } from '@audx/contracts';
import { BROKER_DEFAULT_MAX_MESSAGE_BYTES } from '@audx/messaging';
import { ServiceProcess, TestStack, connectDatabase, testDatabase, waitFor } from '@audx/testing';
import { IdentityClient, Observed, Producers, visitorId } from './harness';

/**
 * The local broker keeps Kafka's default `message.max.bytes` (about 1 MiB), as production does.
 * A share whose identifiers weigh more than that must still publish, chunk by chunk, without ever
 * riding in the outbox; and an outbox row Kafka can never take must be parked, not block the rest.
 */
describe('identity-reconciliation: bulk shares and the outbox at a broker default message size', () => {
  const MEMBERS = 36_000; // 36,000 visitor IDs: about 1.5 MB of identifiers
  let stack: TestStack;
  let service: ServiceProcess;
  let producers: Producers;
  let observed: Observed;
  let a: IdentityClient;
  let b: IdentityClient;
  let db: Connection;

  beforeAll(async () => {
    // lists over 1,000 members share in the big lane; a list named "held ..." holds its share open 30 s
    stack = await TestStack.start(['identity-reconciliation'], { IMPORT_APPLY_POLL_MS: '100', SHARE_SMALL_MAX_MEMBERS: '1000', SHARE_TEST_DELAY_MS: '30000', SHARE_TEST_DELAY_PREFIX: 'held ' });
    service = stack.service('identity-reconciliation');
    a = new IdentityClient(service.url, await stack.ims.tenant('Bulk share A'));
    b = new IdentityClient(service.url, await stack.ims.tenant('Bulk share B'));
    producers = new Producers();
    observed = new Observed(producers);
    await observed.start([Topics.listExported, Topics.datasourceChanged]);
    db = await connectDatabase(testDatabase('audx_identity'));
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await observed?.stop();
    await producers?.close();
    await stack?.stop();
  });

  async function listWithVisitors(client: IdentityClient, count: number, segmentId: string, offset: number): Promise<string> {
    const rid = (i: number) => `bulk-${offset + i}`;
    for (let from = 0; from < count; from += 10_000) {
      const n = Math.min(10_000, count - from);
      await client.upsertRecipients(Array.from({ length: n }, (_, i) => ({ recipientId: rid(from + i) })));
      await client.linkVisitors(Array.from({ length: n }, (_, i) => ({ visitorId: visitorId(offset + from + i), recipientId: rid(from + i) })));
    }
    const importId = await producers.sendImport(client.orgId, {
      dataSource: 'defaultDataSource',
      segments: [{ segmentId }],
      members: Array.from({ length: count }, (_, i) => ({ userId: visitorId(offset + i), add: [segmentId] })),
      chunkSize: 5000,
    });
    const report = await client.waitReconciled(importId, 60_000);
    expect(report.lists[0]).toMatchObject({ size: count });
    return report.lists[0].listId;
  }

  it('publishes a share larger than any single message, in chunks that each fit, and another org\'s small share beside it', async () => {
    const big = await listWithVisitors(a, MEMBERS, '81', 1_000_000);
    const small = await listWithVisitors(b, 30, '82', 5_000_000);

    const { exportId } = await a.ok<{ exportId: string }>('POST', `/v1/lists/${big}/share`, { dataSource: 'defaultDataSource', segmentId: '81', mode: 'full' }, [202]);
    const asked = Date.now();
    const { exportId: smallId } = await b.ok<{ exportId: string }>('POST', `/v1/lists/${small}/share`, { dataSource: 'defaultDataSource', segmentId: '82' }, [202]);
    await observed.waitFor<typeof Topics.listExported>('ListExported', b.orgId, (p) => p.exportId === smallId && p.last, 1, 5000);
    expect(Date.now() - asked).toBeLessThan(5000);

    const [last] = await observed.waitFor<typeof Topics.listExported>('ListExported', a.orgId, (p) => p.exportId === exportId && p.last, 1, 60_000);
    const chunks = last.payload.totals!.chunks;
    await waitFor(() => new Set(observed.of<typeof Topics.listExported>('ListExported', a.orgId, (p) => p.exportId === exportId).map((e) => e.payload.seq)).size === chunks, {
      timeoutMs: 30_000,
      what: `all ${chunks} chunks`,
    });
    const all = observed.of<typeof Topics.listExported>('ListExported', a.orgId, (p) => p.exportId === exportId);
    const bySeq = new Map(all.map((e) => [e.payload.seq, e]));
    const identifiers = [...bySeq.values()].flatMap((e) => e.payload.identifiers);
    expect(Buffer.byteLength(JSON.stringify(identifiers))).toBeGreaterThan(BROKER_DEFAULT_MAX_MESSAGE_BYTES);
    expect(new Set(identifiers).size).toBe(MEMBERS);
    expect(last.payload.totals).toMatchObject({ members: MEMBERS, withIdentifier: MEMBERS, identifiers: MEMBERS });
    for (const e of bySeq.values()) expect(Buffer.byteLength(JSON.stringify(e))).toBeLessThan(BROKER_DEFAULT_MAX_MESSAGE_BYTES / 2);
    // the bulk never rode in the outbox, and its snapshot is gone once sent
    const [[snapshot]] = (await db.query('SELECT COUNT(*) AS n FROM export_chunks WHERE org_id = ?', [a.orgId])) as unknown as [{ n: number }[]];
    expect(Number(snapshot.n)).toBe(0);
    const [[state]] = (await db.query('SELECT send_status, chunks_sent, chunks FROM exports WHERE org_id = ? AND export_id = ?', [a.orgId, exportId])) as unknown as [
      { send_status: string; chunks_sent: number; chunks: number }[],
    ];
    expect(state).toMatchObject({ send_status: 'sent', chunks_sent: chunks });
  }, 180_000);

  it("makes another org's small share while a big share is still being made", async () => {
    const big = await a.ok<{ listId: string }>('POST', '/v1/lists', { name: 'held big', recipientIds: Array.from({ length: 5000 }, (_, i) => `bulk-${1_000_000 + i}`) }, [201]);
    const small = await b.ok<{ listId: string }>('POST', '/v1/lists', { name: 'small beside', recipientIds: Array.from({ length: 30 }, (_, i) => `bulk-${5_000_000 + i}`) }, [201]);
    const { exportId: bigId } = await a.ok<{ exportId: string }>('POST', `/v1/lists/${big.listId}/share`, { dataSource: 'defaultDataSource', audienceName: 'held big' }, [202]);
    await waitFor(() => service.output.join('').includes('holding a share transaction open'), { timeoutMs: 20_000, what: 'the big share in its transaction' });

    const asked = Date.now();
    const { exportId: smallId } = await b.ok<{ exportId: string }>('POST', `/v1/lists/${small.listId}/share`, { dataSource: 'defaultDataSource', audienceName: 'small beside' }, [202]);
    await observed.waitFor<typeof Topics.listExported>('ListExported', b.orgId, (p) => p.exportId === smallId && p.last, 1, 5000);
    expect(Date.now() - asked).toBeLessThan(5000);
    // the big one was still being made meanwhile, and is made in the end
    expect(observed.of<typeof Topics.listExported>('ListExported', a.orgId, (p) => p.exportId === bigId)).toHaveLength(0);
    const [last] = await observed.waitFor<typeof Topics.listExported>('ListExported', a.orgId, (p) => p.exportId === bigId && p.last, 1, 60_000);
    expect(last.payload.totals).toMatchObject({ members: 5000, withIdentifier: 5000 });
  }, 120_000);

  it('parks an outbox row Kafka will never take, and the events behind it flow', async () => {
    const huge = JSON.stringify({ id: 'f0000000-0000-5000-a000-000000000001', orgId: a.orgId, payload: 'x'.repeat(2 * 1024 * 1024) });
    await db.query("INSERT INTO outbox (event_id, topic, msg_key, value) VALUES ('f0000000-0000-5000-a000-000000000001', 'list.updated', 'poison', ?)", [huge]);
    await a.putDataSource('afterPoison', { kind: 'declared', reconciliationKey: 'email', hash: 'sha256' });
    await observed.waitFor<typeof Topics.datasourceChanged>('DatasourceChanged', a.orgId, (p) => p.name === 'afterPoison', 1, 10_000);

    const [[parked]] = (await db.query("SELECT topic, reason, OCTET_LENGTH(value) AS bytes FROM outbox_parked WHERE event_id = 'f0000000-0000-5000-a000-000000000001'")) as unknown as [
      { topic: string; reason: string; bytes: number }[],
    ];
    expect(parked).toMatchObject({ topic: 'list.updated', reason: expect.stringContaining('larger than') });
    expect(Number(parked.bytes)).toBe(Buffer.byteLength(huge));
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/audx_outbox_parked_total\{reason="too_large"[^}]*\} 1/);
    expect(metrics).toMatch(/audx_outbox_parked\{[^}]*\} 1/);
    expect(service.output.join('')).toContain('outbox row parked');
  }, 60_000);
});

import { randomUUID } from 'node:crypto';
import type { Connection } from 'mysql2/promise';
import { Topics } from '@audx/contracts';
import { aesEncrypt, aesKey } from '@audx/identifiers';
import { ServiceProcess, TestStack, connectDatabase, testDatabase, waitFor } from '@audx/testing';
import { IdentityClient, Observed, Producers, visitorId } from './harness';

/**
 * The service is SIGKILLed twice during one import: while a chunk is being staged from the inbox
 * (IMPORT_EXPAND_TEST_DELAY_MS holds its transaction open), and inside
 * the transaction that applies the import (IMPORT_APPLY_TEST_DELAY_MS holds it open). After each
 * restart it must converge to exactly the list it would have reached without a crash.
 */
describe('identity-reconciliation killed mid-import', () => {
  let stack: TestStack;
  let service: ServiceProcess;
  let producers: Producers;
  let observed: Observed;
  let client: IdentityClient;
  let db: Connection;

  beforeAll(async () => {
    // the delay holds only this suite's import: topics are shared with the run's other suites, whose imports the service also applies
    stack = await TestStack.start(['identity-reconciliation'], { IMPORT_APPLY_TEST_DELAY_MS: '4000', IMPORT_APPLY_TEST_DELAY_PREFIX: 'crash-', IMPORT_EXPAND_TEST_DELAY_MS: '700', IMPORT_EXPAND_TEST_DELAY_PREFIX: 'crash-', IMPORT_APPLY_POLL_MS: '100', KAFKA_SESSION_TIMEOUT_MS: '6000' });
    service = stack.service('identity-reconciliation');
    client = new IdentityClient(service.url, await stack.ims.tenant('Identity crash'));
    producers = new Producers();
    observed = new Observed(producers);
    await observed.start([Topics.segmentReconciled]);
    db = await connectDatabase(testDatabase('audx_identity'));
  });

  afterAll(async () => {
    await db?.end();
    await observed?.stop();
    await producers?.close();
    await stack?.stop();
  });

  async function importRow(importId: string): Promise<{ status: string; chunks: number } | undefined> {
    const [found] = await db.query('SELECT i.status, (SELECT COUNT(*) FROM import_chunks c WHERE c.import_pk = i.import_pk) AS chunks FROM imports i WHERE i.org_id = ? AND i.import_id = ?', [
      client.orgId,
      importId,
    ]);
    const row = (found as { status: string; chunks: string }[])[0];
    return row ? { status: row.status, chunks: Number(row.chunks) } : undefined;
  }

  async function listsOf70(isolation: 'READ UNCOMMITTED' | 'REPEATABLE READ'): Promise<number> {
    await db.query(`SET SESSION TRANSACTION ISOLATION LEVEL ${isolation}`);
    const [found] = await db.query("SELECT COUNT(*) AS n FROM lists WHERE org_id = ? AND segment_id = '70'", [client.orgId]);
    return Number((found as { n: string }[])[0].n);
  }

  it('converges to the exact list after a crash while staging and another while applying', async () => {
    await client.upsertRecipients(Array.from({ length: 40 }, (_, i) => ({ recipientId: `k-${String(i).padStart(2, '0')}` })));
    await client.linkVisitors(Array.from({ length: 40 }, (_, i) => ({ visitorId: visitorId(500 + i), recipientId: `k-${String(i).padStart(2, '0')}` })));
    // 30 members added, 10 identifiers nobody knows; 5 chunks of 8
    const members = [
      ...Array.from({ length: 30 }, (_, i) => ({ userId: visitorId(500 + i), add: ['70'] })),
      ...Array.from({ length: 10 }, (_, i) => ({ userId: visitorId(900 + i), add: ['70'] })),
    ];
    const chunks = producers.chunks({ dataSource: 'defaultDataSource', mode: 'full', segments: [{ segmentId: '70' }], members, chunkSize: 8 }, `crash-${randomUUID().slice(0, 8)}`);
    const importId = chunks[0].importId;
    expect(chunks).toHaveLength(5);

    for (const c of chunks.slice(0, 3)) await producers.publish(Topics.segmentImported, client.orgId, c);
    await waitFor(async () => ((await importRow(importId))?.chunks ?? 0) >= 2, { what: 'two chunks staged' });
    // killed while the third chunk's staging transaction is open (each is held 700 ms)
    await service.kill();
    for (const c of chunks.slice(3)) await producers.publish(Topics.segmentImported, client.orgId, c);
    // the first three again, as a producer retrying after a timeout would
    for (const c of chunks.slice(0, 3)) await producers.publish(Topics.segmentImported, client.orgId, c);

    await producers.waitForEmptyGroup();
    await service.start();
    // the applier logs this line with its writes done, inside the transaction the delay holds open
    const inFlight = () => service.output.join('').split('\n').some((l) => l.includes('holding the apply transaction open') && l.includes(importId));
    await waitFor(inFlight, { timeoutMs: 60000, intervalMs: 20, what: 'the applier inside its transaction' });
    expect(await listsOf70('READ UNCOMMITTED')).toBe(1); // written, not committed
    await service.kill();
    expect(await listsOf70('REPEATABLE READ')).toBe(0);
    expect((await importRow(importId))?.status).toBe('ready');

    await producers.waitForEmptyGroup();
    await service.start();
    // generous: under a loaded CI machine the restarted applier may need a few polls
    const report = await client.waitReconciled(importId, 120000).catch((err: Error) => {
      throw new Error(`${err.message}\nservice output:\n${service.output.join('').slice(-4000)}`);
    });
    expect(report).toMatchObject({ matched: 30, unmatched: 10, invalid: 0 });
    const list = (await client.listOf('defaultDataSource', '70'))!;
    expect(list.size).toBe(30);
    expect(await client.members(list.listId)).toEqual(Array.from({ length: 30 }, (_, i) => `k-${String(i).padStart(2, '0')}`));
    expect(report.lists).toEqual([{ listId: list.listId, segmentId: '70', size: 30, added: 30, removed: 0 }]);
    expect((await client.unmatched(importId)).map((u) => u.reason)).toEqual(new Array(10).fill('not_found'));
    const events = await observed.waitFor<typeof Topics.segmentReconciled>('SegmentReconciled', client.orgId, (p) => p.importId === importId);
    expect(new Set(events.map((e) => e.id)).size).toBe(1);
    // the staging rows go once the import is applied; the report stays
    await waitFor(
      async () => {
        const [staged] = await db.query(
          'SELECT i.staging_purged AS purged, (SELECT COUNT(*) FROM import_rows s WHERE s.import_pk = i.import_pk) + (SELECT COUNT(*) FROM import_matches m WHERE m.import_pk = i.import_pk) AS n FROM imports i WHERE i.org_id = ? AND i.import_id = ?',
          [client.orgId, importId],
        );
        const row = (staged as { purged: number; n: string }[])[0];
        return Number(row.purged) === 1 && Number(row.n) === 0;
      },
      { what: 'staging purged' },
    );
    expect(await client.unmatched(importId)).toHaveLength(10);
  });

  it('makes after a restart, once, a share asked for before the crash; a request whose list is gone fails with that reason', async () => {
    await client.upsertRecipients(Array.from({ length: 5 }, (_, i) => ({ recipientId: `sh-${i}` })));
    await client.linkVisitors(Array.from({ length: 5 }, (_, i) => ({ visitorId: visitorId(600 + i), recipientId: `sh-${i}` })));
    const list = await client.ok<{ listId: string }>('POST', '/v1/lists', { name: 'shared across a crash', recipientIds: Array.from({ length: 5 }, (_, i) => `sh-${i}`) }, [201]);
    await service.kill();
    // answered 202, then the process died before the runner took the request
    const exportId = `exp_crash${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const gone = `exp_gone${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const body = JSON.stringify({ dataSource: 'defaultDataSource', mode: 'incremental' });
    await db.query('INSERT INTO share_requests (org_id, export_id, list_id, body, created_at) VALUES (?, ?, ?, ?, NOW(3)), (?, ?, ?, ?, NOW(3))', [
      client.orgId, exportId, list.listId, body,
      client.orgId, gone, 'lst_nosuchlist', body,
    ]);
    await service.start();

    const share = await waitFor(async () => {
      const r = await client.ok<{ status: string; members: number; withIdentifier: number }>('GET', `/v1/shares/${exportId}`);
      return r.status === 'emitted' ? r : undefined;
    }, { timeoutMs: 60000, what: 'the share made after the restart' });
    expect(share).toMatchObject({ members: 5, withIdentifier: 5 });
    const failed = await waitFor(async () => {
      const r = await client.ok<{ status: string; failure?: string }>('GET', `/v1/shares/${gone}`);
      return r.status === 'failed' ? r : undefined;
    }, { what: 'the request for a missing list failed' });
    expect(failed.failure).toBe('list not found');
    const [counts] = await db.query('SELECT (SELECT COUNT(*) FROM share_requests WHERE org_id = ? AND export_id = ?) AS waiting, (SELECT COUNT(*) FROM exports WHERE org_id = ? AND export_id = ?) AS made', [client.orgId, exportId, client.orgId, exportId]);
    const { waiting, made } = (counts as { waiting: string; made: string }[])[0];
    expect([Number(waiting), Number(made)]).toEqual([0, 1]);
  });

  it('seals at boot the AES keys an earlier version stored in plain, and still matches with them', async () => {
    const key = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
    const iv = 'f0e0d0c0b0a090807060504030201000';
    await client.upsertRecipients([{ recipientId: 'legacy-1', crmId: 'CRM-legacy-1' }]);
    await db.query(
      `INSERT INTO data_sources (org_id, name, label, kind, reconciliation_key, dpid, hash, encryption_key_hex, encryption_iv_hex, encryption_channel, priority, export_controls, created_at, updated_at)
       VALUES (?, 'legacyAes', 'written before sealing', 'declared', 'crmId', 4242, 'none', ?, ?, 'other', 0, '[]', NOW(6), NOW(6))`,
      [client.orgId, key, iv],
    );
    await service.kill();
    await service.start();

    const [stored] = await db.query('SELECT encryption_key_hex, encryption_key_sealed FROM data_sources WHERE org_id = ? AND name = ?', [client.orgId, 'legacyAes']);
    const row = (stored as { encryption_key_hex: string | null; encryption_key_sealed: string | null }[])[0];
    expect(row.encryption_key_hex).toBeNull();
    expect(row.encryption_key_sealed).toMatch(/^v1\./);
    expect(row.encryption_key_sealed).not.toContain(key);

    const importId = await producers.sendImport(client.orgId, { dataSource: 'legacyAes', segments: [{ segmentId: '71' }], members: [{ userId: aesEncrypt('CRM-legacy-1', aesKey(key, iv)), add: ['71'] }] });
    expect(await client.waitReconciled(importId, 60000)).toMatchObject({ matched: 1, unmatched: 0 });
    expect(await client.members((await client.listOf('legacyAes', '71'))!.listId)).toEqual(['legacy-1']);
  });
});

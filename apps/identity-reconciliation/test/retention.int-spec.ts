import type { Connection } from 'mysql2/promise';
import { Topics } from '@audx/contracts';
import { TestStack, connectDatabase, testDatabase, waitFor } from '@audx/testing';
import { IdentityClient, Producers, consumed, visitorId } from './harness';

/**
 * What identity-reconciliation stops keeping. A sender that dies mid-import never sends the rest:
 * after IMPORT_ABANDON_SECONDS the import is abandoned, its staging freed, and a chunk arriving
 * later cannot apply half an import. Unmatched reports go IMPORT_REPORT_RETENTION_SECONDS after
 * their import was applied.
 */
describe('identity-reconciliation: abandoned imports and report retention', () => {
  let stack: TestStack;
  let producers: Producers;
  let client: IdentityClient;
  let db: Connection;

  beforeAll(async () => {
    stack = await TestStack.start(['identity-reconciliation'], { IMPORT_ABANDON_SECONDS: '5', IMPORT_REPORT_RETENTION_SECONDS: '6', IMPORT_APPLY_POLL_MS: '200' });
    client = new IdentityClient(stack.url('identity-reconciliation'), await stack.ims.tenant('Identity abandon'));
    producers = new Producers();
    db = await connectDatabase(testDatabase('audx_identity'));
  });

  afterAll(async () => {
    await db?.end();
    await producers?.close();
    await stack?.stop();
  });

  const importRow = async (importId: string) => {
    const [found] = await db.query(
      'SELECT i.status, i.staging_purged AS purged, (SELECT COUNT(*) FROM import_rows r WHERE r.import_pk = i.import_pk) AS staged FROM imports i WHERE i.org_id = ? AND i.import_id = ?',
      [client.orgId, importId],
    );
    const row = (found as { status: string; purged: number; staged: string }[])[0];
    return row && { status: row.status, purged: Number(row.purged), staged: Number(row.staged) };
  };

  it('abandons the import, frees its staging, and ignores the chunk that comes too late', async () => {
    await client.upsertRecipients(Array.from({ length: 6 }, (_, i) => ({ recipientId: `ab-${i}` })));
    await client.linkVisitors(Array.from({ length: 6 }, (_, i) => ({ visitorId: visitorId(700 + i), recipientId: `ab-${i}` })));
    const chunks = producers.chunks({ dataSource: 'defaultDataSource', segments: [{ segmentId: '80' }], members: Array.from({ length: 6 }, (_, i) => ({ userId: visitorId(700 + i), add: ['80'] })), chunkSize: 2 });
    const importId = chunks[0].importId;
    for (const c of chunks.slice(0, 2)) await producers.publish(Topics.segmentImported, client.orgId, c);
    await waitFor(async () => (await importRow(importId))?.staged === 4, { what: 'two chunks staged' });

    await waitFor(async () => {
      const r = await importRow(importId);
      return r?.status === 'abandoned' && r.purged === 1 && r.staged === 0;
    }, { timeoutMs: 30000, what: 'import abandoned and its staging freed' });

    const url = stack.url('identity-reconciliation');
    const before = await consumed(url, Topics.segmentImported, 'processed');
    await producers.publish(Topics.segmentImported, client.orgId, chunks[2]);
    await waitFor(async () => (await consumed(url, Topics.segmentImported, 'processed')) > before, { what: 'the late chunk consumed' });
    // it changed nothing: no list for segment 80, the import stays abandoned
    expect(await client.listOf('defaultDataSource', '80')).toBeUndefined();
    expect(await importRow(importId)).toMatchObject({ status: 'abandoned', staged: 0 });
  });

  it('purges an unmatched report after its retention, keeps the figures, and says so', async () => {
    const importId = await producers.sendImport(client.orgId, {
      dataSource: 'defaultDataSource',
      segments: [{ segmentId: '82' }],
      members: [{ userId: visitorId(701), add: ['82'] }, { userId: visitorId(990), add: ['82'] }],
    });
    expect(await client.waitReconciled(importId)).toMatchObject({ matched: 1, unmatched: 1 });
    expect(await client.unmatched(importId)).toEqual([{ userId: visitorId(990), reason: 'not_found' }]);

    const gone = await waitFor(async () => {
      const res = await client.request('GET', `/v1/imports/${importId}/unmatched`);
      return res.status === 404 && ((await res.json()) as { error: { message: string } });
    }, { timeoutMs: 30000, what: 'report purged' });
    expect(gone.error.message).toMatch(/purged 6 s after .*IMPORT_REPORT_RETENTION_SECONDS/);
    const [left] = await db.query('SELECT COUNT(*) AS n FROM import_unmatched u JOIN imports i ON i.import_pk = u.import_pk WHERE i.org_id = ? AND i.import_id = ?', [client.orgId, importId]);
    expect(Number((left as { n: string }[])[0].n)).toBe(0);
    expect(await client.ok('GET', `/v1/imports/${importId}`)).toMatchObject({ status: 'reconciled', matched: 1, unmatched: 1 });
    expect(await client.members((await client.listOf('defaultDataSource', '82'))!.listId)).toEqual(['ab-1']);
  });
});

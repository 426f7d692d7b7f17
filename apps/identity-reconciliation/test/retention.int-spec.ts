import { randomUUID } from 'node:crypto';
import type { Connection } from 'mysql2/promise';
import { Topics, reconciliationFailed } from '@audx/contracts';
import { TestStack, connectDatabase, testDatabase, waitFor } from '@audx/testing';
import { DeadLetters, IdentityClient, Observed, Producers, consumed, nextSequence, visitorId } from './harness';

/**
 * What identity-reconciliation stops keeping. A sender that dies mid-import never sends the rest:
 * after IMPORT_ABANDON_SECONDS the import is abandoned, its staging freed, and a chunk arriving
 * later cannot apply half an import. Unmatched reports go IMPORT_REPORT_RETENTION_SECONDS after
 * their import was applied. An import given up (abandoned, or failing every apply) is reported on
 * `segment.reconciled` with a failure, so that segment-ingestion can end it too.
 */
describe('identity-reconciliation: abandoned imports and report retention', () => {
  let stack: TestStack;
  let producers: Producers;
  let client: IdentityClient;
  let db: Connection;
  let observed: Observed;
  let deadLetters: DeadLetters;

  beforeAll(async () => {
    // chunks always resolved on arrival here (the suites of a run share topics, so the consumer's
    // backlog is theirs too); the apply resolving deferred chunks has a test of its own below
    stack = await TestStack.start(['identity-reconciliation'], { IMPORT_ABANDON_SECONDS: '5', IMPORT_REPORT_RETENTION_SECONDS: '6', IMPORT_APPLY_POLL_MS: '200', IMPORT_RESOLVE_MAX_BACKLOG: '1000000',
      // chunks of `slow-` imports take this long each to stage: a big file's backlog, made visible
      IMPORT_EXPAND_TEST_DELAY_MS: '2500', IMPORT_EXPAND_TEST_DELAY_PREFIX: 'slow-' });
    client = new IdentityClient(stack.url('identity-reconciliation'), await stack.ims.tenant('Identity abandon'));
    producers = new Producers();
    db = await connectDatabase(testDatabase('audx_identity'));
    observed = new Observed(producers);
    await observed.start([Topics.segmentReconciled]);
    deadLetters = new DeadLetters(producers, Topics.segmentImported);
    await deadLetters.start();
  });

  afterAll(async () => {
    await deadLetters?.stop();
    await observed?.stop();
    await db?.end();
    await producers?.close();
    await stack?.stop();
  });

  const importRow = async (importId: string) => {
    const [found] = await db.query(
      'SELECT i.status, i.staging_purged AS purged, (SELECT COUNT(*) FROM import_rows r WHERE r.import_pk = i.import_pk) AS staged, (SELECT COUNT(*) FROM import_matches m WHERE m.import_pk = i.import_pk) AS matches FROM imports i WHERE i.org_id = ? AND i.import_id = ?',
      [client.orgId, importId],
    );
    const row = (found as { status: string; purged: number; staged: string; matches: string }[])[0];
    return row && { status: row.status, purged: Number(row.purged), staged: Number(row.staged), matches: Number(row.matches) };
  };

  const reportsOf = (importId: string) => observed.waitFor<typeof Topics.segmentReconciled>('SegmentReconciled', client.orgId, (p) => p.importId === importId);

  it('abandons the import, frees its staging, and ignores the chunk that comes too late', async () => {
    await client.upsertRecipients(Array.from({ length: 6 }, (_, i) => ({ recipientId: `ab-${i}` })));
    await client.linkVisitors(Array.from({ length: 6 }, (_, i) => ({ visitorId: visitorId(700 + i), recipientId: `ab-${i}` })));
    const chunks = producers.chunks({ dataSource: 'defaultDataSource', segments: [{ segmentId: '80' }], members: Array.from({ length: 6 }, (_, i) => ({ userId: visitorId(700 + i), add: ['80'] })), chunkSize: 2 });
    const importId = chunks[0].importId;
    for (const c of chunks.slice(0, 2)) await producers.publish(Topics.segmentImported, client.orgId, c);
    await waitFor(async () => (await importRow(importId))?.staged === 4, { what: 'two chunks staged' });
    // resolved as they arrived, before the import is complete
    expect((await importRow(importId))?.matches).toBe(4);

    await waitFor(async () => {
      const r = await importRow(importId);
      return r?.status === 'abandoned' && r.purged === 1 && r.staged === 0 && r.matches === 0;
    }, { timeoutMs: 30000, what: 'import abandoned and its staging freed' });
    // segment-ingestion is told, in the transaction that abandoned it: nothing applied, and why
    expect((await reportsOf(importId)).map((e) => e.payload)).toEqual([reconciliationFailed(importId, 'chunks missing: the sender stopped mid-import')]);

    const url = stack.url('identity-reconciliation');
    const before = await consumed(url, Topics.segmentImported, 'processed');
    await producers.publish(Topics.segmentImported, client.orgId, chunks[2]);
    await waitFor(async () => (await consumed(url, Topics.segmentImported, 'processed')) > before, { what: 'the late chunk consumed' });
    // it changed nothing: no list for segment 80, the import stays abandoned
    expect(await client.listOf('defaultDataSource', '80')).toBeUndefined();
    expect(await importRow(importId)).toMatchObject({ status: 'abandoned', staged: 0, matches: 0 });
    expect(observed.of<typeof Topics.segmentReconciled>('SegmentReconciled', client.orgId, (p) => p.importId === importId)).toHaveLength(1);
  });

  it('resolves each chunk as it arrives, and a recipient erased before the apply is not written to the list', async () => {
    await client.upsertRecipients(Array.from({ length: 3 }, (_, i) => ({ recipientId: `er-${i}` })));
    await client.linkVisitors(Array.from({ length: 3 }, (_, i) => ({ visitorId: visitorId(720 + i), recipientId: `er-${i}` })));
    const chunks = producers.chunks({ dataSource: 'defaultDataSource', segments: [{ segmentId: '85' }], members: Array.from({ length: 3 }, (_, i) => ({ userId: visitorId(720 + i), add: ['85'] })), chunkSize: 2 });
    const importId = chunks[0].importId;
    await producers.publish(Topics.segmentImported, client.orgId, chunks[0]);
    await waitFor(async () => (await importRow(importId))?.matches === 2, { what: 'the first chunk resolved' });
    expect((await client.request('DELETE', '/v1/recipients/er-0')).status).toBe(204);
    expect((await importRow(importId))?.matches).toBe(1);

    await producers.publish(Topics.segmentImported, client.orgId, chunks[1]);
    const [report] = await reportsOf(importId);
    expect(report.payload).toMatchObject({ matched: 3, unmatched: 0 });
    const list = (await client.listOf('defaultDataSource', '85'))!;
    expect(await client.members(list.listId)).toEqual(['er-1', 'er-2']);
  });

  it('resolves at apply the chunks staged without being resolved (a consumer that was behind, or an older version)', async () => {
    await client.upsertRecipients(Array.from({ length: 3 }, (_, i) => ({ recipientId: `ur-${i}` })));
    await client.linkVisitors(Array.from({ length: 3 }, (_, i) => ({ visitorId: visitorId(730 + i), recipientId: `ur-${i}` })));
    const members = [...Array.from({ length: 3 }, (_, i) => ({ userId: visitorId(730 + i), add: ['86'] })), { userId: visitorId(739), add: ['86'] }];
    const chunks = producers.chunks({ dataSource: 'defaultDataSource', segments: [{ segmentId: '86' }], members, chunkSize: 2 });
    const importId = chunks[0].importId;
    await producers.publish(Topics.segmentImported, client.orgId, chunks[0]);
    await waitFor(async () => (await importRow(importId))?.matches === 2, { what: 'the first chunk resolved' });
    // as if the first chunk had been staged only
    await db.query('DELETE m FROM import_matches m JOIN imports i ON i.import_pk = m.import_pk WHERE i.org_id = ? AND i.import_id = ?', [client.orgId, importId]);
    await db.query('UPDATE import_chunks c JOIN imports i ON i.import_pk = c.import_pk SET c.resolved = 0 WHERE i.org_id = ? AND i.import_id = ?', [client.orgId, importId]);

    await producers.publish(Topics.segmentImported, client.orgId, chunks[1]);
    const [report] = await reportsOf(importId);
    expect(report.payload).toMatchObject({ matched: 3, unmatched: 1 });
    const list = (await client.listOf('defaultDataSource', '86'))!;
    expect(await client.members(list.listId)).toEqual(['ur-0', 'ur-1', 'ur-2']);
    expect((await client.unmatched(importId)).map((u) => u.userId)).toEqual([visitorId(739)]);
  });

  it("applies a one-chunk import (streamed memberships) at once while a big import's chunks wait to be staged", async () => {
    await client.upsertRecipients(Array.from({ length: 6 }, (_, i) => ({ recipientId: `pr-${i}` })));
    await client.linkVisitors(Array.from({ length: 6 }, (_, i) => ({ visitorId: visitorId(740 + i), recipientId: `pr-${i}` })));
    const big = producers.chunks({ dataSource: 'defaultDataSource', segments: [{ segmentId: '88' }], members: Array.from({ length: 4 }, (_, i) => ({ userId: visitorId(740 + i), add: ['88'] })), chunkSize: 2 }, `slow-${randomUUID().slice(0, 8)}`);
    const small = producers.chunks({ dataSource: 'defaultDataSource', segments: [{ segmentId: '87' }], members: [4, 5].map((i) => ({ userId: visitorId(740 + i), add: ['87'] })), chunkSize: 10 });
    expect([big.length, small.length]).toEqual([2, 1]);
    const waiting = async () => {
      const [found] = await db.query('SELECT COUNT(*) AS n FROM import_inbox WHERE org_id = ? AND import_id = ?', [client.orgId, big[0].importId]);
      return Number((found as { n: string }[])[0].n);
    };
    // the big import's chunks first, on the same topic: the small one's is behind them
    for (const c of big) await producers.publish(Topics.segmentImported, client.orgId, c);
    await producers.publish(Topics.segmentImported, client.orgId, small[0]);

    const [report] = await reportsOf(small[0].importId);
    expect(report.payload).toMatchObject({ matched: 2, unmatched: 0 });
    expect(await client.members((await client.listOf('defaultDataSource', '87'))!.listId)).toEqual(['pr-4', 'pr-5']);
    // applied while the big import was still being staged, chunk after chunk
    expect(await waiting()).toBeGreaterThan(0);
    expect((await importRow(big[0].importId))?.status ?? 'staging').toBe('staging');

    const [bigReport] = await reportsOf(big[0].importId);
    expect(bigReport.payload).toMatchObject({ matched: 4, unmatched: 0 });
    expect(await waiting()).toBe(0);
    expect(await client.members((await client.listOf('defaultDataSource', '88'))!.listId)).toEqual(['pr-0', 'pr-1', 'pr-2', 'pr-3']);
  });

  it('parks a kept chunk that can never be staged, with its reason, and the org\'s next chunks flow', async () => {
    const broken = `broken-${randomUUID().slice(0, 8)}`;
    // as an older version or a damaged row would have left it
    await db.query('INSERT INTO import_inbox (org_id, import_id, seq, payload, received_at) VALUES (?, ?, 0, ?, NOW(3))', [client.orgId, broken, '{"importId":']);
    await client.upsertRecipients([{ recipientId: 'pk-0' }, { recipientId: 'pk-1' }]);
    await client.linkVisitors([0, 1].map((i) => ({ visitorId: visitorId(750 + i), recipientId: `pk-${i}` })));
    const next = producers.chunks({ dataSource: 'defaultDataSource', segments: [{ segmentId: '89' }], members: [0, 1].map((i) => ({ userId: visitorId(750 + i), add: ['89'] })), chunkSize: 1 });
    for (const c of next) await producers.publish(Topics.segmentImported, client.orgId, c);

    const [report] = await reportsOf(next[0].importId);
    expect(report.payload).toMatchObject({ matched: 2, unmatched: 0 });
    await waitFor(async () => {
      const [found] = await db.query('SELECT attempts, parked_reason AS reason FROM import_inbox WHERE org_id = ? AND import_id = ?', [client.orgId, broken]);
      const row = (found as { attempts: number; reason: string | null }[])[0];
      return row?.attempts === 5 && row.reason !== null;
    }, { what: 'the broken chunk parked after 5 attempts' });
    const metrics = await (await fetch(`${stack.url('identity-reconciliation')}/metrics`)).text();
    expect(metrics).toMatch(/^audx_import_inbox_chunks\{[^}]*state="parked"[^}]*\} [1-9]/m);
    await db.query('DELETE FROM import_inbox WHERE org_id = ? AND import_id = ?', [client.orgId, broken]);
  });

  it('marks an import that fails every apply failed, and reports it failed', async () => {
    // a ready import whose apply always fails: its plan names a key no recipient column matches,
    // and its one chunk was staged unresolved, so the apply resolves it with that plan
    const importId = `imp_${randomUUID().slice(0, 8)}`;
    // in one transaction: the applier must never see the import without its chunk
    await db.beginTransaction();
    await db.query(
      "INSERT INTO imports (org_id, import_id, sequence, data_source, mode, plan, status, chunks_total, created_at, updated_at) VALUES (?, ?, ?, 'defaultDataSource', 'iter', ?, 'ready', 1, NOW(3), NOW(3))",
      [client.orgId, importId, nextSequence(), JSON.stringify({ target: 'nothing', hashed: false, encrypted: false })],
    );
    await db.query('INSERT INTO import_chunks (import_pk, seq, members, resolved) SELECT import_pk, 0, 1, 0 FROM imports WHERE org_id = ? AND import_id = ?', [client.orgId, importId]);
    await db.commit();
    // inserted ready without waking the applier: its attempts come between the purge slices of the
    // staging the run's earlier suites left, which can take a while on a busy machine
    const reports = await observed.waitFor<typeof Topics.segmentReconciled>('SegmentReconciled', client.orgId, (p) => p.importId === importId, 1, 60000);
    expect(reports.map((e) => e.payload)).toEqual([reconciliationFailed(importId, 'the import could not be applied after 5 attempts')]);
    // the import says why in a sentence; the driver's message (SQL, columns) stays in the log
    const failed = await client.ok<{ status: string; error: string }>('GET', `/v1/imports/${importId}`);
    expect(failed).toMatchObject({ status: 'failed', error: 'the import could not be applied after 5 attempts' });
    expect(JSON.stringify(failed)).not.toMatch(/column|ER_|SQL|select|insert/i);
  });

  it('dead-letters a last chunk without totals, so its import is abandoned rather than applied short', async () => {
    const chunks = producers.chunks({ dataSource: 'defaultDataSource', segments: [{ segmentId: '84' }], members: [0, 1].map((i) => ({ userId: visitorId(710 + i), add: ['84'] })), chunkSize: 1 });
    const importId = chunks[0].importId;
    const { totals: _, ...lastWithoutTotals } = chunks[1];
    await producers.publish(Topics.segmentImported, client.orgId, chunks[0]);
    await producers.publishUnchecked(Topics.segmentImported, client.orgId, importId, lastWithoutTotals);
    expect((await deadLetters.waitFor(importId)).error).toBe('invalid segment.imported payload: totals: the last chunk must carry totals');
    expect((await reportsOf(importId)).map((e) => e.payload)).toEqual([reconciliationFailed(importId, 'chunks missing: the sender stopped mid-import')]);
    expect(await client.listOf('defaultDataSource', '84')).toBeUndefined();
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

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import type { Connection } from 'mysql2/promise';
import pino from 'pino';
import { Topics, reconciliationFailed } from '@audx/contracts';
import { EventProducer, TopicNamer, createKafka } from '@audx/messaging';
import { connectDatabase, json, testDatabase, testEnv, testKafkaSasl, Tenant, TestStack, waitFor } from '@audx/testing';
import { ChunkCollector, vid } from './support';

type ImportBody = {
  importId: string;
  status: string;
  receipt: Record<string, unknown>;
  errors: { line: number; reason: string }[];
  policyViolations: { segmentId: string; violatedPolicies: string[] }[];
  reconciliation: unknown;
  failureReason: string | null;
};

const ZERO_RECEIPT = { recordsReceived: 0, formatErrors: 0, invalidIds: 0, duplicateLines: 0, membershipsAdded: 0, membershipsRemoved: 0, segments: [] };

describe('segment-ingestion imports (real HTTP, Kafka, MySQL)', () => {
  let stack: TestStack;
  let a: Tenant;
  let b: Tenant;
  let url: string;
  let db: Connection;
  let producer: EventProducer;
  const chunks = new ChunkCollector();

  beforeAll(async () => {
    stack = await TestStack.start(['segment-ingestion'], { IMPORT_MAX_BYTES: String(20 * 1024 * 1024), IMPORT_STALE_SECONDS: '5' });
    url = stack.url('segment-ingestion');
    [a, b] = await Promise.all([stack.ims.tenant('ingest-a'), stack.ims.tenant('ingest-b')]);
    await chunks.start();
    db = await connectDatabase(testDatabase('audx_ingestion'));
    const env = testEnv();
    const kafka = createKafka({ brokers: env.kafkaBrokers.split(','), clientId: 'imports-test', namespace: env.namespace, partitions: 3, replicationFactor: 1, sasl: testKafkaSasl() }, pino({ level: 'silent' }));
    producer = new EventProducer(kafka, new TopicNamer(env.namespace), 'imports-test');
  });

  afterAll(async () => {
    await producer?.disconnect();
    await db?.end();
    await chunks.stop();
    await stack.stop();
  });

  const post = (t: Tenant, query: string, body: Buffer | string, type = 'text/plain') =>
    fetch(`${url}/v1/imports?${query}`, { method: 'POST', headers: { ...t.headers, 'content-type': type }, body });
  const getImport = async (t: Tenant, id: string) => fetch(`${url}/v1/imports/${id}`, { headers: t.headers });
  const view = async (t: Tenant, id: string) => json<ImportBody>(await getImport(t, id));
  const reconciled = (t: Tenant, importId: string) =>
    producer.publish(Topics.segmentReconciled, t.orgId, { importId, matched: 1, unmatched: 0, invalid: 0, lists: [{ listId: 'lst_x', segmentId: '24', size: 1, added: 1, removed: 0 }] });
  /** segment.reconciled events the service has handled so far (from /metrics). */
  const handled = async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('audx_messages_consumed_total{') && l.includes('topic="segment.reconciled"') && l.includes('outcome="processed"'));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  /** An import row as a process left it: `stale` seconds without news, its last chunk sent or not. */
  const seed = async (t: Tenant, status: string, o: { lastChunkSent: boolean; staleSeconds?: number }) => {
    const importId = `imp_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    await db.query(
      `INSERT INTO imports (import_id, org_id, status, source, data_source, format, mode, failure_reason, last_chunk_at, updated_at)
       VALUES (?, ?, ?, 'api', 'defaultDataSource', 'aam-outbound', 'iter', ?, IF(?, CURRENT_TIMESTAMP(3), NULL), CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND)`,
      [importId, t.orgId, status, status === 'receiving' ? null : 'seeded', o.lastChunkSent, o.staleSeconds ?? 0],
    );
    return importId;
  };

  it('imports an AAM outbound file and reports every line', async () => {
    const file = [
      `\ufeff${vid(1)} 24,26 25`,
      `${vid(2)} 24`,
      `12345 24`, // not a visitor id
      `${vid(3)} 24 25 26`, // format error
      `${vid(2)} 24`, // duplicate line
      `${vid(4)}  25\r`, // CRLF, removal only
      '',
    ].join('\n');
    const res = await post(a, 'format=aam-outbound&mode=iter', file);
    expect(res.status).toBe(202);
    const body = await json<ImportBody>(res);
    expect(body.status).toBe('reconciling');
    expect(body.receipt).toEqual({
      recordsReceived: 6,
      formatErrors: 1,
      invalidIds: 1,
      duplicateLines: 1,
      membershipsAdded: 3,
      membershipsRemoved: 2,
      segments: ['24', '25', '26'],
    });
    expect(body.errors).toEqual([
      { line: 3, reason: 'a Visitor ID must be 38 digits' },
      { line: 4, reason: 'expected <userId> <segIds> <removedSegIds> separated by single spaces' },
    ]);
    const got = await waitFor(() => chunks.chunks(body.importId).find((c) => c.last) && chunks.chunks(body.importId), { what: 'last chunk' });
    expect(got.map((c) => c.members).flat()).toEqual([
      { userId: vid(1), add: ['24', '26'], remove: ['25'] },
      { userId: vid(2), add: ['24'], remove: [] },
      { userId: vid(4), add: [], remove: ['25'] },
    ]);
    const last = got[got.length - 1];
    expect(last.totals).toEqual({ chunks: got.length, members: 3, invalidIds: 1 });
    expect(last.segments.map((s) => s.segmentId).sort()).toEqual(['24', '25', '26']);
  });

  it('infers format and mode from an AAM file name, and checks its DPID', async () => {
    const ok = await post(a, 'fileName=ftp_dpm_100000_1764489600.overwrite', `${vid(5)}\td_sid=30,d_unsid=31,32:-1\n`);
    expect(ok.status).toBe(202);
    const body = await json<ImportBody>(ok);
    const view = await json<{ format: string; mode: string }>(await getImport(a, body.importId));
    expect(view).toMatchObject({ format: 'aam-inbound', mode: 'full' });
    const chunk = await waitFor(() => chunks.chunks(body.importId)[0], { what: 'chunk' });
    expect(chunk).toMatchObject({ mode: 'full', members: [{ userId: vid(5), add: ['30'], remove: ['31', '32'] }] });

    const wrong = await post(a, 'dataSource=defaultDataSource&fileName=ftp_dpm_4242_1764489600.sync', `${vid(5)}\td_sid=30\n`);
    expect(wrong.status).toBe(422);
    expect((await json<{ error: { message: string } }>(wrong)).error.message).toMatch(/DPID 4242/);
  });

  it('reads gzip NDJSON, refuses a truncated gzip stream and a gzip bomb', async () => {
    const nd = [JSON.stringify({ userId: vid(6), add: ['40'], remove: [] }), JSON.stringify({ userId: vid(7), add: [], remove: ['40'] })].join('\n');
    const ok = await post(a, 'format=ndjson', gzipSync(nd), 'application/gzip');
    expect(ok.status).toBe(202);
    expect((await json<ImportBody>(ok)).receipt).toMatchObject({ recordsReceived: 2, membershipsAdded: 1, membershipsRemoved: 1 });

    const importIds = async () => (await json<{ items: { importId: string }[] }>(await fetch(`${url}/v1/imports?limit=500`, { headers: a.headers }))).items.map((i) => i.importId);
    const before = await importIds();
    const full = gzipSync(Buffer.from(Array.from({ length: 5000 }, (_, i) => `${vid(i)} 41`).join('\n')));
    const truncated = await post(a, 'format=aam-outbound', full.subarray(0, Math.floor(full.length / 2)), 'application/gzip');
    expect(truncated.status).toBe(400);
    expect((await json<{ error: { message: string } }>(truncated)).error.message).toMatch(/gzip stream is truncated or corrupt/);

    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x0a));
    const refused = await post(a, 'format=aam-outbound', bomb, 'application/gzip');
    expect(refused.status).toBe(413);
    expect((await json<{ error: { message: string } }>(refused)).error.message).toMatch(/decompression bomb/);
    // files that cannot be read leave no trace (system.md): no import is listed for either
    expect(await importIds()).toEqual(before);
  });

  it('enforces every limit with a specific answer, and stays healthy on garbage', async () => {
    const empty = await post(a, 'format=aam-outbound', '');
    expect(empty.status).toBe(422);
    expect((await json<{ error: { message: string } }>(empty)).error.message).toBe('the file is empty');

    expect((await post(a, 'format=aam-outbound', 'x', 'application/pdf')).status).toBe(415);
    expect((await post(a, 'format=csv', 'x')).status).toBe(400);
    expect((await post(a, 'format=aam-outbound&evil=1', 'x')).status).toBe(400);
    expect((await post(a, 'format=aam-outbound&fileName=..%2F..%2Fetc%2Fpasswd', 'x')).status).toBe(400);
    expect((await post(a, 'format=aam-outbound&dataSource=nope', 'x')).status).toBe(422);
    expect((await post(a, 'format=aam-outbound', Buffer.alloc(21 * 1024 * 1024, 0x61))).status).toBe(413);

    const longLine = `${vid(8)} ${'1,'.repeat(60000)}1`;
    const garbage = Buffer.concat([Buffer.from(`${longLine}\n`), Buffer.from([0xc3, 0x28, 0x0a]), Buffer.from(`${vid(9)} 50\n`)]);
    const res = await post(a, 'format=aam-outbound', garbage);
    expect(res.status).toBe(202);
    const body = await json<ImportBody>(res);
    expect(body.receipt).toMatchObject({ recordsReceived: 3, formatErrors: 2, membershipsAdded: 1 });
    expect(body.errors).toEqual([
      { line: 1, reason: 'line longer than 102400 bytes' },
      { line: 2, reason: 'invalid UTF-8' },
    ]);

    const binary = Buffer.from(Array.from({ length: 300000 }, (_, i) => (i * 7919) % 256));
    const bin = await post(a, 'format=ndjson', binary, 'application/octet-stream');
    expect(bin.status).toBe(202);
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });

  it('leaves a failed import and no last chunk when the client aborts mid-upload', async () => {
    const before = new Set((await json<{ items: { importId: string }[] }>(await fetch(`${url}/v1/imports?limit=100`, { headers: a.headers }))).items.map((i) => i.importId));
    await new Promise<void>((resolve) => {
      const req = http.request(`${url}/v1/imports?format=aam-outbound`, { method: 'POST', headers: { ...a.headers, 'content-type': 'text/plain' } });
      req.on('error', () => resolve());
      req.write(Array.from({ length: 12000 }, (_, i) => `${vid(100000 + i)} 60`).join('\n'));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 1500);
    });
    const aborted = await waitFor(
      async () => {
        const page = await json<{ items: { importId: string; status: string }[] }>(await fetch(`${url}/v1/imports?limit=100`, { headers: a.headers }));
        return page.items.find((i) => !before.has(i.importId) && i.status === 'failed');
      },
      { timeoutMs: 30000, what: 'aborted import failed' },
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(chunks.chunks(aborted.importId).some((c) => c.last)).toBe(false);
  });

  it('shows a receipt from the start: zeros while the first lines arrive, still an object once the upload failed', async () => {
    const before = new Set((await json<{ items: { importId: string }[] }>(await fetch(`${url}/v1/imports?limit=100`, { headers: a.headers }))).items.map((i) => i.importId));
    const req = http.request(`${url}/v1/imports?format=aam-outbound`, { method: 'POST', headers: { ...a.headers, 'content-type': 'text/plain' } });
    req.on('error', () => undefined);
    req.write(`${vid(300)} 90\n`);
    const receiving = await waitFor(
      async () => {
        const page = await json<{ items: ImportBody[] }>(await fetch(`${url}/v1/imports?status=receiving&limit=100`, { headers: a.headers }));
        return page.items.find((i) => !before.has(i.importId));
      },
      { what: 'an import receiving' },
    );
    expect((await view(a, receiving.importId)).receipt).toEqual(ZERO_RECEIPT);
    req.destroy();
    const failed = await waitFor(async () => {
      const v = await view(a, receiving.importId);
      return v.status === 'failed' && v;
    }, { timeoutMs: 30000, what: 'the aborted import failed' });
    expect(failed.receipt).toMatchObject({ recordsReceived: expect.any(Number), segments: expect.any(Array) });
  });

  it('ends an import failed, with the reason, when reconciliation gives it up', async () => {
    const res = await post(a, 'format=aam-outbound', `${vid(310)} 91\n`);
    const { importId } = await json<ImportBody>(res);
    await producer.publish(Topics.segmentReconciled, a.orgId, reconciliationFailed(importId, 'chunks missing: the sender stopped mid-import'));
    const ended = await waitFor(async () => {
      const v = await view(a, importId);
      return v.status !== 'reconciling' && v;
    }, { what: 'the import ended' });
    expect(ended).toMatchObject({ status: 'failed', failureReason: 'reconciliation failed: chunks missing: the sender stopped mid-import', reconciliation: null });
    expect(ended.receipt).toMatchObject({ recordsReceived: 1, membershipsAdded: 1 });
  });

  it('completes only imports that may have been applied: not a rejected one, nor one failed before its last chunk', async () => {
    // the pipeline records the last chunk before sending it
    const res = await post(a, 'format=aam-outbound', `${vid(320)} 92\n`);
    const sent = (await json<ImportBody>(res)).importId;
    const [marked] = await db.query('SELECT last_chunk_at IS NOT NULL AS marked FROM imports WHERE import_id = ?', [sent]);
    expect(Number((marked as { marked: number }[])[0].marked)).toBe(1);

    // a process died while its last chunk was being sent: the sweep leaves it to reconciliation
    const handedOn = await seed(a, 'receiving', { lastChunkSent: true, staleSeconds: 60 });
    const interrupted = await seed(a, 'receiving', { lastChunkSent: false, staleSeconds: 60 });
    await waitFor(async () => (await view(a, interrupted)).status === 'failed', { what: 'the interrupted import failed' });
    expect((await view(a, handedOn)).status).toBe('reconciling');

    const rejected = await seed(a, 'rejected', { lastChunkSent: false });
    const failedEarly = await seed(a, 'failed', { lastChunkSent: false });
    const failedSending = await seed(a, 'failed', { lastChunkSent: true });
    const start = await handled();
    for (const id of [rejected, failedEarly, interrupted, failedSending, handedOn, sent]) await reconciled(a, id);
    await waitFor(async () => (await handled()) >= start + 6, { what: 'six segment.reconciled handled' });
    const statuses = await Promise.all([rejected, failedEarly, interrupted, failedSending, handedOn, sent].map(async (id) => (await view(a, id)).status));
    expect(statuses).toEqual(['rejected', 'failed', 'failed', 'completed', 'completed', 'completed']);
    expect(await view(a, failedSending)).toMatchObject({ failureReason: null, reconciliation: { matched: 1, matchRate: 1 } });
  });

  it('leaves out a segment that violates a campaign-import policy and lets the other through', async () => {
    const put = (path: string, body: unknown) => fetch(`${url}${path}`, { method: 'PUT', headers: { ...a.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await put('/v1/segments/70', { name: 'Cross-site', labels: ['C5', 'I2'] })).status).toBe(200);
    expect((await put('/v1/segments/71', { name: 'Newsletter', labels: ['I1'] })).status).toBe(200);
    const policy = await put('/v1/policies/no-cross-site-import', { marketingAction: 'campaign-import', status: 'ENABLED', deny: { operator: 'AND', operands: [{ label: 'C5' }, { label: 'I2' }] } });
    expect(policy.status).toBe(200);
    expect((await put('/v1/policies/bad', { marketingAction: 'campaign-import', status: 'ENABLED', deny: { operator: 'XOR', operands: [] } })).status).toBe(400);

    const evaluation = await json<{ violatedPolicies: { name: string }[] }>(
      await fetch(`${url}/v1/policies/evaluate?marketingAction=campaign-import&labels=C5,I2`, { headers: a.headers }),
    );
    expect(evaluation.violatedPolicies.map((p) => p.name)).toEqual(['no-cross-site-import']);

    const res = await post(a, 'format=aam-outbound', `${vid(11)} 70,71\n${vid(12)} 70\n`);
    const body = await json<ImportBody>(res);
    expect(res.status).toBe(202);
    expect(body.policyViolations).toEqual([{ segmentId: '70', labels: ['C5', 'I2'], violatedPolicies: ['no-cross-site-import'] }]);
    const got = await waitFor(() => chunks.chunks(body.importId).find((c) => c.last), { what: 'last chunk' });
    expect(got.members).toEqual([{ userId: vid(11), add: ['71'], remove: [] }]);
    expect(got.segments).toEqual([{ segmentId: '71', labels: ['I1'] }]);
  });

  it('publishes a segment\'s labels on segment.changed, with the last import accepted before them', async () => {
    const before = await json<ImportBody>(await post(a, 'format=aam-outbound', `${vid(30)} 72\n`));
    const put = await fetch(`${url}/v1/segments/72`, { method: 'PUT', headers: { ...a.headers, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Loyal', labels: ['C3', 'C3', 'I1'] }) });
    expect(put.status).toBe(200);
    const change = await waitFor(() => chunks.segmentChanges.find((c) => c.orgId === a.orgId && c.payload.name === '72'), { what: 'segment.changed for 72' });
    expect(change.key).toBe(`${a.orgId}/72`);
    expect(change.payload.record).toMatchObject({ name: 'Loyal', labels: ['C3', 'I1'] });
    // the import accepted before the change carried the earlier labels: its sequence is covered
    const [{ seq }] = (await db.query('SELECT seq FROM imports WHERE org_id = ? AND import_id = ?', [a.orgId, before.importId]))[0] as { seq: number }[];
    expect(change.payload.record!.asOfSequence).toBeGreaterThanOrEqual(Number(seq));
    // and the next import reads the new labels
    const after = await json<ImportBody>(await post(a, 'format=aam-outbound', `${vid(31)} 72\n`));
    const last = await waitFor(() => chunks.chunks(after.importId).find((c) => c.last), { what: 'last chunk' });
    expect(last.segments).toEqual([{ segmentId: '72', labels: ['C3', 'I1'] }]);
    expect(last.sequence).toBeGreaterThan(change.payload.record!.asOfSequence);
  });

  it('keeps every org to its own imports, segments and policies', async () => {
    const res = await post(a, 'format=aam-outbound', `${vid(20)} 80\n`);
    const { importId } = await json<ImportBody>(res);
    expect((await getImport(b, importId)).status).toBe(404);
    expect((await getImport(a, importId)).status).toBe(200);
    const bList = await json<{ items: { importId: string }[] }>(await fetch(`${url}/v1/imports`, { headers: b.headers }));
    expect(bList.items.find((i) => i.importId === importId)).toBeUndefined();
    expect((await fetch(`${url}/v1/segments/70`, { headers: b.headers })).status).toBe(404);
    expect((await fetch(`${url}/v1/policies/no-cross-site-import`, { headers: b.headers })).status).toBe(404);
    // b's token with a's org header is refused outright
    expect((await fetch(`${url}/v1/imports/${importId}`, { headers: { ...b.headers, 'x-gw-ims-org-id': a.orgId } })).status).toBe(403);
    expect((await fetch(`${url}/v1/imports/${importId}`)).status).toBe(401);
  });

  it('lists imports newest first, filtered by status, paged', async () => {
    const first = await json<{ items: { importId: string; status: string; createdAt: string }[]; next: string | null }>(
      await fetch(`${url}/v1/imports?limit=2`, { headers: a.headers }),
    );
    expect(first.items).toHaveLength(2);
    expect(first.next).not.toBeNull();
    const second = await json<{ items: { importId: string }[] }>(await fetch(`${url}/v1/imports?limit=2&after=${first.next}`, { headers: a.headers }));
    expect(second.items[0].importId).not.toBe(first.items[1].importId);
    expect(first.items[0].createdAt >= first.items[1].createdAt).toBe(true);
    const failed = await json<{ items: { status: string }[] }>(await fetch(`${url}/v1/imports?status=failed`, { headers: a.headers }));
    expect(failed.items.length).toBeGreaterThan(0);
    expect(failed.items.every((i) => i.status === 'failed')).toBe(true);
    expect((await fetch(`${url}/v1/imports?after=garbage`, { headers: a.headers })).status).toBe(400);
  });
});

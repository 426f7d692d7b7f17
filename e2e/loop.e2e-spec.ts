/**
 * The whole loop as a client drives it: token, data sources, recipients, visitor links, iter/full/
 * declared imports and a streamed burst, lists, receipts and unmatched reports, share and re-share
 * with versions, deltas and outbound files, policies blocking an import and an export, ordering of
 * close imports, and org isolation of every read and write.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Topics } from '@audx/contracts';
import type { EventProducer } from '@audx/messaging';
import { TestStack, waitFor } from '@audx/testing';
import { Client, ExportView, testProducer, vid } from './client';

const sha256 = (s: string) => createHash('sha256').update(s.trim().toLowerCase()).digest('hex');
const outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'audx-e2e-outbox-'));

describe('the loop, end to end', () => {
  let stack: TestStack;
  let a: Client;
  let b: Client;
  let producer: EventProducer;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    stack = await TestStack.start(['segment-ingestion', 'identity-reconciliation', 'audience-publication'], { OUTBOX_DIR: outbox, STREAM_FLUSH_MS: '100' });
    a = new Client(stack, await stack.ims.tenant('loop-a'));
    b = new Client(stack, await stack.ims.tenant('loop-b'));
    producer = testProducer('e2e');
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
    await stack.stop();
    fs.rmSync(outbox, { recursive: true, force: true });
  });

  it('configures a Visitor ID and a hashed-email Declared ID data source', async () => {
    const sources = await a.ok<{ items: { name: string; kind: string; dpid: number }[] }>('identity-reconciliation', 'GET', '/v1/data-sources');
    expect(sources.items.find((s) => s.name === 'defaultDataSource')).toMatchObject({ kind: 'visitor' });
    await a.ok('identity-reconciliation', 'PUT', '/v1/data-sources/crmHashedEmail', {
      label: 'CRM hashed email', kind: 'declared', reconciliationKey: 'email', dpid: 200001, destinationId: 7, alias: 'AdobeCampaignID', hash: 'sha256', encryption: null, priority: 10, exportControls: ['C2'],
    });
  });

  it('loads recipients and visitor links, the most recent link winning', async () => {
    const recipients = Array.from({ length: 50 }, (_, i) => JSON.stringify({ recipientId: `r${i + 1}`, email: ` User${i + 1}@Example.TEST `, blocklisted: i + 1 === 50 })).join('\n');
    const r = await a.ok<{ upserted: number; rejected: number }>('identity-reconciliation', 'POST', '/v1/recipients', recipients + '\n{"recipientId": 5}\n', 'application/x-ndjson');
    expect(r).toMatchObject({ upserted: 50, rejected: 1 });
    const links = [...Array.from({ length: 40 }, (_, i) => ({ visitorId: vid(i + 1), recipientId: `r${i + 1}` })), { visitorId: vid(40), recipientId: 'r41' }, { visitorId: vid(50), recipientId: 'r50' }];
    for (const l of links) await a.ok('identity-reconciliation', 'POST', '/v1/visitors', JSON.stringify(l) + '\n', 'application/x-ndjson');
  });

  it('imports an iter file, reports every identifier, then replaces the list with a full file', async () => {
    const iter = [...Array.from({ length: 30 }, (_, i) => `${vid(i + 1)} 500`), `${vid(999)} 500`, 'abc 500', `${vid(40)} 500`].join('\n');
    const first = await a.importFile('fileName=S3_7_100000_iter_1764489600000.sync', iter);
    expect(first.status).toBe('completed');
    expect(first.receipt).toMatchObject({ recordsReceived: 33, invalidIds: 1, membershipsAdded: 32 });
    expect(first.errors).toEqual([{ line: 32, reason: 'a Visitor ID must be 38 digits' }]);
    expect(first.reconciliation).toMatchObject({ matched: 31, unmatched: 1 });
    const unmatched = await a.ok<{ items: { identifier?: string; userId?: string; reason: string }[] }>('identity-reconciliation', 'GET', `/v1/imports/${first.importId}/unmatched`);
    expect(unmatched.items.map((u) => [u.identifier ?? u.userId, u.reason])).toEqual([[vid(999), 'not_found']]);
    const list = await a.listOf('500');
    expect(await a.members(list.listId)).toEqual([...Array.from({ length: 30 }, (_, i) => `r${i + 1}`), 'r41'].sort());
    ids.list500 = list.listId;
    ids.import500 = first.importId;

    const full = await a.importFile('fileName=S3_7_100000_full_1764489700000.sync', Array.from({ length: 16 }, (_, i) => `${vid(i + 20)} 500`).join('\n'));
    expect(full.status).toBe('completed');
    expect(await a.members(ids.list500)).toEqual(Array.from({ length: 16 }, (_, i) => `r${i + 20}`).sort());
  });

  it('reconciles hashed declared ids through the data source', async () => {
    const lines = [...Array.from({ length: 10 }, (_, i) => ({ userId: sha256(`user${i + 1}@example.test`), add: ['501'], remove: [] })), { userId: sha256('nobody@example.test'), add: ['501'], remove: [] }];
    const done = await a.importFile('format=ndjson&dataSource=crmHashedEmail', lines.map((l) => JSON.stringify(l)).join('\n'), 'application/x-ndjson');
    expect(done.reconciliation).toMatchObject({ matched: 10, unmatched: 1 });
    const list = await a.listOf('501', 'crmHashedEmail');
    expect(await a.members(list.listId)).toEqual(Array.from({ length: 10 }, (_, i) => `r${i + 1}`).sort());
    ids.list501 = list.listId;
  });

  it('follows a streamed segment.membership burst within seconds', async () => {
    const started = Date.now();
    // an outside producer's events carry its org's access token
    const withToken = { headers: { authorization: `Bearer ${a.tenant.token}` } };
    for (let i = 1; i <= 10; i++) {
      await producer.publish(Topics.segmentMembership, a.tenant.orgId, { dataSource: 'defaultDataSource', userId: vid(i), segmentId: '502', status: 'realized', observedAt: new Date().toISOString() }, withToken);
    }
    await producer.publish(Topics.segmentMembership, a.tenant.orgId, { dataSource: 'defaultDataSource', userId: vid(3), segmentId: '502', status: 'exited', observedAt: new Date().toISOString() }, withToken);
    const members = await waitFor(
      async () => {
        const list = await a.listOf('502').catch(() => null);
        if (!list) return false;
        const m = await a.members(list.listId);
        return m.length === 9 && m;
      },
      { timeoutMs: 20000, what: 'list 502 to follow the stream' },
    );
    expect(members).not.toContain('r3');
    process.stdout.write(`stream burst reached the list in ${Date.now() - started} ms\n`);
  });

  it('shares and re-shares a list: versions, exact deltas and outbound files', async () => {
    const v1 = await a.share(ids.list500, { dataSource: 'defaultDataSource', segmentId: '500', audienceName: 'Segment 500', mode: 'incremental' });
    expect(v1).toMatchObject({ status: 'published', version: 1, members: 16, added: 16, removed: 0 });
    ids.audience = v1.audienceId!;
    // r20 leaves, r36 joins
    await a.importFile('format=aam-outbound&mode=iter', `${vid(20)}  500\n${vid(36)} 500\n`);
    const { exportId } = await a.ok<{ exportId: string }>('identity-reconciliation', 'POST', `/v1/lists/${ids.list500}/share`, {
      dataSource: 'defaultDataSource', segmentId: '500', audienceName: 'Segment 500', mode: 'incremental',
    });
    // asked at once after the 202: the export exists (preparing while identity-reconciliation makes
    // the share in the background, or already further), never a 404
    const atOnce = await a.call<ExportView>('audience-publication', 'GET', `/v1/exports/${exportId}`);
    expect(atOnce.status).toBe(200);
    expect(atOnce.body).toMatchObject({ exportId, audienceId: ids.audience });
    expect(['preparing', 'receiving', 'assembled', 'publishing', 'published']).toContain(atOnce.body.status);
    const v2 = await waitFor(async () => {
      const e = await a.ok<ExportView>('audience-publication', 'GET', `/v1/exports/${exportId}`);
      return e.status === 'published' && e;
    }, { what: 'version 2' });
    expect(v2).toMatchObject({ status: 'published', version: 2, members: 16, added: 1, removed: 1 });
    ids.export = exportId;
    const list = await a.ok<{ version: number; files: { fileName: string; lines: number; md5: string }[] }[]>(
      'audience-publication', 'GET', `/v1/audiences/${ids.audience}/versions`,
    );
    expect(Array.isArray(list)).toBe(true);
    const second = list.find((v) => v.version === 2)!;
    const file = second.files.find((f) => !f.fileName.endsWith('.info'))!;
    const download = await a.call('audience-publication', 'GET', `/v1/audiences/${ids.audience}/versions/2/files/${file.fileName}`);
    expect(download.status).toBe(200);
    const lines = download.text.trim().split('\n').sort();
    expect(lines).toEqual([`${vid(20)}\td_unsid=500`, `${vid(36)}\td_sid=500`].sort());
    const onDisk = fs.readFileSync(path.join(outbox, a.tenant.orgId, file.fileName));
    expect(createHash('md5').update(onDisk).digest('hex')).toBe(file.md5);
    ids.fileName = file.fileName;
  });

  it('keeps an audience in sync with its list: a change publishes the next version by itself, until turned off', async () => {
    const on = await a.call<{ enabled: boolean; lastSharedVersion: number | null }>('audience-publication', 'PUT', `/v1/audiences/${ids.audience}/sync`, { enabled: true, debounceSeconds: 1 });
    expect([on.status, on.body]).toEqual([200, expect.objectContaining({ enabled: true, debounceSeconds: 1, listId: ids.list500, lastSharedVersion: 2 })]);
    // r21 leaves the list: version 3 follows without anyone sharing
    await a.importFile('format=aam-outbound&mode=iter', `${vid(21)}  500\n`);
    const v3 = await waitFor(async () => {
      const versions = await a.ok<{ version: number; removed: number; added: number }[]>('audience-publication', 'GET', `/v1/audiences/${ids.audience}/versions`);
      return versions[0].version === 3 && versions[0];
    }, { timeoutMs: 30_000, what: 'version 3 published by the sync' });
    expect(v3).toMatchObject({ added: 0, removed: 1 });
    expect(await a.ok('audience-publication', 'GET', `/v1/audiences/${ids.audience}/sync`)).toMatchObject({ enabled: true, lastSharedVersion: 3 });
    expect((await a.call('identity-reconciliation', 'DELETE', `/v1/lists/${ids.list500}`)).status).toBe(409);
    expect((await b.call('audience-publication', 'PUT', `/v1/audiences/${ids.audience}/sync`, { enabled: false })).status).toBe(404);
    expect(await a.ok('audience-publication', 'PUT', `/v1/audiences/${ids.audience}/sync`, { enabled: false })).toMatchObject({ enabled: false });
  });

  it("turns a share's complement into a list: the members without an identifier, not the blocklisted", async () => {
    const { listId } = await a.ok<{ listId: string }>('identity-reconciliation', 'POST', '/v1/lists', { name: 'r41 to r50', recipientIds: Array.from({ length: 10 }, (_, i) => `r${i + 41}`) });
    const shared = await a.share(listId, { dataSource: 'defaultDataSource', audienceName: 'Complement source', mode: 'full' });
    // r41 has a visitor ID, r50 is blocklisted, r42 to r49 have none
    expect(shared).toMatchObject({ status: 'published', members: 10, withIdentifier: 1, blocked: 1, complement: 8 });
    const made = await a.call<{ listId: string; size: number }>('audience-publication', 'POST', `/v1/exports/${shared.exportId}/complement`);
    expect([made.status, made.body.size]).toEqual([201, 8]);
    expect(await a.members(made.body.listId)).toEqual(Array.from({ length: 8 }, (_, i) => `r${i + 42}`).sort());
    expect(await a.ok('identity-reconciliation', 'GET', `/v1/lists/${made.body.listId}`)).toMatchObject({ origin: 'complement', name: `complement of ${shared.exportId}`, size: 8 });

    expect((await b.call('audience-publication', 'POST', `/v1/exports/${shared.exportId}/complement`)).status).toBe(404);
    expect((await a.call('audience-publication', 'POST', '/v1/exports/no-such-export/complement')).status).toBe(404);
    // shared again since: that export's account is no longer what the audience holds
    await a.share(listId, { dataSource: 'defaultDataSource', audienceName: 'Complement source', mode: 'full' });
    const stale = await a.call<{ error: { message: string } }>('audience-publication', 'POST', `/v1/exports/${shared.exportId}/complement`);
    expect([stale.status, stale.body.error.message]).toEqual([409, expect.stringMatching(/shared again since/)]);
  });

  it('blocks an import segment and an export that violate enabled policies', async () => {
    await a.ok('segment-ingestion', 'PUT', '/v1/segments/503', { name: 'Cross-site', labels: ['C5'] });
    await a.ok('segment-ingestion', 'PUT', '/v1/policies/no-cross-site', { marketingAction: 'campaign-import', status: 'ENABLED', deny: { label: 'C5' } });
    const blocked = await a.importFile('format=aam-outbound', `${vid(1)} 503,504\n`);
    expect(blocked.policyViolations).toEqual([expect.objectContaining({ segmentId: '503', violatedPolicies: ['no-cross-site'] })]);
    await expect(a.listOf('503')).rejects.toThrow(/no list/);

    await a.ok('segment-ingestion', 'PUT', '/v1/policies/no-export-c2', { marketingAction: 'cloud-export', status: 'ENABLED', deny: { label: 'C2' } });
    const rejected = await waitFor(
      async () => {
        const e = await a.share(ids.list501, { dataSource: 'crmHashedEmail', segmentId: '501', audienceName: 'Hashed', mode: 'full' });
        return e.status === 'rejected' && e;
      },
      { timeoutMs: 30000, what: 'the export policy to reach publication' },
    );
    expect(JSON.stringify(rejected.policyViolations)).toContain('no-export-c2');
    expect(rejected.version).toBeNull();
  });

  it('applies two imports of one segment in the order they were accepted', async () => {
    const first = a.call<{ importId: string }>('segment-ingestion', 'POST', '/v1/imports?format=aam-outbound&mode=full', Array.from({ length: 5 }, (_, i) => `${vid(i + 1)} 505`).join('\n'));
    await new Promise((r) => setTimeout(r, 5));
    const second = a.call<{ importId: string }>('segment-ingestion', 'POST', '/v1/imports?format=aam-outbound&mode=full', Array.from({ length: 3 }, (_, i) => `${vid(i + 6)} 505`).join('\n'));
    const [x, y] = await Promise.all([first, second]);
    await Promise.all([a.importDone(x.body.importId), a.importDone(y.body.importId)]);
    const views = await Promise.all([x, y].map((r) => a.ok<{ importId: string; createdAt: string }>('segment-ingestion', 'GET', `/v1/imports/${r.body.importId}`)));
    const later = views[0].createdAt > views[1].createdAt ? 0 : 1;
    const expected = later === 0 ? ['r1', 'r2', 'r3', 'r4', 'r5'] : ['r6', 'r7', 'r8'];
    expect(await a.members((await a.listOf('505')).listId)).toEqual(expected.sort());
  });

  it("never lets org B read or change org A's data", async () => {
    const reads: [Parameters<Client['call']>[0], string][] = [
      ['segment-ingestion', `/v1/imports/${ids.import500}`],
      ['segment-ingestion', '/v1/segments/503'],
      ['segment-ingestion', '/v1/policies/no-cross-site'],
      ['identity-reconciliation', `/v1/imports/${ids.import500}/unmatched`],
      ['identity-reconciliation', `/v1/lists/${ids.list500}`],
      ['identity-reconciliation', `/v1/lists/${ids.list500}/members`],
      ['identity-reconciliation', '/v1/recipients/r1'],
      ['identity-reconciliation', `/v1/shares/${ids.export}`],
      ['audience-publication', `/v1/exports/${ids.export}`],
      ['audience-publication', `/v1/audiences/${ids.audience}`],
      ['audience-publication', `/v1/audiences/${ids.audience}/versions`],
      ['audience-publication', `/v1/audiences/${ids.audience}/members?version=1`],
      ['audience-publication', `/v1/audiences/${ids.audience}/versions/2/files/${ids.fileName}`],
    ];
    for (const [service, p] of reads) {
      expect([p, (await b.call(service, 'GET', p)).status]).toEqual([p, 404]);
      expect([p, (await a.call(service, 'GET', p)).status]).toEqual([p, 200]);
    }
    for (const [service, p] of [['segment-ingestion', '/v1/imports'], ['identity-reconciliation', '/v1/lists'], ['audience-publication', '/v1/audiences'], ['audience-publication', '/v1/exports'], ['segment-ingestion', '/v1/segments'], ['segment-ingestion', '/v1/policies']] as const) {
      expect(JSON.stringify((await b.call(service, 'GET', p)).body)).not.toMatch(/lst_|aud_|imp_|no-cross-site|Cross-site/);
    }
    expect((await b.call('identity-reconciliation', 'POST', `/v1/lists/${ids.list500}/share`, { dataSource: 'defaultDataSource', segmentId: '500', mode: 'full' })).status).toBe(404);
    expect((await b.call('identity-reconciliation', 'DELETE', '/v1/recipients/r1')).status).toBe(404);
    expect((await b.call('audience-publication', 'POST', `/v1/audiences/${ids.audience}/rollback`, { toVersion: 1 })).status).toBe(404);
    expect((await b.call('audience-publication', 'POST', `/v1/exports/${ids.export}/complement`)).status).toBe(404);
    expect((await b.call('identity-reconciliation', 'POST', `/v1/shares/${ids.export}/complement`)).status).toBe(404);
    expect((await b.call('identity-reconciliation', 'DELETE', '/v1/data-sources/crmHashedEmail')).status).toBe(404);
    expect((await b.call('identity-reconciliation', 'DELETE', `/v1/lists/${ids.list500}`)).status).toBe(404);
    expect((await a.call('identity-reconciliation', 'GET', `/v1/lists/${ids.list500}`)).status).toBe(200);
    expect((await a.call('identity-reconciliation', 'GET', '/v1/recipients/r1')).status).toBe(200);
    await b.ok('identity-reconciliation', 'PUT', '/v1/data-sources/crmHashedEmail', { label: 'B', kind: 'declared', reconciliationKey: 'crmId', dpid: 300001, destinationId: 8, alias: null, hash: 'none', encryption: null, priority: 1, exportControls: [] });
    const mine = await a.ok<{ items: { name: string; reconciliationKey: string | null }[] }>('identity-reconciliation', 'GET', '/v1/data-sources');
    expect(mine.items.find((s) => s.name === 'crmHashedEmail')?.reconciliationKey).toBe('email');
    // a B token carrying A's org header is refused before any lookup
    expect((await fetch(`${stack.url('identity-reconciliation')}/v1/lists`, { headers: { ...b.tenant.headers, 'x-gw-ims-org-id': a.tenant.orgId } })).status).toBe(403);
  });

  it('logs no personal data: no email address, no Visitor ID and no hashed email of the run in any service log', async () => {
    const logs = ['ims', 'segment-ingestion', 'identity-reconciliation', 'audience-publication'].map((name) => stack.service(name as never).output.join('')).join('\n');
    expect(logs.length).toBeGreaterThan(1000);
    expect(logs).not.toMatch(/@example\.test/i);
    expect(logs).not.toMatch(/\b\d{38}\b/);
    expect(logs).not.toContain(sha256('user1@example.test'));
  });
});

import { Topics, audienceIdOf } from '@audx/contracts';
import { aesEncrypt, aesKey, sha256, sha256Hex } from '@audx/identifiers';
import { TestStack, connectDatabase, json, testDatabase, waitFor } from '@audx/testing';
import { recipientKey, recipientKeySql } from '../src/recipients/recipient-key';
import { DeadLetters, IdentityClient, ImportSpec, Observed, Producers, consumed, ndjson, nextSequence, visitorId } from './harness';

const KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const IV = 'f0e0d0c0b0a090807060504030201000';
const VECTOR = 'a6ea4cde5da5ae7cc68baae894d1d6544fca26254433b0fff7c2cb4843b4a097';

describe('identity-reconciliation (real service, Kafka and MySQL)', () => {
  let stack: TestStack;
  let producers: Producers;
  let observed: Observed;
  let a: IdentityClient;
  let b: IdentityClient;

  beforeAll(async () => {
    stack = await TestStack.start(['identity-reconciliation'], { REDIRECT_ALLOWED_HOSTS: 'www.example.com,*.shop.example', EXPORT_CHUNK_SIZE: '2', IMPORT_APPLY_POLL_MS: '100' });
    const url = stack.url('identity-reconciliation');
    [a, b] = await Promise.all([stack.ims.tenant('Identity A'), stack.ims.tenant('Identity B')]).then(([ta, tb]) => [new IdentityClient(url, ta), new IdentityClient(url, tb)]);
    producers = new Producers();
    producers.authorize(a.orgId, a.tenant.token);
    producers.authorize(b.orgId, b.tenant.token);
    observed = new Observed(producers);
    await observed.start([Topics.segmentReconciled, Topics.listUpdated, Topics.listExported, Topics.datasourceChanged]);
  });

  afterAll(async () => {
    await observed?.stop();
    await producers?.close();
    await stack?.stop();
  });

  describe('data sources', () => {
    it('every org starts with defaultDataSource (Visitor ID) and declared sources keep their AES key to themselves', async () => {
      const list = await a.ok<{ items: { name: string; kind: string; dpid: number }[] }>('GET', '/v1/data-sources');
      expect(list.items).toEqual([expect.objectContaining({ name: 'defaultDataSource', kind: 'visitor', dpid: 100000 })]);

      const created = await a.request('PUT', '/v1/data-sources/crmAes', {
        label: 'CRM id, encrypted',
        kind: 'declared',
        reconciliationKey: 'crmId',
        dpid: 54321,
        destinationId: 777,
        alias: 'AdobeCampaignID',
        encryption: { keyHex: KEY, ivHex: IV, channel: 'email' },
        exportControls: ['C2'],
      });
      expect(created.status).toBe(201);
      const view = await json(created);
      expect(view).toMatchObject({ name: 'crmAes', kind: 'declared', reconciliationKey: 'crmId', hash: 'none', encryption: { channel: 'email' }, exportControls: ['C2'] });
      expect(JSON.stringify(view)).not.toContain(KEY);

      const changed = await observed.waitFor<typeof Topics.datasourceChanged>('DatasourceChanged', a.orgId, (p) => p.name === 'crmAes');
      expect(changed[0].payload.record).toMatchObject({ encrypted: true, dpid: 54321, reconciliationKey: 'crmId' });
      expect(JSON.stringify(changed[0])).not.toContain(KEY);
      await observed.waitFor<typeof Topics.datasourceChanged>('DatasourceChanged', a.orgId, (p) => p.name === 'defaultDataSource');

      // at rest the key is sealed (AES-256-GCM bound to its row), never stored in plain
      const db = await connectDatabase(testDatabase('audx_identity'));
      try {
        const [stored] = await db.query('SELECT * FROM data_sources WHERE org_id = ? AND name = ?', [a.orgId, 'crmAes']);
        const row = (stored as Record<string, unknown>[])[0];
        expect(row.encryption_key_hex).toBeNull();
        expect(String(row.encryption_key_sealed)).toMatch(/^v1\./);
        expect(JSON.stringify(row)).not.toContain(KEY);
      } finally {
        await db.end();
      }
    });

    it('deletes a data source nothing uses, publishes the deletion, and refuses one in use with what uses it', async () => {
      await a.putDataSource('doomed', { kind: 'declared', reconciliationKey: 'email' });
      expect((await b.request('DELETE', '/v1/data-sources/doomed')).status).toBe(404);
      expect((await a.request('DELETE', '/v1/data-sources/doomed')).status).toBe(204);
      expect((await a.request('GET', '/v1/data-sources/doomed')).status).toBe(404);
      expect((await a.request('DELETE', '/v1/data-sources/doomed')).status).toBe(404);
      await observed.waitFor<typeof Topics.datasourceChanged>('DatasourceChanged', a.orgId, (p) => p.name === 'doomed' && p.deleted === true && p.record === null);

      const fixed = await a.request('DELETE', '/v1/data-sources/defaultDataSource');
      expect(fixed.status).toBe(409);

      await a.putDataSource('inUse', { kind: 'declared', reconciliationKey: 'email' });
      const { listId } = await a.ok<{ listId: string }>('POST', '/v1/lists', { name: 'uses inUse', recipientIds: [] });
      await a.ok('POST', `/v1/lists/${listId}/share`, { dataSource: 'inUse', audienceName: 'uses inUse' }, [202]);
      const refused = await a.request('DELETE', '/v1/data-sources/inUse');
      expect(refused.status).toBe(409);
      expect(((await json(refused)) as { error: { message: string } }).error.message).toMatch(/^data source inUse is in use: 1 (shares \(audiences\)|share requests) \(such as /);
      expect((await a.request('GET', '/v1/data-sources/inUse')).status).toBe(200);
    });

    it('refuses inconsistent definitions with every problem listed', async () => {
      const res = await a.request('PUT', '/v1/data-sources/bad', { label: '', kind: 'declared', dpid: 0, hash: 'md5' });
      expect(res.status).toBe(400);
      const body = await json<{ error: { details: { path: string }[] } }>(res);
      expect(body.error.details.map((d) => d.path).sort()).toEqual(['dpid', 'hash', 'label']);
      const missingKey = await a.request('PUT', '/v1/data-sources/bad', { label: 'x', kind: 'declared', dpid: 1 });
      expect((await json<{ error: { details: { path: string }[] } }>(missingKey)).error.details).toEqual([{ path: 'reconciliationKey', message: 'required for a declared data source' }]);
      expect((await a.request('PUT', '/v1/data-sources/v2', { label: 'x', kind: 'visitor', dpid: 1, hash: 'sha256' })).status).toBe(400);
      expect((await a.request('PUT', '/v1/data-sources/defaultDataSource', { label: 'x', kind: 'declared', reconciliationKey: 'email', dpid: 1 })).status).toBe(422);
      expect((await a.request('PUT', '/v1/data-sources/k', { label: 'x', kind: 'declared', reconciliationKey: 'password', dpid: 1 })).status).toBe(400);
    });
  });

  describe('recipients', () => {
    it('upserts an NDJSON stream and reports every refused line with its number', async () => {
      const lines = [
        JSON.stringify({ recipientId: 'u-1', email: '  Ada@Example.ORG ', crmId: 'CRM-1', phone: '+33 6 00 00 00 01', attributes: { tier: 'gold', score: 7 } }),
        '',
        '{not json',
        JSON.stringify({ recipientId: 'u-2', email: 'not an email' }),
        JSON.stringify({ recipientId: 'u-3', unknownField: 1 }),
        JSON.stringify({ recipientId: 'u-4', attributes: { note: 'x'.repeat(102400) } }),
        JSON.stringify({ recipientId: 'u-5', email: 'grace@example.org', blocklisted: true }),
        JSON.stringify({ recipientId: 'u-6', attributes: { 'first name': 'Ada' } }),
      ].join('\r\n');
      const res = await a.request('POST', '/v1/recipients', lines);
      expect(res.status).toBe(200);
      const report = await json<{ received: number; upserted: number; rejected: number; errors: { line: number; reason: string }[] }>(res);
      expect(report).toMatchObject({ received: 7, upserted: 2, rejected: 5 });
      expect(report.errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 8]);
      expect(report.errors[0].reason).toBe('not valid JSON');
      expect(report.errors[1].reason).toMatch(/email/);
      expect(report.errors[2].reason).toMatch(/unknownField/);
      expect(report.errors[3].reason).toBe('line longer than 102400 bytes');
      expect(report.errors[4].reason).toBe(`attributes: "first name" is not a valid name (1 to 100 letters, digits, '_', '.' or '-')`);
      expect((await a.request('GET', '/v1/recipients/u-6')).status).toBe(404);

      const r = await a.ok('GET', '/v1/recipients/u-1');
      expect(r).toMatchObject({ recipientId: 'u-1', email: 'ada@example.org', phone: '+33600000001', crmId: 'CRM-1', blocklisted: false, attributes: { tier: 'gold', score: 7 } });

      // an upsert replaces the attributes it finds (a batch of new recipients skips that work: it must still index theirs)
      const tierMembers = async (tier: string) => a.members((await a.ok<{ listId: string }>('POST', '/v1/lists', { name: `tier ${tier}`, query: { all: [{ field: 'attributes.tier', eq: tier }] } })).listId);
      await a.upsertRecipients([{ recipientId: 'u-8', phone: '+33 6 00 00 00 08', attributes: { tier: 'bronze' } }]);
      await a.upsertRecipients([{ recipientId: 'u-8', attributes: { tier: 'copper' } }, { recipientId: 'u-9', attributes: { tier: 'bronze' } }]);
      expect(await tierMembers('bronze')).toEqual(['u-9']);
      expect(await tierMembers('copper')).toEqual(['u-8']);
      await a.upsertRecipients([{ recipientId: 'u-9', attributes: { tier: 'bronze' } }]);
      expect(await tierMembers('bronze')).toEqual(['u-9']);
      expect(await a.ok('GET', '/v1/recipients/u-8')).toMatchObject({ phone: null, attributes: { tier: 'copper' } });
    });

    it('follows recipient.upserted and recipient.deleted from event producers', async () => {
      await producers.publish(Topics.recipientUpserted, a.orgId, { recipientId: 'ev-1', email: ' EV1@example.org', attributes: { tier: 'bronze' } });
      const r = await waitFor(async () => {
        const res = await a.request('GET', '/v1/recipients/ev-1');
        return res.status === 200 ? json<{ email: string; attributes: unknown }>(res) : false;
      });
      expect(r).toMatchObject({ email: 'ev1@example.org', attributes: { tier: 'bronze' } });
      await producers.publish(Topics.recipientDeleted, a.orgId, { recipientId: 'ev-1' });
      await waitFor(async () => (await a.request('GET', '/v1/recipients/ev-1')).status === 404, { what: 'recipient erased' });
    });

    it("takes an outside producer's envelope: its own event id (deduplicated by it), no correlationId", async () => {
      const raw = producers.kafka.producer();
      await raw.connect();
      try {
        const envelope = (recipientId: string) => ({
          id: 'crm-export-42',
          type: 'RecipientUpserted',
          version: 1,
          orgId: a.orgId,
          occurredAt: new Date().toISOString(),
          producer: 'crm',
          payload: { recipientId, crmId: 'CRM-42' },
        });
        const topic = producers.namer.physical(Topics.recipientUpserted);
        const headers = { authorization: `Bearer ${a.tenant.token}` };
        await raw.send({ topic, messages: [{ key: 'ext-1', value: JSON.stringify(envelope('ext-1')), headers }] });
        await waitFor(async () => (await a.request('GET', '/v1/recipients/ext-1')).status === 200, { what: 'outside upsert applied' });
        // the same event id again (a producer retry with another payload) is the same event: ignored
        const before = await consumed(a.url, Topics.recipientUpserted, 'duplicate');
        await raw.send({ topic, messages: [{ key: 'ext-2', value: JSON.stringify(envelope('ext-2')), headers }] });
        await waitFor(async () => (await consumed(a.url, Topics.recipientUpserted, 'duplicate')) > before, { what: 'retry recognised' });
        expect((await a.request('GET', '/v1/recipients/ext-2')).status).toBe(404);
      } finally {
        await raw.disconnect();
      }
    });

    it("refuses an outside producer's event without a valid access token of its org and scope: dead-lettered with the reason, nothing written", async () => {
      const letters = new DeadLetters(producers, Topics.recipientUpserted);
      await letters.start();
      try {
        // kcat (librdkafka): a producer that is not ours
        const send = (recipientId: string, headers?: Record<string, string>) =>
          producers.kcat(
            Topics.recipientUpserted,
            recipientId,
            JSON.stringify({ id: `evt-${recipientId}`, type: 'RecipientUpserted', version: 1, orgId: a.orgId, occurredAt: new Date().toISOString(), producer: 'crm', payload: { recipientId } }),
            headers,
          );
        const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
        const ims = stack.ims;
        const reader = await ims.createIntegration(a.orgId, 'reader', ['read']);
        const readOnly = await ims.token(reader.clientId, reader.clientSecret, ['read']);
        const writer = await ims.createIntegration(a.orgId, 'revoked writer', ['profiles.write']);
        const revoked = await ims.token(writer.clientId, writer.clientSecret, ['profiles.write']);
        const form = new URLSearchParams({ token_type: 'access_token', token: revoked, client_id: writer.clientId, client_secret: writer.clientSecret });
        expect((await fetch(`${ims.url}/ims/invalidate_token/v2`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form })).status).toBe(200);

        await send('no-token');
        await send('not-a-token', { authorization: 'Bearer abc.def.ghi' });
        await send('other-org', bearer(b.tenant.token));
        await send('no-scope', bearer(readOnly));
        expect((await letters.waitFor('no-token')).error).toMatch(/^unauthorized: a recipient.upserted event needs an access token/);
        expect((await letters.waitFor('not-a-token')).error).toMatch(/^unauthorized: invalid access token/);
        expect((await letters.waitFor('other-org')).error).toBe("unauthorized: the access token is not of the event's orgId");
        expect((await letters.waitFor('no-scope')).error).toBe('unauthorized: the access token lacks scope profiles.write');
        // the revocation reaches the service through its feed: once its HTTP side refuses the token, so does its consumer
        const revokedHeaders = { ...a.tenant.headers, authorization: `Bearer ${revoked}`, 'x-api-key': writer.clientId };
        await waitFor(async () => (await fetch(`${a.url}/v1/recipients/nobody`, { headers: revokedHeaders })).status === 401, { what: 'the revocation known to the service' });
        await send('revoked', bearer(revoked));
        expect((await letters.waitFor('revoked')).error).toBe('unauthorized: invalid access token: token revoked');
        for (const id of ['no-token', 'not-a-token', 'other-org', 'no-scope', 'revoked']) expect((await a.request('GET', `/v1/recipients/${id}`)).status).toBe(404);
        // the same producer with its org's token is applied
        await send('with-token', bearer(a.tenant.token));
        await waitFor(async () => (await a.request('GET', '/v1/recipients/with-token')).status === 200, { what: 'the authorized event applied' });
      } finally {
        await letters.stop();
      }
    });

    it('documents its routes in OpenAPI', async () => {
      const doc = await json<{ paths: Record<string, unknown> }>(await fetch(`${a.url}/docs/openapi.json`));
      for (const path of ['/v1/data-sources/{name}', '/v1/recipients', '/v1/visitors', '/v1/lists/{listId}/members', '/v1/lists/{listId}/share', '/v1/imports/{importId}/unmatched']) {
        expect(Object.keys(doc.paths)).toContain(path);
      }
    });

    it('refuses a JSON body (415) and answers 401/403 without a token or scope', async () => {
      expect((await a.request('POST', '/v1/recipients', '{"recipientId":"x"}', { 'content-type': 'application/json' })).status).toBe(415);
      expect((await fetch(`${a.url}/v1/recipients/u-1`)).status).toBe(401);
      const reader = await stack.ims.tenant('Identity read-only', ['read']);
      const res = await fetch(`${a.url}/v1/recipients`, { method: 'POST', headers: { ...reader.headers, 'content-type': 'application/x-ndjson' }, body: ndjson([{ recipientId: 'x' }]) });
      expect(res.status).toBe(403);
    });
  });

  describe('matching each kind of data source', () => {
    it('visitor IDs: links from the upload, the topic and the tracking redirect; a relinked visitor resolves to its most recent recipient', async () => {
      await a.upsertRecipients([{ recipientId: 'v-r1' }, { recipientId: 'v-r2' }]);
      const t0 = Date.now();
      await a.linkVisitors([{ visitorId: visitorId(1), recipientId: 'v-r1', observedAt: new Date(t0 - 60000).toISOString() }]);
      await producers.publish(Topics.visitorIdentified, a.orgId, { visitorId: visitorId(2), recipientId: 'v-r2', observedAt: new Date(t0).toISOString() });
      const cookie = `AMCV_${encodeURIComponent(a.orgId)}=${encodeURIComponent(`-1124106680|MCIDTS|19000|MCMID|${visitorId(3)}|vVersion|5.2.0`)}`;
      const { url } = await a.ok<{ url: string }>('POST', '/v1/tracking-links', { recipientId: 'v-r1', target: 'https://www.example.com/offer?id=1' }, [201]);
      const redirect = await fetch(url, { headers: { cookie }, redirect: 'manual' });
      expect(redirect.status).toBe(302);
      expect(redirect.headers.get('location')).toBe('https://www.example.com/offer?id=1');
      // visitor 1 now clicks an email of recipient 2: the most recent link wins
      await a.linkVisitors([{ visitorId: visitorId(1), recipientId: 'v-r2' }]);
      await waitForLinks(a, 'v-r2', 2);

      const importId = await producers.sendImport(a.orgId, {
        dataSource: 'defaultDataSource',
        segments: [{ segmentId: '24', labels: ['C5', 'I2'] }],
        members: [
          { userId: visitorId(1), add: ['24'] },
          { userId: visitorId(2), add: ['24'] },
          { userId: visitorId(3), add: ['24'] },
          { userId: visitorId(9), add: ['24'] },
          { userId: '123', add: ['24'] },
        ],
      });
      const report = await a.waitReconciled(importId);
      expect(report).toMatchObject({ matched: 3, unmatched: 1, invalid: 1 });
      const list = (await a.listOf('defaultDataSource', '24'))!;
      expect(list).toMatchObject({ size: 2, labels: ['C5', 'I2'] });
      expect(await a.members(list.listId)).toEqual(['v-r1', 'v-r2']);
      expect((await a.unmatched(importId)).sort((x, y) => x.userId.localeCompare(y.userId))).toEqual([
        { userId: visitorId(9), reason: 'not_found' },
        { userId: '123', reason: 'invalid' },
      ]);
      const reconciled = await observed.waitFor<typeof Topics.segmentReconciled>('SegmentReconciled', a.orgId, (p) => p.importId === importId);
      expect(reconciled[0].payload).toMatchObject({ matched: 3, unmatched: 1, invalid: 1, lists: [{ listId: list.listId, segmentId: '24', size: 2, added: 2, removed: 0 }] });
      const ndjsonRes = await a.request('GET', `/v1/imports/${importId}/unmatched`, undefined, { accept: 'application/x-ndjson' });
      expect(ndjsonRes.headers.get('content-type')).toContain('application/x-ndjson');
      expect((await ndjsonRes.text()).trim().split('\n')).toHaveLength(2);

      // visitor 1 alone (visitor 3 also reaches v-r1 above): it resolves to its new recipient only,
      // neither through its old link nor through every link it ever had
      const relinked = await producers.sendImport(a.orgId, { dataSource: 'defaultDataSource', segments: [{ segmentId: '25' }], members: [{ userId: visitorId(1), add: ['25'] }] });
      expect(await a.waitReconciled(relinked)).toMatchObject({ matched: 1, unmatched: 0, invalid: 0 });
      const only = await a.members((await a.listOf('defaultDataSource', '25'))!.listId);
      expect(only).not.toContain('v-r1');
      expect(only).toEqual(['v-r2']);
    });

    it('declared IDs: email (case and whitespace), the published SHA-256 vector, AES-encrypted CRM ids, phones and attributes', async () => {
      await a.upsertRecipients([
        { recipientId: 'd-1', email: ' ECID@Adobe.com', crmId: 'CRM-7', phone: '0033 6 11 22 33 44', attributes: { loyalty: 'L-77' } },
        { recipientId: 'd-2', email: 'ada.d@example.org', crmId: 'CRM-8', attributes: { loyalty: 'L-88' } },
      ]);
      await a.putDataSource('email', { kind: 'declared', reconciliationKey: 'email' });
      await a.putDataSource('emailSha', { kind: 'declared', reconciliationKey: 'email', hash: 'sha256' });
      await a.putDataSource('crmAes', { kind: 'declared', reconciliationKey: 'crmId', encryption: { keyHex: KEY, ivHex: IV, channel: 'other' } });
      await a.putDataSource('phone', { kind: 'declared', reconciliationKey: 'phone' });
      await a.putDataSource('loyaltySha', { kind: 'declared', reconciliationKey: 'attributes.loyalty', hash: 'sha256' });
      const k = aesKey(KEY, IV);

      const cases = [
        { ds: 'email', members: ['  ADA.D@example.ORG ', 'ecid@adobe.com', 'nobody@example.org', 'no-at-sign'], matched: 2, unmatched: 1, invalid: 1, expected: ['d-1', 'd-2'] },
        { ds: 'emailSha', members: [VECTOR, sha256Hex('ada.d@example.org').toUpperCase(), 'zz'], matched: 2, unmatched: 0, invalid: 1, expected: ['d-1', 'd-2'] },
        {
          ds: 'crmAes',
          members: [aesEncrypt('CRM-7', k), Buffer.from(aesEncrypt('CRM-8', k), 'hex').toString('base64'), 'bm90IGVuY3J5cHRlZA==', aesEncrypt('CRM-unknown', k)],
          matched: 2,
          unmatched: 2,
          invalid: 0,
          expected: ['d-1', 'd-2'],
        },
        { ds: 'phone', members: ['+33 6 11 22 33 44', '+33 6 99 99 99 99'], matched: 1, unmatched: 1, invalid: 0, expected: ['d-1'] },
        { ds: 'loyaltySha', members: [sha256Hex('L-88'), sha256Hex('L-00')], matched: 1, unmatched: 1, invalid: 0, expected: ['d-2'] },
      ];
      for (const c of cases) {
        const importId = await producers.sendImport(a.orgId, { dataSource: c.ds, segments: [{ segmentId: '500' }], members: c.members.map((userId) => ({ userId, add: ['500'] })) });
        const report = await a.waitReconciled(importId);
        expect({ ds: c.ds, matched: report.matched, unmatched: report.unmatched, invalid: report.invalid }).toEqual({ ds: c.ds, matched: c.matched, unmatched: c.unmatched, invalid: c.invalid });
        expect({ ds: c.ds, members: await a.members((await a.listOf(c.ds, '500'))!.listId) }).toEqual({ ds: c.ds, members: c.expected });
      }
    });

    it('matches declared IDs by an 8-byte lookup key but never on it alone: a colliding key of the org or of another org is no match', async () => {
      await a.upsertRecipients([
        { recipientId: 'col-real', email: 'real@example.org' },
        { recipientId: 'col-decoy', email: 'decoy@example.org' },
        { recipientId: 'col-decoy2', email: 'decoy2@example.org' },
      ]);
      await b.upsertRecipients([{ recipientId: 'col-other-org', email: 'elsewhere@example.org' }]);
      const db = await connectDatabase(testDatabase('audx_identity'));
      try {
        // keys written by the service (JS) equal the SQL form the migration and the import join use
        const [same] = await db.query(`SELECT COUNT(*) AS n, SUM(email_k = ${recipientKeySql('org_id', 'email_sha256')}) AS ok FROM recipients WHERE email_k IS NOT NULL`);
        const counts = (same as { n: number; ok: string }[])[0];
        expect(Number(counts.ok)).toBe(Number(counts.n));
        // force collisions: each decoy row carries the key of an email it does not hold
        const force = (org: string, recipientId: string, email: string) =>
          db.query('UPDATE recipients SET email_k = ? WHERE org_id = ? AND recipient_id = ?', [recipientKey(a.orgId, sha256(email)), org, recipientId]);
        await force(a.orgId, 'col-decoy', 'missing@example.org');
        await force(a.orgId, 'col-decoy2', 'real@example.org');
        await force(b.orgId, 'col-other-org', 'other-missing@example.org');
      } finally {
        await db.end();
      }
      const importId = await producers.sendImport(a.orgId, {
        dataSource: 'email',
        segments: [{ segmentId: '503' }],
        members: ['missing@example.org', 'real@example.org', 'other-missing@example.org'].map((userId) => ({ userId, add: ['503'] })),
      });
      expect(await a.waitReconciled(importId)).toMatchObject({ matched: 1, unmatched: 2, invalid: 0 });
      expect(await a.members((await a.listOf('email', '503'))!.listId)).toEqual(['col-real']);
      expect((await a.unmatched(importId)).sort((x, y) => x.userId.localeCompare(y.userId))).toEqual([
        { userId: 'missing@example.org', reason: 'not_found' },
        { userId: 'other-missing@example.org', reason: 'not_found' },
      ]);
      // and a list query by email goes through the same key, checked the same way
      const byQuery = await a.ok<{ listId: string }>('POST', '/v1/lists', { name: 'by email', query: { all: [{ field: 'email', in: ['real@example.org', 'missing@example.org'] }] } });
      expect(await a.members(byQuery.listId)).toEqual(['col-real']);
    });

    it('reports undecryptable values with their reason', async () => {
      const k = aesKey(KEY, IV);
      const importId = await producers.sendImport(a.orgId, { dataSource: 'crmAes', segments: [{ segmentId: '501' }], members: [{ userId: 'garbage!!', add: ['501'] }, { userId: aesEncrypt('CRM-7', k), add: ['501'] }] });
      await a.waitReconciled(importId);
      expect(await a.unmatched(importId)).toEqual([{ userId: 'garbage!!', reason: 'undecryptable' }]);
    });
    it('reports every identifier of an import through an unknown data source, and creates no list', async () => {
      const odd = 'x\\1\t\\N é\n';
      const importId = await producers.sendImport(a.orgId, { dataSource: 'noSuchSource', segments: [{ segmentId: '502' }], members: [{ userId: odd, add: ['502'] }] });
      expect(await a.waitReconciled(importId)).toMatchObject({ matched: 0, unmatched: 1, invalid: 0, lists: [] });
      // staged through LOAD DATA: tabs, backslashes, newlines and a literal \N come back intact
      expect(await a.unmatched(importId)).toEqual([{ userId: odd, reason: 'unknown_data_source' }]);
    });
  });

  describe('applying imports', () => {
    beforeAll(async () => {
      await b.upsertRecipients(Array.from({ length: 6 }, (_, i) => ({ recipientId: `m-${i + 1}` })));
      await b.linkVisitors(Array.from({ length: 6 }, (_, i) => ({ visitorId: visitorId(100 + i + 1), recipientId: `m-${i + 1}` })));
    });

    const add = (n: number, seg: string) => ({ userId: visitorId(100 + n), add: [seg] });
    const remove = (n: number, seg: string) => ({ userId: visitorId(100 + n), remove: [seg] });

    it('iter adds and removes; full replaces the list', async () => {
      const first = await producers.sendImport(b.orgId, { dataSource: 'defaultDataSource', segments: [{ segmentId: '30' }], members: [add(1, '30'), add(2, '30'), add(3, '30')] });
      await b.waitReconciled(first);
      const listId = (await b.listOf('defaultDataSource', '30'))!.listId;
      expect(await b.members(listId)).toEqual(['m-1', 'm-2', 'm-3']);

      const second = await producers.sendImport(b.orgId, { dataSource: 'defaultDataSource', segments: [{ segmentId: '30' }], members: [remove(2, '30'), add(4, '30'), remove(6, '30')] });
      const r2 = await b.waitReconciled(second);
      expect(r2.lists).toEqual([{ listId, segmentId: '30', size: 3, added: 1, removed: 1 }]);
      expect(await b.members(listId)).toEqual(['m-1', 'm-3', 'm-4']);

      // a full import whose chunks arrive last-first
      const fullChunks = producers.chunks({ dataSource: 'defaultDataSource', mode: 'full', segments: [{ segmentId: '30' }], members: [add(3, '30'), add(5, '30')], chunkSize: 1 });
      for (const c of [...fullChunks].reverse()) await producers.publish(Topics.segmentImported, b.orgId, c);
      const r3 = await b.waitReconciled(fullChunks[0].importId);
      expect(r3.lists).toEqual([{ listId, segmentId: '30', size: 2, added: 1, removed: 2 }]);
      expect(await b.members(listId)).toEqual(['m-3', 'm-5']);
      expect((await b.ok<{ size: number }>('GET', `/v1/lists/${listId}`)).size).toBe(2);
      const updated = await observed.waitFor<typeof Topics.listUpdated>('ListUpdated', b.orgId, (p) => p.listId === listId && p.cause === 'import', 3);
      expect(updated.map((u) => u.payload.size)).toEqual([3, 3, 2]);
    });

    it('the same chunk delivered twice (new event id, or the same event again) changes nothing and counts nothing twice', async () => {
      const chunks = producers.chunks({ dataSource: 'defaultDataSource', segments: [{ segmentId: '31' }], members: [add(1, '31'), add(2, '31'), { userId: visitorId(999), add: ['31'] }], chunkSize: 2 });
      const sent = await producers.publish(Topics.segmentImported, b.orgId, chunks[0]);
      await producers.publish(Topics.segmentImported, b.orgId, chunks[0], sent.id);
      await producers.publish(Topics.segmentImported, b.orgId, chunks[0]);
      await producers.publish(Topics.segmentImported, b.orgId, chunks[1]);
      const report = await b.waitReconciled(chunks[0].importId);
      expect(report).toMatchObject({ matched: 2, unmatched: 1, invalid: 0 });
      const listId = (await b.listOf('defaultDataSource', '31'))!.listId;
      expect(report.lists).toEqual([{ listId, segmentId: '31', size: 2, added: 2, removed: 0 }]);
      // a re-publication after the import was applied is ignored too
      const before = await consumed(b.url, Topics.segmentImported, 'processed');
      await producers.publish(Topics.segmentImported, b.orgId, chunks[1]);
      await producers.publish(Topics.segmentImported, b.orgId, chunks[0]);
      await waitFor(async () => (await consumed(b.url, Topics.segmentImported, 'processed')) >= before + 2, { what: 're-publications consumed' });
      // barrier: a wrong re-apply would now be ready, so applied and relayed before this later import
      const marker = await producers.sendImport(b.orgId, { dataSource: 'defaultDataSource', segments: [{ segmentId: '39' }], members: [add(3, '39')] });
      await observed.waitFor<typeof Topics.segmentReconciled>('SegmentReconciled', b.orgId, (p) => p.importId === marker);
      await observed.caughtUp([Topics.segmentReconciled, Topics.listUpdated]);
      expect(observed.of<typeof Topics.segmentReconciled>('SegmentReconciled', b.orgId, (p) => p.importId === chunks[0].importId)).toHaveLength(1);
      expect(observed.of<typeof Topics.listUpdated>('ListUpdated', b.orgId, (p) => p.listId === listId)).toHaveLength(1);
      expect(await b.members(listId)).toEqual(['m-1', 'm-2']);
      expect((await b.ok<{ size: number }>('GET', `/v1/lists/${listId}`)).size).toBe(2);
      expect((await b.waitReconciled(chunks[0].importId)).matched).toBe(2);
    });

    it('counts a recipient reached through several identifiers once, and an add wins over a remove in the same import', async () => {
      await b.linkVisitors([{ visitorId: visitorId(111), recipientId: 'm-1' }, { visitorId: visitorId(112), recipientId: 'm-2' }]);
      const importId = await producers.sendImport(b.orgId, {
        dataSource: 'defaultDataSource',
        segments: [{ segmentId: '34' }],
        members: [add(1, '34'), { userId: visitorId(111), remove: ['34'] }, add(2, '34'), { userId: visitorId(112), add: ['34'] }],
        chunkSize: 2,
      });
      const report = await b.waitReconciled(importId);
      const listId = (await b.listOf('defaultDataSource', '34'))!.listId;
      expect(report).toMatchObject({ matched: 4, unmatched: 0, lists: [{ listId, segmentId: '34', size: 2, added: 2, removed: 0 }] });
      expect(await b.members(listId)).toEqual(['m-1', 'm-2']);
    });

    it('two imports of the same segment arriving out of order end as the later-accepted one says', async () => {
      const earlier = nextSequence();
      const later = nextSequence();
      // full imports: the later one (m-3) arrives first, the earlier one (m-1, m-2) after it
      const l = await producers.sendImport(b.orgId, { dataSource: 'defaultDataSource', mode: 'full', sequence: later, segments: [{ segmentId: '32', labels: ['C6'] }], members: [add(3, '32')] });
      await b.waitReconciled(l);
      const e = await producers.sendImport(b.orgId, { dataSource: 'defaultDataSource', mode: 'full', sequence: earlier, segments: [{ segmentId: '32', labels: ['C1'] }], members: [add(1, '32'), add(2, '32')] });
      await b.waitReconciled(e);
      const list = (await b.listOf('defaultDataSource', '32'))!;
      expect(await b.members(list.listId)).toEqual(['m-3']);
      expect(list.labels).toEqual(['C6']);

      // iter imports: a later removal arrives before the earlier add of the same member
      const base = await producers.sendImport(b.orgId, { dataSource: 'defaultDataSource', sequence: nextSequence(), segments: [{ segmentId: '33' }], members: [add(4, '33')] });
      await b.waitReconciled(base);
      const s1 = nextSequence();
      const s2 = nextSequence();
      const removal = await producers.sendImport(b.orgId, { dataSource: 'defaultDataSource', sequence: s2, segments: [{ segmentId: '33' }], members: [remove(5, '33'), remove(4, '33')] });
      await b.waitReconciled(removal);
      const addition = await producers.sendImport(b.orgId, { dataSource: 'defaultDataSource', sequence: s1, segments: [{ segmentId: '33' }], members: [add(5, '33'), add(6, '33')] });
      await b.waitReconciled(addition);
      expect(await b.members((await b.listOf('defaultDataSource', '33'))!.listId)).toEqual(['m-6']);
    });
  });

  describe('lists and sharing', () => {
    beforeAll(async () => {
      await a.upsertRecipients([
        { recipientId: 's-1', email: 'S1@example.org', attributes: { tier: 'gold' } },
        { recipientId: 's-2', email: 's2@example.org', attributes: { tier: 'silver' } },
        { recipientId: 's-3', attributes: { tier: 'gold', vip: true } },
        { recipientId: 's-4', email: 's4@example.org', blocklisted: true, attributes: { tier: 'gold' } },
      ]);
      await a.linkVisitors([
        { visitorId: visitorId(201), recipientId: 's-1' },
        { visitorId: visitorId(202), recipientId: 's-1' },
        { visitorId: visitorId(203), recipientId: 's-2' },
        { visitorId: visitorId(204), recipientId: 's-4' },
      ]);
    });

    it('creates lists from recipient ids and from queries, and pages members with a cursor', async () => {
      const fromIds = await a.ok<{ listId: string; size: number; unknownRecipients: number; origin: string }>('POST', '/v1/lists', { name: 'picked', recipientIds: ['s-1', 's-2', 's-3', 'nobody'] });
      expect(fromIds).toMatchObject({ size: 3, unknownRecipients: 1, origin: 'recipients' });
      const p1 = await a.ok<{ items: string[]; next: string }>('GET', `/v1/lists/${fromIds.listId}/members?limit=2`);
      expect(p1.items).toHaveLength(2);
      const p2 = await a.ok<{ items: string[]; next: string | null }>('GET', `/v1/lists/${fromIds.listId}/members?limit=2&after=${p1.next}`);
      expect([...p1.items, ...p2.items].sort()).toEqual(['s-1', 's-2', 's-3']);
      expect(p2.next).toBeNull();

      const q = await a.ok<{ listId: string; size: number }>('POST', '/v1/lists', {
        name: 'gold with email',
        query: { all: [{ field: 'attributes.tier', eq: 'gold' }, { field: 'email', exists: true }] },
      });
      expect(await a.members(q.listId)).toEqual(['s-1', 's-4', 'u-1']);
      const q2 = await a.ok<{ listId: string }>('POST', '/v1/lists', { name: 'in', query: { all: [{ field: 'email', in: [' s1@EXAMPLE.org', 's2@example.org'] }, { field: 'attributes.vip', exists: false }] } });
      expect(await a.members(q2.listId)).toEqual(['s-1', 's-2']);
      expect((await a.request('POST', '/v1/lists', { name: 'x', query: { all: [{ field: 'email', like: '%' }] } })).status).toBe(400);
      expect((await a.request('GET', `/v1/lists/${q.listId}/members?after=bogus`)).status).toBe(400);
    });

    it('deletes a list at once, purges its members in the background, and fails a share asked for it', async () => {
      const { listId } = await a.ok<{ listId: string }>('POST', '/v1/lists', { name: 'to delete', recipientIds: ['s-1', 's-2', 's-3'] });
      const db = await connectDatabase(testDatabase('audx_identity'));
      try {
        const [[{ list_pk: listPk }]] = (await db.query('SELECT list_pk FROM lists WHERE org_id = ? AND list_id = ?', [a.orgId, listId])) as unknown as [{ list_pk: string }[]];
        expect((await b.request('DELETE', `/v1/lists/${listId}`)).status).toBe(404);
        const { exportId } = await a.ok<{ exportId: string }>('POST', `/v1/lists/${listId}/share`, { dataSource: 'defaultDataSource', audienceName: 'to delete' }, [202]);
        expect((await a.request('DELETE', `/v1/lists/${listId}`)).status).toBe(204);
        expect((await a.request('GET', `/v1/lists/${listId}`)).status).toBe(404);
        expect((await a.request('GET', `/v1/lists/${listId}/members`)).status).toBe(404);
        expect((await a.request('DELETE', `/v1/lists/${listId}`)).status).toBe(404);
        await observed.waitFor<typeof Topics.listUpdated>('ListUpdated', a.orgId, (p) => p.listId === listId && p.cause === 'deleted' && p.removed === 3 && p.size === 0);
        const members = async () => Number(((await db.query('SELECT COUNT(*) AS n FROM list_members WHERE list_pk = ?', [listPk])) as unknown as [{ n: string }[]])[0][0].n);
        await waitFor(async () => (await members()) === 0, { timeoutMs: 10_000, what: 'the members purged' });
        // the share asked for just before was either made before the deletion or fails with the reason
        const share = await waitFor(async () => {
          const r = await a.ok<{ status: string; failure?: string }>('GET', `/v1/shares/${exportId}`);
          return r.status !== 'preparing' && r;
        }, { timeoutMs: 10_000, what: 'the share settled' });
        if (share.status === 'failed') expect(share.failure).toMatch(/list/);
        else expect(share.status).toBe('emitted');
      } finally {
        await db.end();
      }
    });

    it('shares a list: every visitor ID of each member, blocklisted left out, complement counted, chunks with totals', async () => {
      const list = await a.ok<{ listId: string }>('POST', '/v1/lists', { name: 'to share', recipientIds: ['s-1', 's-2', 's-3', 's-4'] });
      const { exportId } = await a.ok<{ exportId: string }>('POST', `/v1/lists/${list.listId}/share`, { dataSource: 'defaultDataSource', segmentId: '77', audienceName: 'Gold', mode: 'full' }, [202]);
      const chunks = await observed.waitFor<typeof Topics.listExported>('ListExported', a.orgId, (p) => p.exportId === exportId && p.last);
      const all = observed.of<typeof Topics.listExported>('ListExported', a.orgId, (p) => p.exportId === exportId).map((e) => e.payload).sort((x, y) => x.seq - y.seq);
      expect(all.map((c) => c.seq)).toEqual([0, 1]);
      expect(all.flatMap((c) => c.identifiers).sort()).toEqual([visitorId(201), visitorId(202), visitorId(203)]);
      expect(chunks[0].payload.totals).toEqual({ chunks: 2, members: 4, withIdentifier: 2, complement: 1, blocked: 1, identifiers: 3 });
      expect(all[0]).toMatchObject({ listId: list.listId, dataSource: 'defaultDataSource', segmentId: '77', audienceName: 'Gold', mode: 'full', dpid: 100000, last: false });
    });

    it('ships only the change to an audience that received a share, and the whole list when publication asks for a resync', async () => {
      const list = await a.ok<{ listId: string }>('POST', '/v1/lists', { name: 'delta', recipientIds: ['s-1', 's-2', 's-3'] });
      const share = async () => {
        const { exportId } = await a.ok<{ exportId: string }>('POST', `/v1/lists/${list.listId}/share`, { dataSource: 'defaultDataSource', segmentId: '78' }, [202]);
        return exported(exportId);
      };
      const exported = async (exportId: string) => {
        const [last] = await observed.waitFor<typeof Topics.listExported>('ListExported', a.orgId, (p) => p.exportId === exportId && p.last);
        const chunks = observed.of<typeof Topics.listExported>('ListExported', a.orgId, (p) => p.exportId === exportId).map((e) => e.payload);
        return {
          exportId,
          base: last.payload.base?.exportId ?? null,
          added: chunks.flatMap((c) => c.identifiers).sort(),
          removed: chunks.flatMap((c) => c.removedIdentifiers ?? []).sort(),
        };
      };
      const first = await share();
      expect(first).toMatchObject({ base: null, added: [visitorId(201), visitorId(202), visitorId(203)], removed: [] });

      await a.linkVisitors([{ visitorId: visitorId(205), recipientId: 's-3' }]);
      const second = await share();
      expect(second).toMatchObject({ base: first.exportId, added: [visitorId(205)], removed: [] });

      // publication could not apply `second` (say its audience is elsewhere): the whole list goes again, by itself
      const audienceId = audienceIdOf({ orgId: a.orgId, dataSource: 'defaultDataSource', segmentId: '78', audienceName: null, listId: list.listId });
      await producers.publish(Topics.audienceResync, a.orgId, {
        exportId: second.exportId,
        audienceId,
        listId: list.listId,
        dataSource: 'defaultDataSource',
        segmentId: '78',
        audienceName: null,
        baseExportId: first.exportId,
        currentExportId: null,
      });
      const [resync] = await observed.waitFor<typeof Topics.listExported>('ListExported', a.orgId, (p) => p.listId === list.listId && p.last && !p.base && p.exportId !== first.exportId);
      expect(await exported(resync.payload.exportId)).toMatchObject({ base: null, added: [visitorId(201), visitorId(202), visitorId(203), visitorId(205)], removed: [] });

      // and the next share is a delta on top of the resync
      expect(await share()).toMatchObject({ base: resync.payload.exportId, added: [], removed: [] });
    });

    it('an incremental share recomputes what changed (relinks, blocklisting, erasure) and holds what a fresh audience would receive', async () => {
      // org B: its erasure's list.updated stays out of org A's erasure test
      await b.upsertRecipients(['d-1', 'd-2', 'd-3', 'd-4', 'd-5'].map((recipientId) => ({ recipientId })));
      await b.linkVisitors([
        { visitorId: visitorId(501), recipientId: 'd-1' },
        { visitorId: visitorId(502), recipientId: 'd-2', observedAt: '2026-01-01T00:00:00.000Z' },
        { visitorId: visitorId(503), recipientId: 'd-3' },
        { visitorId: visitorId(504), recipientId: 'd-4' },
      ]);
      const list = await b.ok<{ listId: string }>('POST', '/v1/lists', { name: 'changing', recipientIds: ['d-1', 'd-2', 'd-3', 'd-5'] });
      const share = async (segmentId: string, mode: 'full' | 'incremental') => {
        const { exportId } = await b.ok<{ exportId: string }>('POST', `/v1/lists/${list.listId}/share`, { dataSource: 'defaultDataSource', segmentId, mode }, [202]);
        const [last] = await observed.waitFor<typeof Topics.listExported>('ListExported', b.orgId, (p) => p.exportId === exportId && p.last);
        const chunks = observed.of<typeof Topics.listExported>('ListExported', b.orgId, (p) => p.exportId === exportId).map((e) => e.payload);
        return {
          exportId,
          base: last.payload.base?.exportId ?? null,
          totals: last.payload.totals,
          added: chunks.flatMap((c) => c.identifiers).sort(),
          removed: chunks.flatMap((c) => c.removedIdentifiers ?? []).sort(),
        };
      };
      const first = await share('79', 'incremental');
      expect(first).toMatchObject({ base: null, added: [visitorId(501), visitorId(502), visitorId(503)], removed: [] });
      expect(first.totals).toMatchObject({ members: 4, withIdentifier: 3, complement: 1, blocked: 0, identifiers: 3 });

      // 502 moves to d-1 (the identifier stays: another member holds it), d-3 is blocklisted,
      // d-5 gains a visitor, d-1 is erased (502 falls back to d-2), d-4 (not a member) gains one
      await b.linkVisitors([{ visitorId: visitorId(502), recipientId: 'd-1' }]);
      await b.upsertRecipients([{ recipientId: 'd-3', blocklisted: true }]);
      await b.linkVisitors([
        { visitorId: visitorId(505), recipientId: 'd-5' },
        { visitorId: visitorId(506), recipientId: 'd-4' },
      ]);
      expect((await b.request('DELETE', '/v1/recipients/d-1')).status).toBe(204);

      const second = await share('79', 'incremental');
      expect(second).toMatchObject({ base: first.exportId, added: [visitorId(505)], removed: [visitorId(501), visitorId(503)] });
      const now = { members: 3, withIdentifier: 2, complement: 0, blocked: 1, identifiers: 2 };
      expect(second.totals).toMatchObject({ ...now, added: 1, removed: 2 });

      // what the audience holds is what a new audience of the list receives, and a full share ships it
      const fresh = await share('80', 'full');
      expect(fresh).toMatchObject({ base: null, added: [visitorId(502), visitorId(505)], removed: [] });
      expect(fresh.totals).toMatchObject(now);
      const full = await share('79', 'full');
      expect(full).toMatchObject({ base: null, added: [visitorId(502), visitorId(505)] });
      expect(full.totals).toMatchObject(now);

      // nothing changed since: an empty delta
      expect(await share('79', 'incremental')).toMatchObject({ base: full.exportId, added: [], removed: [] });
    });

    it('shares through a declared data source: hashed, or encrypted so that the other side can decrypt', async () => {
      const list = await a.ok<{ listId: string }>('POST', '/v1/lists', { name: 'declared', recipientIds: ['s-1', 's-2', 's-3'] });
      await a.putDataSource('shareSha', { kind: 'declared', reconciliationKey: 'email', hash: 'sha256', exportControls: ['C4'] });
      const { exportId } = await a.ok<{ exportId: string }>('POST', `/v1/lists/${list.listId}/share`, { dataSource: 'shareSha' }, [202]);
      await observed.waitFor<typeof Topics.listExported>('ListExported', a.orgId, (p) => p.exportId === exportId && p.last);
      const sha = observed.of<typeof Topics.listExported>('ListExported', a.orgId, (p) => p.exportId === exportId).map((e) => e.payload);
      expect(sha.flatMap((c) => c.identifiers).sort()).toEqual([sha256Hex('s1@example.org'), sha256Hex('s2@example.org')].sort());
      expect(sha[0]).toMatchObject({ exportControls: ['C4'], dpid: 4242 });

      await a.putDataSource('shareAes', { kind: 'declared', reconciliationKey: 'attributes.tier', encryption: { keyHex: KEY, ivHex: IV, channel: 'email' } });
      const { exportId: aes } = await a.ok<{ exportId: string }>('POST', `/v1/lists/${list.listId}/share`, { dataSource: 'shareAes' }, [202]);
      await observed.waitFor<typeof Topics.listExported>('ListExported', a.orgId, (p) => p.exportId === aes && p.last);
      const encrypted = observed.of<typeof Topics.listExported>('ListExported', a.orgId, (p) => p.exportId === aes).flatMap((e) => e.payload.identifiers);
      const k = aesKey(KEY, IV);
      // two members whose tier is gold encrypt to the same identifier: an audience is a set, it travels once
      expect(encrypted.sort()).toEqual([aesEncrypt('gold', k), aesEncrypt('silver', k)].sort());
      expect((await a.request('POST', `/v1/lists/${list.listId}/share`, { dataSource: 'nope' })).status).toBe(422);
    });

    it('labels a list through PATCH: the list carries its own labels and its segment\'s, its shares carry both, and an import drops neither', async () => {
      const hand = await a.ok<{ listId: string }>('POST', '/v1/lists', { name: 'hand', recipientIds: ['s-1', 's-2'] }, [201]);
      expect(await a.ok('PATCH', `/v1/lists/${hand.listId}`, { labels: ['C2', 'C2', 'I1'] })).toMatchObject({ name: 'hand', labels: ['C2', 'I1'] });
      const { exportId } = await a.ok<{ exportId: string }>('POST', `/v1/lists/${hand.listId}/share`, { dataSource: 'defaultDataSource' }, [202]);
      const [last] = await observed.waitFor<typeof Topics.listExported>('ListExported', a.orgId, (p) => p.exportId === exportId && p.last);
      expect(last.payload.labels).toEqual(['C2', 'I1']);

      const first = await producers.sendImport(a.orgId, { dataSource: 'defaultDataSource', sequence: nextSequence(), segments: [{ segmentId: '41', labels: ['C5'] }], members: [{ userId: visitorId(201), add: ['41'] }] });
      await a.waitReconciled(first);
      const seg = (await a.listOf('defaultDataSource', '41'))!;
      expect(await a.ok('PATCH', `/v1/lists/${seg.listId}`, { labels: ['C9'], name: 'segment 41, renamed' })).toMatchObject({ name: 'segment 41, renamed', labels: ['C5', 'C9'] });
      // the segment's labels change with its next import; the list's own stay
      const second = await producers.sendImport(a.orgId, { dataSource: 'defaultDataSource', sequence: nextSequence(), segments: [{ segmentId: '41', labels: ['C6'] }], members: [{ userId: visitorId(203), add: ['41'] }] });
      await a.waitReconciled(second);
      expect((await a.ok<{ labels: string[] }>('GET', `/v1/lists/${seg.listId}`)).labels).toEqual(['C6', 'C9']);
      // a PATCH cannot take away what the segment says
      expect((await a.ok<{ labels: string[] }>('PATCH', `/v1/lists/${seg.listId}`, { labels: [] })).labels).toEqual(['C6']);

      expect((await a.request('PATCH', `/v1/lists/${seg.listId}`, {})).status).toBe(400);
      expect((await a.request('PATCH', `/v1/lists/${seg.listId}`, { labels: ['not a label!'] })).status).toBe(400);
      expect((await b.request('PATCH', `/v1/lists/${seg.listId}`, { name: 'theirs' })).status).toBe(404);
      const reader = await stack.ims.tenant('Identity read-only lists', ['read']);
      expect((await fetch(`${a.url}/v1/lists/${seg.listId}`, { method: 'PATCH', headers: { ...reader.headers, 'content-type': 'application/json' }, body: '{"name":"x"}' })).status).toBe(403);
    });

    it('takes a segment\'s new labels from segment.changed; an import accepted before the change cannot bring the old ones back', async () => {
      const [s1, lateImport, change, s3] = [nextSequence(), nextSequence(), nextSequence(), nextSequence()];
      const first = await producers.sendImport(a.orgId, { dataSource: 'defaultDataSource', sequence: s1, segments: [{ segmentId: '43', labels: ['C5'] }], members: [{ userId: visitorId(201), add: ['43'] }] });
      await a.waitReconciled(first);
      const list = (await a.listOf('defaultDataSource', '43'))!;
      expect(list.labels).toEqual(['C5']);
      await a.ok('PATCH', `/v1/lists/${list.listId}`, { labels: ['I1'] });

      await producers.publish(Topics.segmentChanged, a.orgId, { name: '43', record: { name: 'Loyal', labels: ['C7'], asOfSequence: change } });
      await waitFor(async () => (await a.ok<{ labels: string[] }>('GET', `/v1/lists/${list.listId}`)).labels.join() === 'C7,I1', { what: 'the new labels on the list' });
      // another org's segment 43 is another segment
      expect((await b.listOf('defaultDataSource', '43'))?.labels ?? []).not.toContain('C7');

      const late = await producers.sendImport(a.orgId, { dataSource: 'defaultDataSource', sequence: lateImport, segments: [{ segmentId: '43', labels: ['C5'] }], members: [{ userId: visitorId(203), add: ['43'] }] });
      await a.waitReconciled(late);
      expect(await a.members(list.listId)).toEqual(['s-1', 's-2']);
      expect((await a.ok<{ labels: string[] }>('GET', `/v1/lists/${list.listId}`)).labels).toEqual(['C7', 'I1']);

      const next = await producers.sendImport(a.orgId, { dataSource: 'defaultDataSource', sequence: s3, segments: [{ segmentId: '43', labels: ['C8'] }], members: [{ userId: visitorId(202), add: ['43'] }] });
      await a.waitReconciled(next);
      expect((await a.ok<{ labels: string[] }>('GET', `/v1/lists/${list.listId}`)).labels).toEqual(['C8', 'I1']);
      // a change older than the labels the list has is ignored
      const handled = await consumed(a.url, Topics.segmentChanged, 'processed');
      await producers.publish(Topics.segmentChanged, a.orgId, { name: '43', record: { name: 'Loyal', labels: ['C9'], asOfSequence: change } });
      await producers.publish(Topics.segmentChanged, a.orgId, { name: '44', record: { name: 'marker', labels: [], asOfSequence: change } });
      await waitFor(async () => (await consumed(a.url, Topics.segmentChanged, 'processed')) >= handled + 2, { what: 'both changes consumed' });
      expect((await a.ok<{ labels: string[] }>('GET', `/v1/lists/${list.listId}`)).labels).toEqual(['C8', 'I1']);
    });

    it('filters lists by exact name, segment and data source, within the org', async () => {
      const named = await a.ok<{ listId: string }>('POST', '/v1/lists', { name: 'filter me', recipientIds: ['s-1'] }, [201]);
      const ids = async (query: string, client = a) => (await client.ok<{ items: { listId: string }[] }>('GET', `/v1/lists?limit=1000&${query}`)).items.map((l) => l.listId);
      expect(await ids('name=filter%20me')).toEqual([named.listId]);
      expect(await ids('name=filter')).toEqual([]);
      expect(await ids('name=filter%20me', b)).toEqual([]);
      const seg = (await a.listOf('defaultDataSource', '41'))!;
      expect(await ids('segmentId=41&dataSource=defaultDataSource')).toEqual([seg.listId]);
      expect(await ids('segmentId=41&dataSource=nope')).toEqual([]);
      expect((await a.request('GET', '/v1/lists?name=a&name=b')).status).toBe(400);
      expect((await a.request('GET', '/v1/lists?segmentId=')).status).toBe(400);
    });

    it('adds and removes members of a list made by hand, reports every line, and its next share follows', async () => {
      const hand = await a.ok<{ listId: string }>('POST', '/v1/lists', { name: 'edited by hand', recipientIds: ['s-1'] }, [201]);
      const lines = (ids: unknown[]) => ids.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join('\n');
      const added = await a.ok(
        'POST',
        `/v1/lists/${hand.listId}/members`,
        lines([{ recipientId: 's-2' }, { recipientId: 'nobody' }, 'not json', { recipient: 's-3' }, { recipientId: 's-2' }, { recipientId: 's-1' }]),
      );
      expect(added).toEqual({
        received: 6,
        added: 1,
        rejected: 3,
        errors: [
          { line: 2, reason: 'recipient nobody not found' },
          { line: 3, reason: 'not valid JSON' },
          { line: 4, reason: expect.stringContaining('recipientId') },
        ],
      });
      expect(await a.members(hand.listId)).toEqual(['s-1', 's-2']);

      const share = async () => {
        const { exportId } = await a.ok<{ exportId: string }>('POST', `/v1/lists/${hand.listId}/share`, { dataSource: 'defaultDataSource' }, [202]);
        const [last] = await observed.waitFor<typeof Topics.listExported>('ListExported', a.orgId, (p) => p.exportId === exportId && p.last);
        return last.payload.totals!;
      };
      expect(await share()).toMatchObject({ members: 2 });
      expect(await a.ok('DELETE', `/v1/lists/${hand.listId}/members`, lines([{ recipientId: 's-1' }, { recipientId: 's-3' }]))).toMatchObject({ received: 2, removed: 1, rejected: 0 });
      expect(await a.members(hand.listId)).toEqual(['s-2']);
      expect(await share()).toMatchObject({ members: 1 });
      // a removed member comes back
      expect(await a.ok('POST', `/v1/lists/${hand.listId}/members`, lines([{ recipientId: 's-1' }]))).toMatchObject({ added: 1 });
      expect((await a.ok<{ size: number }>('GET', `/v1/lists/${hand.listId}`)).size).toBe(2);

      const seg = (await a.listOf('defaultDataSource', '41'))!;
      expect((await a.request('POST', `/v1/lists/${seg.listId}/members`, lines([{ recipientId: 's-1' }]))).status).toBe(409);
      expect((await b.request('POST', `/v1/lists/${hand.listId}/members`, lines([{ recipientId: 's-1' }]))).status).toBe(404);
    });

    it('refuses open redirects', async () => {
      for (const target of ['https://evil.example.net/', 'javascript:alert(1)', '']) {
        const res = await fetch(`${a.url}/r/s-1?url=${encodeURIComponent(target)}`, { redirect: 'manual' });
        expect(res.status).toBe(400);
        // nor is a link signed for it (an empty target is a malformed body)
        expect((await a.request('POST', '/v1/tracking-links', { recipientId: 's-1', target })).status).toBe(target === '' ? 400 : 422);
      }
    });
  });

  describe('signed tracking links', () => {
    const click = (url: string, client: IdentityClient, visitor: string) =>
      fetch(url, { redirect: 'manual', headers: { cookie: `AMCV_${encodeURIComponent(client.orgId)}=${encodeURIComponent(`MCMID|${visitor}`)}` } });
    const linksOf = async (client: IdentityClient, recipientId: string) => (await client.ok<{ visitorIds: string[] }>('GET', `/v1/recipients/${recipientId}`)).visitorIds;
    const reason = async (res: Response) => ((await res.json()) as { error: { message: string } }).error.message;

    it('links a visitor only through a link it signed: unsigned, tampered, expired and other orgs\' links answer 400 and link nothing', async () => {
      await a.upsertRecipients([{ recipientId: 'tl-1' }, { recipientId: 'tl-2' }]);
      await b.upsertRecipients([{ recipientId: 'tl-1' }]);
      const target = 'https://www.example.com/offer?id=7';
      const { url } = await a.ok<{ url: string }>('POST', '/v1/tracking-links', { recipientId: 'tl-1', target }, [201]);
      const signed = new URL(url);
      const variant = (change: (u: URL) => void) => {
        const u = new URL(url);
        change(u);
        return u.toString();
      };

      const unsigned = await click(`${a.url}/r/tl-1?org=${encodeURIComponent(a.orgId)}&url=${encodeURIComponent(target)}`, a, visitorId(801));
      expect(unsigned.status).toBe(400);
      expect(await reason(unsigned)).toMatch(/not signed/);
      for (const tampered of [
        variant((u) => u.searchParams.set('url', 'https://www.example.com/offer?id=8')),
        variant((u) => (u.pathname = '/r/tl-2')),
        variant((u) => u.searchParams.set('exp', String(Number(signed.searchParams.get('exp')) + 3600))),
        // one bit of the MAC flipped (editing the last base64 character may not change the bytes)
        variant((u) => {
          const mac = Buffer.from(signed.searchParams.get('sig')!, 'base64url');
          mac[0] ^= 1;
          u.searchParams.set('sig', mac.toString('base64url'));
        }),
        // org A's signature presented for org B (whose tl-1 exists too)
        variant((u) => u.searchParams.set('org', b.orgId)),
      ]) {
        const res = await click(tampered, b, visitorId(802));
        expect(res.status).toBe(400);
        expect(await reason(res)).toMatch(/changed|not signed for this org/);
      }
      const short = await a.ok<{ url: string }>('POST', '/v1/tracking-links', { recipientId: 'tl-1', target, expiresInSeconds: 1 }, [201]);
      await new Promise((r) => setTimeout(r, 1100));
      const expired = await click(short.url, a, visitorId(803));
      expect(expired.status).toBe(400);
      expect(await reason(expired)).toMatch(/expired/);
      expect(await linksOf(a, 'tl-1')).toEqual([]);
      expect(await linksOf(a, 'tl-2')).toEqual([]);
      expect(await linksOf(b, 'tl-1')).toEqual([]);

      const ok = await click(url, a, visitorId(804));
      expect(ok.status).toBe(302);
      expect(ok.headers.get('location')).toBe(target);
      expect(await linksOf(a, 'tl-1')).toEqual([visitorId(804)]);
      // only for a recipient the org knows, and for a bounded life
      expect((await a.request('POST', '/v1/tracking-links', { recipientId: 'nobody', target })).status).toBe(404);
      expect((await a.request('POST', '/v1/tracking-links', { recipientId: 'tl-1', target, expiresInSeconds: 400 * 86400 })).status).toBe(422);
      expect((await a.request('POST', '/v1/tracking-links', { recipientId: 'tl-1', target, sig: 'x' })).status).toBe(400);
    });

    it('rotates the signing key: earlier links keep working until revoked at once, and the new key signs', async () => {
      await a.upsertRecipients([{ recipientId: 'rk-1' }]);
      const target = 'https://eu.shop.example/cart';
      const before = (await a.ok<{ url: string }>('POST', '/v1/tracking-links', { recipientId: 'rk-1', target }, [201])).url;
      const first = await a.ok<{ keyId: number }>('POST', '/v1/tracking-links/keys/rotate', {});
      expect((await click(before, a, visitorId(811))).status).toBe(302);
      const after = (await a.ok<{ url: string }>('POST', '/v1/tracking-links', { recipientId: 'rk-1', target }, [201])).url;
      expect(new URL(after).searchParams.get('sig')).not.toBe(new URL(before).searchParams.get('sig'));

      const second = await a.ok<{ keyId: number }>('POST', '/v1/tracking-links/keys/rotate', { revokePrevious: true });
      expect(second.keyId).toBe(first.keyId + 1);
      expect((await click(before, a, visitorId(812))).status).toBe(400);
      expect((await click(after, a, visitorId(813))).status).toBe(400);
      const fresh = (await a.ok<{ url: string }>('POST', '/v1/tracking-links', { recipientId: 'rk-1', target }, [201])).url;
      expect((await click(fresh, a, visitorId(814))).status).toBe(302);
      expect((await linksOf(a, 'rk-1')).sort()).toEqual([visitorId(811), visitorId(814)].sort());
      // rotating takes the scope that issues links
      const reader = await stack.ims.tenant('Identity read-only links', ['read']);
      expect((await fetch(`${a.url}/v1/tracking-links/keys/rotate`, { method: 'POST', headers: { ...reader.headers, 'content-type': 'application/json' }, body: '{}' })).status).toBe(403);
    });

    it('answers 429 to an address clicking faster than REDIRECT_RATE_PER_MINUTE', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 125; i++) statuses.push((await fetch(`${a.url}/r/rl-1?url=${encodeURIComponent('https://evil.example.net/')}`, { redirect: 'manual' })).status);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
      expect(statuses.slice(0, 5)).toEqual([400, 400, 400, 400, 400]);
    });
  });

  describe('erasure and isolation', () => {
    /** Shares the list; a later share of the same audience is a delta: `identifiers` added, `removed` gone, since `base`. */
    async function shareVisitorIds(listId: string): Promise<{ identifiers: string[]; removed: string[]; base: string | null; members: number; withIdentifier: number; complement: number }> {
      const { exportId } = await a.ok<{ exportId: string }>('POST', `/v1/lists/${listId}/share`, { dataSource: 'defaultDataSource' }, [202]);
      const [last] = await observed.waitFor<typeof Topics.listExported>('ListExported', a.orgId, (p) => p.exportId === exportId && p.last);
      const chunks = observed.of<typeof Topics.listExported>('ListExported', a.orgId, (p) => p.exportId === exportId);
      const { members, withIdentifier, complement } = last.payload.totals!;
      return {
        identifiers: chunks.flatMap((e) => e.payload.identifiers).sort(),
        removed: chunks.flatMap((e) => e.payload.removedIdentifiers ?? []).sort(),
        base: last.payload.base?.exportId ?? null,
        members,
        withIdentifier,
        complement,
      };
    }

    it('erasing a recipient removes it from lists, visitor links and exports, and says so on list.updated', async () => {
      await a.upsertRecipients([{ recipientId: 'e-1', email: 'e1@example.org' }, { recipientId: 'e-2' }]);
      await a.linkVisitors([
        { visitorId: visitorId(301), recipientId: 'e-2', observedAt: new Date(Date.now() - 60000).toISOString() },
        { visitorId: visitorId(301), recipientId: 'e-1' },
        { visitorId: visitorId(302), recipientId: 'e-1' },
      ]);
      const importId = await producers.sendImport(a.orgId, { dataSource: 'defaultDataSource', segments: [{ segmentId: '60' }], members: [{ userId: visitorId(301), add: ['60'] }, { userId: visitorId(302), add: ['60'] }] });
      await a.waitReconciled(importId);
      const imported = (await a.listOf('defaultDataSource', '60'))!;
      const picked = await a.ok<{ listId: string }>('POST', '/v1/lists', { name: 'e', recipientIds: ['e-1', 'e-2'] });
      expect(await a.members(imported.listId)).toEqual(['e-1']);
      // before: e-1 holds both visitors (301's most recent link), e-2 none
      const first = await shareVisitorIds(picked.listId);
      expect(first).toEqual({ identifiers: [visitorId(301), visitorId(302)], removed: [], base: null, members: 2, withIdentifier: 1, complement: 1 });
      const [firstExport] = observed.of<typeof Topics.listExported>('ListExported', a.orgId, (p) => p.listId === picked.listId && p.last);

      expect((await a.request('DELETE', '/v1/recipients/e-1')).status).toBe(204);
      expect((await a.request('GET', '/v1/recipients/e-1')).status).toBe(404);
      expect((await a.request('DELETE', '/v1/recipients/e-1')).status).toBe(404);
      expect(await a.members(imported.listId)).toEqual([]);
      expect(await a.members(picked.listId)).toEqual(['e-2']);
      expect((await a.ok<{ size: number }>('GET', `/v1/lists/${imported.listId}`)).size).toBe(0);
      const erased = await observed.waitFor<typeof Topics.listUpdated>('ListUpdated', a.orgId, (p) => p.cause === 'recipient-erased', 2);
      expect(erased.map((e) => e.payload.listId).sort()).toEqual([imported.listId, picked.listId].sort());
      // visitor 301 falls back to its previous link; 302 is gone
      expect((await a.ok<{ visitorIds: string[] }>('GET', '/v1/recipients/e-2')).visitorIds).toEqual([visitorId(301)]);
      // the next publication: e-1 and its visitor 302 are gone, 301 now stands for e-2
      expect(await shareVisitorIds(imported.listId)).toEqual({ identifiers: [], removed: [], base: null, members: 0, withIdentifier: 0, complement: 0 });
      // the audience already holds 301 (now e-2's): only 302 travels, as removed, on top of the first share
      expect(await shareVisitorIds(picked.listId)).toEqual({
        identifiers: [],
        removed: [visitorId(302)],
        base: firstExport.payload.exportId,
        members: 1,
        withIdentifier: 1,
        complement: 0,
      });
      const again = await producers.sendImport(a.orgId, { dataSource: 'defaultDataSource', segments: [{ segmentId: '61' }], members: [{ userId: visitorId(302), add: ['61'] }] });
      expect(await a.waitReconciled(again)).toMatchObject({ matched: 0, unmatched: 1 });
    });

    it("another org's lists, recipients, imports and reports answer 404", async () => {
      const listA = (await a.listOf('defaultDataSource', '24'))!;
      const importA = observed.of<typeof Topics.segmentReconciled>('SegmentReconciled', a.orgId)[0].payload.importId;
      for (const [method, path, body] of [
        ['GET', `/v1/lists/${listA.listId}`],
        ['GET', `/v1/lists/${listA.listId}/members`],
        ['POST', `/v1/lists/${listA.listId}/share`, { dataSource: 'defaultDataSource' }],
        ['GET', '/v1/recipients/v-r1'],
        ['DELETE', '/v1/recipients/v-r1'],
        ['GET', `/v1/imports/${importA}`],
        ['GET', `/v1/imports/${importA}/unmatched`],
        ['GET', '/v1/data-sources/crmAes'],
      ] as [string, string, unknown?][]) {
        const res = await b.request(method, path, body);
        expect({ method, path, status: res.status }).toEqual({ method, path, status: 404 });
      }
      expect((await a.request('GET', '/v1/recipients/v-r1')).status).toBe(200);
      expect((await b.ok<{ items: { listId: string }[] }>('GET', '/v1/lists')).items.map((l) => l.listId)).not.toContain(listA.listId);
    });
  });

  describe('audiences kept in sync', () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    it('follows an import, an erasure and a blocklisting with one delta per debounce window, and publishes nothing when no identifier moved', async () => {
      const rid = (i: number) => `ks-${i}`;
      await a.upsertRecipients(Array.from({ length: 10 }, (_, i) => ({ recipientId: rid(i) })));
      await a.linkVisitors(Array.from({ length: 10 }, (_, i) => ({ visitorId: visitorId(900 + i), recipientId: rid(i) })));
      const imp = (members: ImportSpec['members']) => producers.sendImport(a.orgId, { dataSource: 'defaultDataSource', mode: 'iter', segments: [{ segmentId: '95' }], members });
      await a.waitReconciled(await imp(Array.from({ length: 5 }, (_, i) => ({ userId: visitorId(900 + i), add: ['95'] }))));
      const list = (await a.listOf('defaultDataSource', '95'))!;
      const audienceId = audienceIdOf({ orgId: a.orgId, dataSource: 'defaultDataSource', segmentId: '95', audienceName: null, listId: list.listId });
      // each share whose last chunk arrived, its chunks merged: what it added and what it removed
      const shares = () => {
        const chunks = observed.of<typeof Topics.listExported>('ListExported', a.orgId, (p) => p.segmentId === '95' && p.listId === list.listId).map((e) => e.payload);
        return chunks
          .filter((c) => c.last)
          .map((last) => {
            const mine = chunks.filter((c) => c.exportId === last.exportId);
            return { ...last, identifiers: mine.flatMap((c) => c.identifiers), removedIdentifiers: mine.flatMap((c) => c.removedIdentifiers ?? []) };
          });
      };
      await a.ok('POST', `/v1/lists/${list.listId}/share`, { dataSource: 'defaultDataSource', segmentId: '95', keepInSync: true, debounceSeconds: 3 }, [202]);
      await waitFor(() => shares().length === 1, { what: 'the first share' });
      expect(await a.ok('GET', `/v1/shares/audiences/${audienceId}/sync`)).toMatchObject({ audienceId, enabled: true, debounceSeconds: 3, listId: list.listId, lastExportId: shares()[0].exportId });
      expect((await a.request('DELETE', `/v1/lists/${list.listId}`)).status).toBe(409);

      // two imports within one window: one delta
      await a.waitReconciled(await imp([{ userId: visitorId(905), add: ['95'] }, { userId: visitorId(906), add: ['95'] }, { userId: visitorId(900), remove: ['95'] }]));
      await a.waitReconciled(await imp([{ userId: visitorId(907), add: ['95'] }]));
      const second = await waitFor(() => shares().length === 2 && shares()[1], { timeoutMs: 20_000, what: 'the delta of the imports' });
      expect([second.identifiers.sort(), second.removedIdentifiers]).toEqual([[visitorId(905), visitorId(906), visitorId(907)].sort(), [visitorId(900)]]);
      expect(second.base?.exportId).toBe(shares()[0].exportId);

      // an erasure and a blocklisting
      await a.ok('DELETE', `/v1/recipients/${rid(1)}`);
      await a.upsertRecipients([{ recipientId: rid(2), blocklisted: true }]);
      const third = await waitFor(() => shares().length === 3 && shares()[2], { timeoutMs: 20_000, what: 'the delta of the erasure and the blocklisting' });
      expect([third.identifiers, [...third.removedIdentifiers].sort()]).toEqual([[], [visitorId(901), visitorId(902)].sort()]);

      // a change that moves none of its identifiers publishes nothing
      await a.upsertRecipients([{ recipientId: rid(9), email: 'ks9@example.org' }]);
      await sleep(6000);
      expect(shares()).toHaveLength(3);

      // turned off: changes are not followed any more
      expect(await a.ok('PUT', `/v1/shares/audiences/${audienceId}/sync`, { enabled: false })).toMatchObject({ enabled: false, debounceSeconds: 3 });
      await a.waitReconciled(await imp([{ userId: visitorId(908), add: ['95'] }]));
      await sleep(6000);
      expect(shares()).toHaveLength(3);
      expect((await a.request('PUT', `/v1/shares/audiences/${audienceId}/sync`, { enabled: 'yes' })).status).toBe(400);
      expect((await b.request('PUT', `/v1/shares/audiences/${audienceId}/sync`, { enabled: true })).status).toBe(404);
      expect((await a.request('DELETE', `/v1/lists/${list.listId}`)).status).toBe(204);
    }, 120_000);
  });

  describe('audit trail', () => {
    type Entry = { at: string; orgId: string; actor: string; action: string; target: string; detail: Record<string, unknown> };
    type Page = { items: Entry[]; next: string | null };
    const q = (params: Record<string, string>) => `/v1/audit?${new URLSearchParams(params).toString()}`;

    it("records who changed what: every state-changing call (refusals too) and outside producers' events, never for another org", async () => {
      await a.putDataSource('audited', { kind: 'declared', reconciliationKey: 'email' });
      expect((await a.request('PUT', '/v1/data-sources/audited', { label: '', kind: 'declared', dpid: 0 })).status).toBe(400);
      const action = 'PUT /v1/data-sources/:name';
      const mine = await waitFor(async () => {
        const page = await a.ok<Page>('GET', q({ action, target: '/v1/data-sources/audited' }));
        return page.items.length === 2 && page.items;
      }, { what: 'two audit entries' });
      // newest first: the refusal, then the change
      expect(mine.map((e) => [e.orgId, e.actor, e.action, e.target, e.detail.status])).toEqual([
        [a.orgId, a.tenant.clientId, action, '/v1/data-sources/audited', 400],
        [a.orgId, a.tenant.clientId, action, '/v1/data-sources/audited', 201],
      ]);
      expect(Date.now() - Date.parse(mine[1].at)).toBeLessThan(60_000);

      // the outside producer "crm" wrote recipient.upserted events earlier in this suite
      const events = await a.ok<Page>('GET', q({ action: 'event recipient.upserted' }));
      expect(events.items).toContainEqual(expect.objectContaining({ orgId: a.orgId, actor: 'crm', target: 'recipient.upserted', detail: expect.objectContaining({ events: expect.any(Number) }) }));

      // pages of 20 walk the same entries, newest first
      const all = await a.ok<Page>('GET', q({ limit: '1000' }));
      const walked: Entry[] = [];
      for (let after: string | null = null, pages = 0; pages === 0 || after; pages++) {
        const page: Page = await a.ok<Page>('GET', q({ limit: '20', ...(after ? { after } : {}) }));
        walked.push(...page.items);
        after = page.next;
      }
      expect(all.next).toBeNull();
      expect(walked).toEqual(all.items);
      expect(all.items.map((e) => e.at)).toEqual([...all.items.map((e) => e.at)].sort().reverse());
      expect((await a.ok<Page>('GET', q({ from: '2999-01-01T00:00:00Z' }))).items).toEqual([]);
      expect((await a.ok<Page>('GET', q({ to: mine[1].at, action, target: '/v1/data-sources/audited' }))).items).toEqual([]);
      for (const bad of [{ from: 'yesterday' }, { limit: '0' }, { after: 'nope' }, { action: '' }] as Record<string, string>[]) expect((await a.request('GET', q(bad))).status).toBe(400);

      const theirs = await b.ok<Page>('GET', q({ limit: '1000' }));
      expect(theirs.items.every((e) => e.orgId === b.orgId)).toBe(true);
      expect(JSON.stringify(theirs.items)).not.toContain('/v1/data-sources/audited');
    });
  });
});

async function waitForLinks(client: IdentityClient, recipientId: string, count: number): Promise<void> {
  await waitFor(async () => (await client.ok<{ visitorIds: string[] }>('GET', `/v1/recipients/${recipientId}`)).visitorIds.length >= count, { what: `${count} links of ${recipientId}` });
}

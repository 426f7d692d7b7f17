import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { Connection } from 'mysql2/promise';
import { connectDatabase, kafkaAuth, repoRoot, ServiceProcess, testDatabase, testEnv, waitFor } from '@audx/testing';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { signRs256 } from '@audx/auth';
import { algNone, hs256WithPublicKey, realSigningKey, resign, tamper } from './support/forge';
import { ADMIN_ID, ADMIN_SECRET, ImsClient, Integration, apiHeaders, claimsOf, form, headerOf, http } from './support/ims-client';

/**
 * IMS over HTTP on real processes, MySQL and Kafka: three replicas on one schema (A and B, plus
 * C with a tight brute-force brake behind a trusted proxy), booted together.
 */
const env = testEnv();
const database = testDatabase('audx_ims_api');
const ORG_ID = /^[0-9A-F]{24}@AdobeOrg$/;

describe('IMS (three replicas, real MySQL and Kafka)', () => {
  let a: ServiceProcess;
  let b: ServiceProcess;
  let c: ServiceProcess;
  let ims: ImsClient;
  let db: Connection;
  let orgId: string;
  let reader: Integration;

  beforeAll(async () => {
    const common = { MYSQL_DATABASE: database, IMS_KEY_PUBLISH_LEAD_SECONDS: '1' };
    [a, b, c] = await Promise.all([
      ServiceProcess.create('ims', common),
      ServiceProcess.create('ims', common),
      // C trusts the test runner as its proxy: X-Forwarded-For stands for distinct callers
      ServiceProcess.create('ims', { ...common, IMS_AUTH_FAILURES_PER_CLIENT: '3', IMS_AUTH_FAILURES_PER_ADDRESS: '6', IMS_AUTH_FAILURE_WINDOW_SECONDS: '3', IMS_TRUSTED_PROXIES: '127.0.0.1' }),
    ]);
    await Promise.all([a.start(), b.start(), c.start()]);
    ims = new ImsClient(a.url);
    db = await connectDatabase(database);
    orgId = await ims.createOrg('Acme Retail');
    reader = await ims.createIntegration(orgId, ['read', 'lists.write'], 'campaign');
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
    await db?.end();
  });

  describe('signing keys', () => {
    it('replicas booting together on an empty schema create one first key and serve the same JWKS', async () => {
      const [rows] = await db.query('SELECT COUNT(*) AS n FROM signing_keys');
      expect(Number((rows as { n: string }[])[0].n)).toBe(1);
      const sets = await Promise.all([a, b, c].map((p) => http<{ keys: { kid: string; kty: string; alg: string; use: string }[] }>(`${p.url}/ims/keys`)));
      expect(sets[0].body.keys).toHaveLength(1);
      expect(sets[0].body.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String) });
      expect(sets[1].body).toEqual(sets[0].body);
      expect(sets[2].body).toEqual(sets[0].body);
    });

    it('stores the private key encrypted, never in clear', async () => {
      const [rows] = await db.query('SELECT private_key_enc, public_jwk FROM signing_keys');
      for (const r of rows as { private_key_enc: string; public_jwk: string }[]) {
        expect(r.private_key_enc).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
        expect(r.private_key_enc).not.toContain('PRIVATE KEY');
        expect(JSON.parse(r.public_jwk)).not.toHaveProperty('d');
      }
    });

    it('serves the discovery document', async () => {
      const r = await http(`${a.url}/ims/.well-known/openid-configuration`);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ jwks_uri: expect.stringMatching(/\/ims\/keys$/), token_endpoint: expect.stringMatching(/\/ims\/token\/v3$/), grant_types_supported: ['client_credentials'], id_token_signing_alg_values_supported: ['RS256'] });
    });
  });

  describe('organizations and integrations (ims.admin)', () => {
    it('creates an organization with an Adobe-shaped id', async () => {
      const r = await ims.admin('POST', '/ims/organizations', { name: 'Globex' });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ orgId: expect.stringMatching(ORG_ID), name: 'Globex' });
    });

    it('creates an integration whose secret is shown once and stored as a salted scrypt hash', async () => {
      expect(reader).toMatchObject({ clientId: expect.stringMatching(/^[0-9a-f]{32}$/), technicalAccountId: expect.stringMatching(/^[0-9A-F]{24}@techacct\.adobe\.com$/), scopes: ['read', 'lists.write'] });
      const [rows] = await db.query('SELECT secret_hash FROM integrations WHERE client_id = ?', [reader.clientId]);
      const [{ secret_hash }] = rows as { secret_hash: string }[];
      expect(secret_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
      expect(secret_hash).not.toContain(reader.clientSecret);
      const listed = await ims.admin<{ items: Record<string, unknown>[] }>('GET', `/ims/organizations/${orgId}/integrations`);
      expect(listed.body.items.find((i) => i.clientId === reader.clientId)).not.toHaveProperty('clientSecret');
    });

    it.each([
      ['a reserved scope', { name: 'x', scopes: ['ims.admin'] }],
      ['an unknown scope', { name: 'x', scopes: ['openid'] }],
      ['no scope', { name: 'x', scopes: [] }],
      ['no name', { scopes: ['read'] }],
    ])('refuses an integration with %s (400)', async (_, body) => {
      const r = await ims.admin<{ error: { code: string } }>('POST', `/ims/organizations/${orgId}/integrations`, body);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('bad_request');
    });

    it('answers 404 for an unknown organization or integration', async () => {
      expect((await ims.admin('POST', '/ims/organizations/000000000000000000000000@AdobeOrg/integrations', { name: 'x', scopes: ['read'] })).status).toBe(404);
      expect((await ims.admin('POST', `/ims/organizations/${orgId}/integrations/nope/secrets`, {})).status).toBe(404);
      expect((await ims.admin('DELETE', `/ims/organizations/${orgId}/integrations/nope`)).status).toBe(404);
    });

    it('protects admin routes: 401 without a token, 403 for an org token or a wrong x-api-key, 400 on malformed JSON', async () => {
      expect((await http(`${a.url}/ims/organizations`, { method: 'POST' })).status).toBe(401);
      const token = await ims.accessToken(reader.clientId, reader.clientSecret);
      const asOrg = await http<{ error: { code: string; requestId: string } }>(`${a.url}/ims/organizations`, { headers: apiHeaders(token, reader.clientId, orgId) });
      expect(asOrg.status).toBe(403);
      expect(asOrg.body.error).toMatchObject({ code: 'forbidden', requestId: expect.any(String) });
      const admin = await ims.accessToken(ADMIN_ID, ADMIN_SECRET);
      expect((await http(`${a.url}/ims/organizations`, { headers: apiHeaders(admin, 'someone-else') })).status).toBe(403);
      const malformed = await http<{ error: { code: string } }>(`${a.url}/ims/organizations`, { method: 'POST', headers: { ...apiHeaders(admin, ADMIN_ID), 'content-type': 'application/json' }, body: '{"name":' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.code).toBe('bad_request');
    });
  });

  describe('the guard on the admin routes refuses forged tokens (401)', () => {
    let admin: string;
    beforeAll(async () => {
      admin = await ims.accessToken(ADMIN_ID, ADMIN_SECRET);
    });
    const list = (token: string) => http<{ error: { message: string } }>(`${a.url}/ims/organizations`, { headers: apiHeaders(token, ADMIN_ID) });

    it('accepts the genuine token', async () => {
      expect((await list(admin)).status).toBe(200);
    });

    it.each([
      ['alg none', async (t: string) => algNone(t), 'invalid access token: malformed token'],
      [
        'HS256 keyed with the published public key',
        async (t: string) => {
          const { body } = await http<{ keys: Record<string, string>[] }>(`${a.url}/ims/keys`);
          const jwk = body.keys.find((k) => k.kid === headerOf(t).kid)!;
          return hs256WithPublicKey(t, createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' }).export({ format: 'pem', type: 'spki' }).toString());
        },
        'invalid access token: unsupported algorithm HS256',
      ],
      ['a tampered payload', async (t: string) => tamper(t, { client_id: 'someone', exp: Number(claimsOf(t).exp) + 86400 }), 'invalid access token: invalid signature'],
      ['an expired token signed with the real key', async (t: string) => resign({ ...claimsOf(t), exp: Math.floor(Date.now() / 1000) - 3600 }, await realSigningKey(db)), 'invalid access token: token expired'],
      ['a not-yet-valid token signed with the real key', async (t: string) => resign({ ...claimsOf(t), nbf: Math.floor(Date.now() / 1000) + 3600 }, await realSigningKey(db)), 'invalid access token: token not yet valid'],
      ['an unknown kid', async (t: string) => signRs256(claimsOf(t), generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'unknown-kid'), 'invalid access token: unknown signing key'],
    ])('%s', async (_, forge, message) => {
      const r = await list(await forge(admin));
      expect(r.status).toBe(401);
      expect(r.body.error.message).toBe(message);
    });
  });

  describe('tokens', () => {
    it('issues an RS256 token with Adobe claims to the operator, with no org', async () => {
      const r = await http<{ access_token: string; token_type: string; expires_in: number }>(`${a.url}/ims/token/v3`, form({ grant_type: 'client_credentials', client_id: ADMIN_ID, client_secret: ADMIN_SECRET }));
      expect(r.status).toBe(200);
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.body).toMatchObject({ token_type: 'bearer', expires_in: 86400 });
      expect(headerOf(r.body.access_token)).toMatchObject({ alg: 'RS256', kid: expect.any(String) });
      const claims = claimsOf(r.body.access_token);
      expect(claims).toMatchObject({ type: 'access_token', client_id: ADMIN_ID, as: 'ims-na1', scope: 'ims.admin', expires_in: '86400000' });
      expect(claims).not.toHaveProperty('org');
      expect(Number(claims.created_at) + Number(claims.expires_in)).toBeCloseTo(Number(claims.exp) * 1000, -4);
    });

    it('issues org tokens from url-encoded, multipart and query-string requests (the secret in the body or a Basic header, never the URL), on any replica', async () => {
      const fields = { grant_type: 'client_credentials', client_id: reader.clientId, client_secret: reader.clientSecret, scope: 'read' };
      const multipart = new FormData();
      for (const [k, v] of Object.entries(fields)) multipart.append(k, v);
      const basic = `Basic ${Buffer.from(`${reader.clientId}:${reader.clientSecret}`).toString('base64')}`;
      const answers = await Promise.all([
        http<{ access_token: string }>(`${a.url}/ims/token/v3`, form(fields)),
        http<{ access_token: string }>(`${b.url}/ims/token/v3`, { method: 'POST', body: multipart }),
        http<{ access_token: string }>(`${c.url}/ims/token/v3?${new URLSearchParams({ grant_type: 'client_credentials', scope: 'read' })}`, { method: 'POST', headers: { authorization: basic } }),
      ]);
      const inUrl = await http<{ error: string; error_description: string }>(`${a.url}/ims/token/v3?${new URLSearchParams(fields)}`, { method: 'POST' });
      expect(inUrl).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'client_secret must be sent in the request body or an Authorization: Basic header, never in the URL' } });
      for (const r of answers) {
        expect(r.status).toBe(200);
        expect(claimsOf(r.body.access_token)).toMatchObject({ client_id: reader.clientId, org: orgId, user_id: reader.technicalAccountId, sub: reader.technicalAccountId, scope: 'read', jti: expect.any(String) });
      }
      // a token issued by A validates on B
      const v = await http(`${b.url}/ims/validate_token/v1`, { method: 'POST', headers: { authorization: `Bearer ${answers[0].body.access_token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: `type=access_token&client_id=${reader.clientId}` });
      expect(v.body).toMatchObject({ valid: true, token: { client_id: reader.clientId, org: orgId } });
    });

    it('takes org_id on v2 and refuses another org', async () => {
      const fields = { grant_type: 'client_credentials', client_id: reader.clientId, client_secret: reader.clientSecret };
      const multipart = new FormData();
      for (const [k, v] of Object.entries({ ...fields, org_id: orgId })) multipart.append(k, v);
      const ok = await http<{ access_token: string }>(`${a.url}/ims/token/v2`, { method: 'POST', body: multipart });
      expect(ok.status).toBe(200);
      expect(claimsOf(ok.body.access_token).scope).toBe('read,lists.write');
      const other = await http(`${a.url}/ims/token/v2`, form({ ...fields, org_id: '000000000000000000000000@AdobeOrg' }));
      expect(other).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    });

    const bad: [string, () => RequestInit | Promise<RequestInit>, number, string][] = [
      ['an unknown grant type', () => form({ grant_type: 'password', username: 'u', password: 'p' }), 400, 'unsupported_grant_type'],
      ['no grant type', () => form({ client_id: 'x', client_secret: 'y' }), 400, 'invalid_request'],
      ['an unknown client', () => form({ grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'nothing' }), 401, 'invalid_client'],
      ['a scope the client does not hold', () => form({ grant_type: 'client_credentials', client_id: reader.clientId, client_secret: reader.clientSecret, scope: 'config.write' }), 400, 'invalid_scope'],
      ['an unknown scope', () => form({ grant_type: 'client_credentials', client_id: reader.clientId, client_secret: reader.clientSecret, scope: 'openid,read' }), 400, 'invalid_scope'],
      ['malformed percent-encoding', () => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=%E0%A4%A&client_id=%%' }), 400, 'invalid_request'],
      ['a repeated parameter', () => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&grant_type=client_credentials' }), 400, 'invalid_request'],
      ['a JSON body', () => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":"client_credentials"}' }), 400, 'invalid_request'],
      ['a truncated multipart body', () => ({ method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: '--b\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_cre' }), 400, 'invalid_request'],
      ['multipart without a boundary', () => ({ method: 'POST', headers: { 'content-type': 'multipart/form-data' }, body: 'grant_type=client_credentials' }), 400, 'invalid_request'],
      ['a file upload', () => {
        const f = new FormData();
        f.append('grant_type', 'client_credentials');
        f.append('client_secret', new Blob(['x'.repeat(100)]), 'secret.txt');
        return { method: 'POST', body: f };
      }, 400, 'invalid_request'],
      ['a 20 KiB body', () => form({ grant_type: 'client_credentials', padding: 'x'.repeat(20 * 1024) }), 413, 'invalid_request'],
      ['a 1 MiB chunked body', () => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new Blob(['a='.padEnd(1024 * 1024, 'x')]).stream(), duplex: 'half' } as RequestInit), 413, 'invalid_request'],
      ['binary garbage', () => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new Uint8Array([0xff, 0xfe, 0x00, 0x3d, 0xc3]) }), 400, 'invalid_request'],
    ];

    it.each(bad)('answers %s with an OAuth error, never a 500', async (_, init, status, error) => {
      const r = await http<{ error: string; error_description: string }>(`${a.url}/ims/token/v3`, await init());
      expect(r.status).toBe(status);
      expect(r.body).toEqual({ error, error_description: expect.any(String) });
    });

    it('keeps serving after all of that', async () => {
      expect((await ims.token(reader.clientId, reader.clientSecret)).status).toBe(200);
    });
  });

  describe('validate_token/v1', () => {
    it('answers 200 valid with the claims, from the header or the token field', async () => {
      const token = await ims.accessToken(reader.clientId, reader.clientSecret);
      const byField = await http(`${a.url}/ims/validate_token/v1`, form({ type: 'access_token', client_id: reader.clientId, token }));
      expect(byField).toMatchObject({ status: 200, body: { valid: true, token: { jti: claimsOf(token).jti } } });
    });

    it.each([
      ['garbage', { type: 'access_token', client_id: 'x', token: 'not-a-token' }],
      ['no token', { type: 'access_token', client_id: 'x' }],
      ['another client id', { type: 'access_token', client_id: 'someone-else', token: 'TOKEN' }],
      ['a refresh token type', { type: 'refresh_token', client_id: 'CLIENT', token: 'TOKEN' }],
    ])('answers 200 valid false with a reason for %s', async (_, fields) => {
      const token = await ims.accessToken(reader.clientId, reader.clientSecret);
      const values = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v === 'TOKEN' ? token : v === 'CLIENT' ? reader.clientId : v]));
      const r = await http(`${a.url}/ims/validate_token/v1`, form(values));
      expect(r).toMatchObject({ status: 200, body: { valid: false, reason: expect.any(String) } });
    });

    it('answers 200 valid false, with what is wrong, for a body it cannot read', async () => {
      const json = await http(`${a.url}/ims/validate_token/v1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"token":"x"}' });
      expect(json).toMatchObject({ status: 200, body: { valid: false, reason: expect.stringMatching(/content type/i) } });
      const twice = await http(`${a.url}/ims/validate_token/v1`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=a&token=b' });
      expect(twice).toMatchObject({ status: 200, body: { valid: false, reason: expect.stringMatching(/more than once/) } });
      const huge = await http(`${a.url}/ims/validate_token/v1`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${'x'.repeat(64 * 1024)}` });
      expect(huge).toMatchObject({ status: 200, body: { valid: false, reason: expect.stringMatching(/larger than/) } });
    });
  });

  describe('invalidate_token/v2', () => {
    it('revokes a token: stored in MySQL, published on ims.token.revoked, refused by validate_token on every replica', async () => {
      const token = await ims.accessToken(reader.clientId, reader.clientSecret);
      const { jti, exp } = claimsOf(token) as { jti: string; exp: number };
      const seen: { jti: string; exp: number }[] = [];
      const kafka = new Kafka({ brokers: env.kafkaBrokers.split(','), ...kafkaAuth(), logLevel: logLevel.NOTHING });
      const consumer = kafka.consumer({ groupId: `${env.namespace}.ims-test-revocations` });
      await consumer.connect();
      await consumer.subscribe({ topic: `${env.namespace}.ims.token.revoked`, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(JSON.parse(message.value!.toString()).payload) });
      try {
        const r = await http(`${b.url}/ims/invalidate_token/v2`, form({ token_type: 'access_token', token, client_id: reader.clientId, client_secret: reader.clientSecret }));
        expect(r.status).toBe(200);
        const [rows] = await db.query('SELECT kind, client_id FROM revoked_tokens WHERE jti = ?', [jti]);
        expect(rows).toEqual([{ kind: 'token', client_id: reader.clientId }]);
        await waitFor(() => seen.some((s) => s.jti === jti), { timeoutMs: 10000, what: 'revocation on the topic' });
        expect(seen.find((s) => s.jti === jti)).toEqual({ jti, exp });
        for (const p of [a, b, c]) {
          expect((await http(`${p.url}/ims/validate_token/v1`, form({ client_id: reader.clientId, token }))).body).toEqual({ valid: false, reason: 'token revoked' });
        }
      } finally {
        await consumer.disconnect();
      }
    });

    it('refuses wrong client credentials (401) and another client revoking the token (400 unauthorized_client)', async () => {
      const token = await ims.accessToken(reader.clientId, reader.clientSecret);
      expect((await http(`${a.url}/ims/invalidate_token/v2`, form({ token, client_id: reader.clientId, client_secret: 'wrong' }))).status).toBe(401);
      const other = await http(`${a.url}/ims/invalidate_token/v2`, form({ token, client_id: ADMIN_ID, client_secret: ADMIN_SECRET }));
      expect(other).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
      expect((await http(`${a.url}/ims/invalidate_token/v2`, form({ token: 'garbage', client_id: reader.clientId, client_secret: reader.clientSecret }))).status).toBe(200);
    });

    it('with cascading=all, revokes every token the client holds but not one requested right after', async () => {
      const client = await ims.createIntegration(orgId, ['read']);
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000))); // so that all of it happens within one second
      const first = await ims.accessToken(client.clientId, client.clientSecret);
      const second = await ims.accessToken(client.clientId, client.clientSecret);
      expect((await http(`${a.url}/ims/invalidate_token/v2`, form({ token: first, cascading: 'all', client_id: client.clientId, client_secret: client.clientSecret }))).status).toBe(200);
      const next = await ims.accessToken(client.clientId, client.clientSecret);
      const validate = async (p: ServiceProcess, token: string) => (await http(`${p.url}/ims/validate_token/v1`, form({ client_id: client.clientId, token }))).body;
      for (const p of [a, b]) {
        expect(await validate(p, first)).toEqual({ valid: false, reason: 'token revoked' });
        expect(await validate(p, second)).toEqual({ valid: false, reason: 'token revoked' });
        expect(await validate(p, next)).toMatchObject({ valid: true });
      }
    });
  });

  describe('secret rotation and deletion', () => {
    it('keeps the old secret working during the grace period only', async () => {
      const client = await ims.createIntegration(orgId, ['read']);
      const rotated = await ims.admin<{ clientSecret: string; previousSecretExpiresAt: string }>('POST', `/ims/organizations/${orgId}/integrations/${client.clientId}/secrets`, { graceSeconds: 2 });
      expect(rotated.status).toBe(201);
      expect(rotated.body.clientSecret).not.toBe(client.clientSecret);
      expect((await ims.token(client.clientId, client.clientSecret)).status).toBe(200);
      expect((await ims.token(client.clientId, rotated.body.clientSecret)).status).toBe(200);
      await waitFor(async () => (await ims.token(client.clientId, client.clientSecret)).status === 401, { timeoutMs: 5000, intervalMs: 250, what: 'grace period over' });
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(rotated.body.previousSecretExpiresAt));
      expect((await ims.token(client.clientId, rotated.body.clientSecret)).status).toBe(200);
    });

    it('stops the old secret at once without a grace period', async () => {
      const client = await ims.createIntegration(orgId, ['read']);
      const rotated = await ims.admin<{ clientSecret: string }>('POST', `/ims/organizations/${orgId}/integrations/${client.clientId}/secrets`, {});
      expect((await ims.token(client.clientId, client.clientSecret)).body).toMatchObject({ error: 'invalid_client' });
      expect((await ims.token(client.clientId, rotated.body.clientSecret)).status).toBe(200);
    });

    it('deleting an integration refuses its credentials and every token it holds', async () => {
      const client = await ims.createIntegration(orgId, ['read']);
      const token = await ims.accessToken(client.clientId, client.clientSecret);
      expect((await ims.admin('DELETE', `/ims/organizations/${orgId}/integrations/${client.clientId}`)).status).toBe(204);
      expect((await ims.token(client.clientId, client.clientSecret)).status).toBe(401);
      for (const p of [a, b]) expect((await http(`${p.url}/ims/validate_token/v1`, form({ client_id: client.clientId, token }))).body).toEqual({ valid: false, reason: 'token revoked' });
      expect((await ims.admin('DELETE', `/ims/organizations/${orgId}/integrations/${client.clientId}`)).status).toBe(404);
    });
  });

  describe('key rotation', () => {
    it('publishes the next key before signing with it, and keeps the replaced key for tokens still alive', async () => {
      const before = await ims.accessToken(reader.clientId, reader.clientSecret);
      const oldKid = headerOf(before).kid;
      const rotated = await ims.admin<{ kid: string; activatesAt: string }>('POST', '/ims/keys/rotate', { activateInSeconds: 2 });
      expect(rotated.status).toBe(201);
      const kids = async (p: ServiceProcess) => (await http<{ keys: { kid: string }[] }>(`${p.url}/ims/keys`)).body.keys.map((k) => k.kid);
      expect(await kids(a)).toEqual([oldKid, rotated.body.kid]);
      expect(headerOf(await ims.accessToken(reader.clientId, reader.clientSecret)).kid).toBe(oldKid);
      await waitFor(async () => (await kids(b)).includes(rotated.body.kid), { timeoutMs: 8000, what: 'replica B publishes the next key' });
      await waitFor(async () => headerOf(await ims.accessToken(reader.clientId, reader.clientSecret)).kid === rotated.body.kid, { timeoutMs: 8000, what: 'signing with the new key' });
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(rotated.body.activatesAt));
      expect(await kids(a)).toEqual([oldKid, rotated.body.kid]);
      const after = await new ImsClient(b.url).accessToken(reader.clientId, reader.clientSecret);
      for (const token of [before, after]) {
        expect((await http(`${c.url}/ims/validate_token/v1`, form({ client_id: reader.clientId, token }))).body).toMatchObject({ valid: true });
      }
    });
  });

  describe('brute force (replica C: 3 failures per client, 6 per address, 3 s window)', () => {
    /** A token request from `address`, as C's trusted proxy would forward it. */
    const tokenFrom = (address: string, clientId: string, clientSecret: string) =>
      http(`${c.url}/ims/token/v3`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': `${address}, 127.0.0.1` },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
      });

    it('answers 429 with Retry-After to the address guessing a client id, even with the right secret, until the window passes', async () => {
      const client = await ims.createIntegration(orgId, ['read']);
      const attacker = '203.0.113.7';
      for (let i = 0; i < 3; i++) expect((await tokenFrom(attacker, client.clientId, `wrong-${i}`)).status).toBe(401);
      const blocked = await tokenFrom(attacker, client.clientId, client.clientSecret);
      expect(blocked.status).toBe(429);
      expect(blocked.body).toMatchObject({ error: 'too_many_requests' });
      const retryAfter = Number(blocked.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(3);
      // the client id is public: its owner, from its own address, is not locked out
      expect((await tokenFrom('198.51.100.20', client.clientId, client.clientSecret)).status).toBe(200);
      // other clients from the attacker's address still get through (3 failures < 6)
      expect((await tokenFrom(attacker, reader.clientId, reader.clientSecret)).status).toBe(200);
      await new Promise((r) => setTimeout(r, retryAfter * 1000 + 100));
      expect((await tokenFrom(attacker, client.clientId, client.clientSecret)).status).toBe(200);
    });

    it('once a client id is under attack, answers its failures 429 and lets each other address guess once', async () => {
      const client = await ims.createIntegration(orgId, ['read']);
      for (let i = 0; i < 3; i++) expect((await tokenFrom('203.0.113.8', client.clientId, `wrong-${i}`)).status).toBe(401);
      const guess = await tokenFrom('203.0.113.9', client.clientId, 'wrong-3');
      expect(guess.status).toBe(429);
      expect(guess.headers.get('retry-after')).toMatch(/^[1-3]$/);
      expect((await tokenFrom('203.0.113.9', client.clientId, client.clientSecret)).status).toBe(429);
      expect((await tokenFrom('198.51.100.21', client.clientId, client.clientSecret)).status).toBe(200);
    });

    it('answers 429 per source address when many client ids fail from it', async () => {
      const imsC = new ImsClient(c.url);
      await new Promise((r) => setTimeout(r, 3100)); // earlier failures leave the window
      for (let i = 0; i < 6; i++) expect((await imsC.token(`guess-${i}`, 'nothing')).status).toBe(401);
      const blocked = await imsC.token(reader.clientId, reader.clientSecret);
      expect(blocked.status).toBe(429);
      expect(blocked.headers.get('retry-after')).toMatch(/^[1-3]$/);
      // the failures are shared (MySQL), but each replica applies its own limits: A runs with the
      // default ones, higher than C's, so the same address still gets a token there
      expect((await ims.token(reader.clientId, reader.clientSecret)).status).toBe(200);
    });
  });

  it('refuses to boot in production with the development admin secret and key encryption key', () => {
    const r = spawnSync(process.execPath, ['-r', '@swc-node/register', path.join(repoRoot, 'apps/ims/src/main.ts')], {
      cwd: repoRoot,
      env: { ...process.env, NODE_ENV: 'production', MYSQL_DATABASE: database },
      encoding: 'utf8',
      timeout: 60000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('IMS_ADMIN_CLIENT_SECRET: the development default must not be used in production');
    expect(r.stderr).toContain('IMS_KEY_ENCRYPTION_KEY: the development default must not be used in production');
  });

  it('documents its API at /docs', async () => {
    const r = await http<{ paths: Record<string, unknown>; tags?: unknown }>(`${a.url}/docs/openapi.json`);
    expect(Object.keys(r.body.paths)).toEqual(expect.arrayContaining(['/ims/token/v3', '/ims/token/v2', '/ims/keys', '/ims/organizations', '/ims/organizations/{orgId}/integrations/{clientId}/secrets']));
  });
});

import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import type { Connection } from 'mysql2/promise';
import { signRs256 } from '@audx/auth';
import { ServiceProcess, connectDatabase, testDatabase, waitFor } from '@audx/testing';
import { algNone, hs256WithPublicKey, realSigningKey, resign, tamper } from './support/forge';
import { ImsClient, Integration, apiHeaders, claimsOf, headerOf, http } from './support/ims-client';

/**
 * @audx/auth in a service of its own (test/fixtures/protected-app.ts), as every service uses it:
 * keys from IMS's JWKS over HTTP, revocations from ims.token.revoked. Each attack is sent to the
 * running process.
 */
const imsDatabase = testDatabase('audx_ims_guard');

describe('AccessTokenGuard in a service of its own (real IMS, MySQL, Kafka)', () => {
  let ims: ServiceProcess;
  let probe: ServiceProcess;
  let client: ImsClient;
  let db: Connection;
  let orgA: string;
  let orgB: string;
  let a: Integration;
  let writerOnly: Integration;
  let b: Integration;

  const startProbe = () =>
    ServiceProcess.fromScript(path.join(__dirname, 'fixtures/protected-app.ts'), {
      IMS_URL: ims.url,
      MYSQL_DATABASE: testDatabase('audx_probe_guard'),
      JWKS_COOLDOWN_MS: '1000',
    }).then((p) => p.start());

  const read = (token: string, clientId: string, orgId?: string) => http<{ orgId?: string; error?: { code: string; message: string; requestId: string } }>(`${probe.url}/probe/read`, { headers: apiHeaders(token, clientId, orgId) });

  beforeAll(async () => {
    ims = await (await ServiceProcess.create('ims', { MYSQL_DATABASE: imsDatabase })).start();
    client = new ImsClient(ims.url);
    [probe, orgA, orgB] = await Promise.all([startProbe(), client.createOrg('A'), client.createOrg('B')]);
    [a, writerOnly, b] = await Promise.all([
      client.createIntegration(orgA, ['read', 'lists.write']),
      client.createIntegration(orgA, ['lists.write']),
      client.createIntegration(orgB, ['read']),
    ]);
    db = await connectDatabase(imsDatabase);
  });

  afterAll(async () => {
    await probe?.stop();
    await ims?.stop();
    await db?.end();
  });

  it('lets a valid token through with its org', async () => {
    const token = await client.accessToken(a.clientId, a.clientSecret);
    expect(await read(token, a.clientId, orgA)).toMatchObject({ status: 200, body: { orgId: orgA, clientId: a.clientId } });
    const tokenB = await client.accessToken(b.clientId, b.clientSecret);
    expect(await read(tokenB, b.clientId, orgB)).toMatchObject({ status: 200, body: { orgId: orgB } });
  });

  it('answers 401 in the platform error shape without a token', async () => {
    const r = await http<{ error: Record<string, string> }>(`${probe.url}/probe/read`, { headers: { 'x-api-key': a.clientId, 'x-gw-ims-org-id': orgA } });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: { code: 'unauthorized', message: 'missing bearer token', requestId: expect.any(String) } });
    expect(r.headers.get('www-authenticate')).toContain('Bearer');
  });

  describe('forged and unusable tokens: 401', () => {
    let genuine: string;
    beforeAll(async () => {
      genuine = await client.accessToken(a.clientId, a.clientSecret);
    });

    it('alg none', async () => {
      expect(await read(algNone(genuine), a.clientId, orgA)).toMatchObject({ status: 401 });
    });

    it('HS256 signed with the published RSA public key (key confusion)', async () => {
      const { body } = await http<{ keys: Record<string, string>[] }>(`${ims.url}/ims/keys`);
      const jwk = body.keys.find((k) => k.kid === headerOf(genuine).kid)!;
      const pem = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' }).export({ format: 'pem', type: 'spki' }).toString();
      const r = await read(hs256WithPublicKey(genuine, pem), a.clientId, orgA);
      expect(r).toMatchObject({ status: 401, body: { error: { message: 'invalid access token: unsupported algorithm HS256' } } });
    });

    it('a tampered payload (org and scope changed, signature kept)', async () => {
      const forged = tamper(genuine, { org: orgB, scope: 'read,lists.write,config.write' });
      expect(await read(forged, a.clientId, orgB)).toMatchObject({ status: 401, body: { error: { message: 'invalid access token: invalid signature' } } });
    });

    it('expired, and not yet valid, though signed with the real key', async () => {
      const key = await realSigningKey(db);
      const now = Math.floor(Date.now() / 1000);
      const claims = claimsOf(genuine);
      const expired = resign({ ...claims, iat: now - 7200, nbf: now - 7200, exp: now - 3600 }, key);
      expect(await read(expired, a.clientId, orgA)).toMatchObject({ status: 401, body: { error: { message: 'invalid access token: token expired' } } });
      const early = resign({ ...claims, nbf: now + 3600, exp: now + 7200 }, key);
      expect(await read(early, a.clientId, orgA)).toMatchObject({ status: 401, body: { error: { message: 'invalid access token: token not yet valid' } } });
      // the same claims re-signed unchanged are fine: the forgery helper is not what fails
      expect((await read(resign(claims, key), a.clientId, orgA)).status).toBe(200);
    });

    it('issued for another audience, or for none, though signed with the real key', async () => {
      const key = await realSigningKey(db);
      const claims = claimsOf(genuine);
      expect(claims.aud).toBe('audience-exchange');
      const elsewhere = resign({ ...claims, aud: 'another-product' }, key);
      expect(await read(elsewhere, a.clientId, orgA)).toMatchObject({ status: 401, body: { error: { message: 'invalid access token: unexpected audience' } } });
      const { aud: _dropped, ...noAudience } = claims;
      expect(await read(resign(noAudience, key), a.clientId, orgA)).toMatchObject({ status: 401, body: { error: { message: 'invalid access token: missing audience' } } });
      // and IMS's own validate_token says the same
      const validate = async (token: string) =>
        (await fetch(`${ims.url}/ims/validate_token/v1`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ type: 'access_token', client_id: a.clientId, token }) })).json();
      expect(await validate(elsewhere)).toMatchObject({ valid: false, reason: 'unexpected audience' });
      expect(await validate(resign(claims, key))).toMatchObject({ valid: true });
    });

    it('a key id IMS never published', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const forged = signRs256(claimsOf(genuine), privateKey, 'attacker-kid');
      expect(await read(forged, a.clientId, orgA)).toMatchObject({ status: 401, body: { error: { message: 'invalid access token: unknown signing key' } } });
      const sameKid = signRs256(claimsOf(genuine), privateKey, String(headerOf(genuine).kid));
      expect(await read(sameKid, a.clientId, orgA)).toMatchObject({ status: 401, body: { error: { message: 'invalid access token: invalid signature' } } });
    });
  });

  describe('tokens used out of place: 403', () => {
    it("an org A token with org B's header", async () => {
      const token = await client.accessToken(a.clientId, a.clientSecret);
      const r = await read(token, a.clientId, orgB);
      expect(r).toMatchObject({ status: 403, body: { error: { code: 'forbidden', message: 'x-gw-ims-org-id does not match the organization of the access token' } } });
      expect((await read(token, a.clientId)).status).toBe(403);
    });

    it('an x-api-key that is not the token client', async () => {
      const token = await client.accessToken(a.clientId, a.clientSecret);
      expect((await read(token, b.clientId, orgA)).status).toBe(403);
      expect((await http(`${probe.url}/probe/read`, { headers: { authorization: `Bearer ${token}`, 'x-gw-ims-org-id': orgA } })).status).toBe(403);
    });

    it('a missing scope, whether the client lacks it or did not ask for it', async () => {
      const writer = await client.accessToken(writerOnly.clientId, writerOnly.clientSecret);
      expect(await read(writer, writerOnly.clientId, orgA)).toMatchObject({ status: 403, body: { error: { message: 'the access token lacks scope read' } } });
      expect((await http(`${probe.url}/probe/lists`, { method: 'POST', headers: apiHeaders(writer, writerOnly.clientId, orgA) })).status).toBe(201);
      const narrow = await client.accessToken(a.clientId, a.clientSecret, 'lists.write');
      expect((await read(narrow, a.clientId, orgA)).status).toBe(403);
    });
  });

  describe('revocation reaches the service', () => {
    async function refusedWithin(token: string, clientId: string, orgId: string, since: number): Promise<number> {
      for (;;) {
        const r = await read(token, clientId, orgId);
        if (r.status === 401) return Date.now() - since;
        expect(r.status).toBe(200);
        if (Date.now() - since > 5000) throw new Error('still accepted after 5 s');
        await new Promise((res) => setTimeout(res, 20));
      }
    }

    it('a revoked token is refused within a second', async () => {
      const token = await client.accessToken(a.clientId, a.clientSecret);
      expect((await read(token, a.clientId, orgA)).status).toBe(200);
      const started = Date.now();
      const r = await http(`${ims.url}/ims/invalidate_token/v2`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token_type: 'access_token', token, client_id: a.clientId, client_secret: a.clientSecret }).toString(),
      });
      expect(r.status).toBe(200);
      expect(await refusedWithin(token, a.clientId, orgA, started)).toBeLessThan(1000);
      expect((await read(token, a.clientId, orgA)).body).toMatchObject({ error: { message: 'invalid access token: token revoked' } });
      // the client's other tokens are untouched
      expect((await read(await client.accessToken(a.clientId, a.clientSecret), a.clientId, orgA)).status).toBe(200);
    });

    it('cascading=all refuses the tokens held, not one requested right after in the same second', async () => {
      const cascading = await client.createIntegration(orgA, ['read']);
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000))); // so that all of it happens within one second
      const held = await client.accessToken(cascading.clientId, cascading.clientSecret);
      const started = Date.now();
      const r = await http(`${ims.url}/ims/invalidate_token/v2`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: held, cascading: 'all', client_id: cascading.clientId, client_secret: cascading.clientSecret }).toString(),
      });
      expect(r.status).toBe(200);
      const next = await client.accessToken(cascading.clientId, cascading.clientSecret);
      await refusedWithin(held, cascading.clientId, orgA, started);
      expect((await read(next, cascading.clientId, orgA)).status).toBe(200);
    });

    it("a deleted client's tokens are refused within a second", async () => {
      const doomed = await client.createIntegration(orgA, ['read']);
      const tokens = [await client.accessToken(doomed.clientId, doomed.clientSecret), await client.accessToken(doomed.clientId, doomed.clientSecret, 'read')];
      expect((await read(tokens[0], doomed.clientId, orgA)).status).toBe(200);
      const started = Date.now();
      expect((await client.admin('DELETE', `/ims/organizations/${orgA}/integrations/${doomed.clientId}`)).status).toBe(204);
      expect(await refusedWithin(tokens[0], doomed.clientId, orgA, started)).toBeLessThan(1000);
      expect((await read(tokens[1], doomed.clientId, orgA)).status).toBe(401);
    });

    it('a restarted service still refuses them (it replays the topic before it is ready)', async () => {
      const token = await client.accessToken(b.clientId, b.clientSecret);
      await http(`${ims.url}/ims/invalidate_token/v2`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, client_id: b.clientId, client_secret: b.clientSecret }).toString(),
      });
      await refusedWithin(token, b.clientId, orgB, Date.now());
      await probe.stop();
      probe = await startProbe();
      expect((await read(token, b.clientId, orgB)).status).toBe(401);
      expect((await read(await client.accessToken(b.clientId, b.clientSecret), b.clientId, orgB)).status).toBe(200);
    });
  });

  it('refuses the old secret once the grace period ends', async () => {
    const rotating = await client.createIntegration(orgA, ['read']);
    const rotated = await client.admin<{ clientSecret: string }>('POST', `/ims/organizations/${orgA}/integrations/${rotating.clientId}/secrets`, { graceSeconds: 1 });
    const during = await client.token(rotating.clientId, rotating.clientSecret);
    expect(during.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await client.token(rotating.clientId, rotating.clientSecret)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    const fresh = await client.accessToken(rotating.clientId, rotated.body.clientSecret);
    expect((await read(fresh, rotating.clientId, orgA)).status).toBe(200);
  });

  it('accepts tokens of a rotated key once IMS signs with it (refetching the JWKS on the new kid)', async () => {
    const rotated = await client.admin<{ kid: string }>('POST', '/ims/keys/rotate', { activateInSeconds: 1 });
    await new Promise((r) => setTimeout(r, 1100));
    const token = await client.accessToken(a.clientId, a.clientSecret);
    expect(headerOf(token).kid).toBe(rotated.body.kid);
    expect((await read(token, a.clientId, orgA)).status).toBe(200);
  });

  // last: it retires the key every token above was signed with
  it('retires a compromised signing key at once: its tokens refused by the service, new tokens signed by another key', async () => {
    const before = await client.accessToken(a.clientId, a.clientSecret);
    const kid = String(headerOf(before).kid);
    expect((await read(before, a.clientId, orgA)).status).toBe(200);
    const operator = new ImsClient(ims.url); // an operator token signed by the same key
    expect((await operator.admin('GET', '/ims/organizations')).status).toBe(200);
    const retired = await client.admin<{ retired: string; signing: string }>('POST', `/ims/keys/${encodeURIComponent(kid)}/retire`);
    expect(retired).toMatchObject({ status: 200, body: { retired: kid } });
    expect(retired.body.signing).not.toBe(kid);
    const { body: jwks } = await http<{ keys: { kid: string }[] }>(`${ims.url}/ims/keys`);
    expect(jwks.keys.map((k) => k.kid)).not.toContain(kid);
    // the service still holds the key from its JWKS cache: the key's revocation reaches it on ims.token.revoked
    await waitFor(async () => (await read(before, a.clientId, orgA)).status === 401, { timeoutMs: 20000, what: 'the retired key refused' });
    expect((await read(before, a.clientId, orgA)).body.error?.message).toBe('invalid access token: signing key retired');
    const fresh = new ImsClient(ims.url);
    const after = await fresh.accessToken(a.clientId, a.clientSecret);
    expect(headerOf(after).kid).toBe(retired.body.signing);
    // a key that signs at once was never published ahead: the service fetches it on first sight (JWKS cooldown 1 s)
    await waitFor(async () => (await read(after, a.clientId, orgA)).status === 200, { timeoutMs: 5000, what: 'the new key accepted' });
    expect((await fresh.admin('POST', `/ims/keys/${encodeURIComponent(kid)}/retire`)).status).toBe(404);
    expect((await operator.admin('GET', '/ims/organizations')).status).toBe(401); // IMS refuses the key's tokens too
  });
});

import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { DomainError } from '@audx/platform';
import { claims, rsaKey, sign } from '../test/support';
import type { AuthContext } from './claims';
import { OrgOptional, RequireScope } from './decorators';
import { AccessTokenGuard, bearerToken } from './guard';
import { StaticKeySource } from './jwks';
import { RevocationList } from './revocations';
import { Scopes } from './scopes';
import { TokenVerifier } from './token-verifier';

const ORG = '1FD6776A524453CC0A490D44@AdobeOrg';

class ProbeController {
  @RequireScope(Scopes.read)
  read(): void {}

  @RequireScope(Scopes.imsAdmin)
  @OrgOptional()
  admin(): void {}
}

class FakeRequest {
  auth?: AuthContext;
  constructor(private readonly headers: Record<string, string>) {}
  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()];
  }
}

class FakeResponse {
  readonly headers: Record<string, string> = {};
  setHeader(name: string, value: string): void {
    this.headers[name] = value;
  }
}

describe(AccessTokenGuard.name, () => {
  const { privateKey, publicKey } = rsaKey();
  let revocations: RevocationList;
  let sut: AccessTokenGuard;

  beforeEach(() => {
    revocations = new RevocationList();
    revocations.markReady();
    sut = new AccessTokenGuard(new TokenVerifier(new StaticKeySource(new Map([['k1', publicKey]])), revocations), new Reflector());
  });

  async function run(handler: 'read' | 'admin', headers: Record<string, string>) {
    const req = new FakeRequest(headers);
    const res = new FakeResponse();
    const ctx = new ExecutionContextHost([req, res], ProbeController, ProbeController.prototype[handler]);
    try {
      await sut.canActivate(ctx);
      return { status: 200, req, res, message: '' };
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      return { status: err.status, req, res, message: err.message };
    }
  }

  const orgHeaders = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, 'x-api-key': 'client-1', 'x-gw-ims-org-id': ORG, ...extra });

  it('lets a valid token with the scope and matching headers through and puts the caller on the request', async () => {
    const r = await run('read', orgHeaders(sign(claims(), privateKey)));
    expect(r.status).toBe(200);
    expect(r.req.auth).toMatchObject({ clientId: 'client-1', orgId: ORG, scopes: ['read', 'lists.write'], jti: 'jti-1' });
  });

  it('answers 401 without a token or with an invalid one', async () => {
    const missing = await run('read', { 'x-api-key': 'client-1', 'x-gw-ims-org-id': ORG });
    expect(missing).toMatchObject({ status: 401, message: 'missing bearer token' });
    expect(missing.res.headers['WWW-Authenticate']).toContain('Bearer');
    const bad = await run('read', orgHeaders('a.b.c'));
    expect(bad.status).toBe(401);
    expect(bad.res.headers['WWW-Authenticate']).toContain('invalid_token');
    expect((await run('read', { ...orgHeaders('x'), authorization: 'Basic abc' })).status).toBe(401);
  });

  it('answers 403 when x-api-key or x-gw-ims-org-id differ from the token', async () => {
    const token = sign(claims(), privateKey);
    expect((await run('read', orgHeaders(token, { 'x-api-key': 'client-2' }))).status).toBe(403);
    expect((await run('read', { authorization: `Bearer ${token}`, 'x-gw-ims-org-id': ORG })).status).toBe(403);
    const otherOrg = await run('read', orgHeaders(token, { 'x-gw-ims-org-id': '0000000000000000000000AA@AdobeOrg' }));
    expect(otherOrg).toMatchObject({ status: 403, message: 'x-gw-ims-org-id does not match the organization of the access token' });
    expect((await run('read', { authorization: `Bearer ${token}`, 'x-api-key': 'client-1' })).status).toBe(403);
  });

  it('answers 403 when a required scope is missing', async () => {
    const r = await run('read', orgHeaders(sign(claims({ scope: 'lists.write' }), privateKey)));
    expect(r).toMatchObject({ status: 403, message: 'the access token lacks scope read' });
    expect(r.res.headers['WWW-Authenticate']).toContain('insufficient_scope');
  });

  it('lets org-less operator tokens through @OrgOptional routes only, and only without an org header', async () => {
    const admin = sign(claims({ org: undefined, scope: 'ims.admin', client_id: 'admin' }), privateKey);
    const headers = { authorization: `Bearer ${admin}`, 'x-api-key': 'admin' };
    expect((await run('admin', headers)).status).toBe(200);
    expect((await run('admin', { ...headers, 'x-gw-ims-org-id': ORG })).status).toBe(403);
    const readToken = sign(claims({ org: undefined, scope: 'read', client_id: 'admin' }), privateKey);
    expect((await run('read', { authorization: `Bearer ${readToken}`, 'x-api-key': 'admin' })).status).toBe(403);
  });

  it('answers 401 for revoked tokens and 503 while revocations are loading', async () => {
    const token = sign(claims(), privateKey);
    revocations.add('jti-1', Math.floor(Date.now() / 1000) + 60);
    expect(await run('read', orgHeaders(token))).toMatchObject({ status: 401, message: 'invalid access token: token revoked' });
    sut = new AccessTokenGuard(new TokenVerifier(new StaticKeySource(new Map([['k1', publicKey]])), new RevocationList()), new Reflector());
    expect((await run('read', orgHeaders(token))).status).toBe(503);
  });

  it('reads bearer tokens case-insensitively and nothing else', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

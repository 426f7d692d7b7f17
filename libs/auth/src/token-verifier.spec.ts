import { createPublicKey } from 'node:crypto';
import { AUDIENCE, ISSUER, claims, hs256WithPublicKey, rsaKey, sign, tampered, unsigned } from '../test/support';
import { StaticKeySource } from './jwks';
import { clientRevocationId, keyRevocationId, RevocationList } from './revocations';
import { TokenVerifier } from './token-verifier';

describe(TokenVerifier.name, () => {
  const { privateKey, publicKey } = rsaKey();
  const other = rsaKey();
  let revocations: RevocationList;
  let sut: TokenVerifier;

  beforeEach(() => {
    revocations = new RevocationList();
    revocations.markReady();
    sut = new TokenVerifier(new StaticKeySource(new Map([['k1', publicKey]])), revocations, { issuer: ISSUER, audience: AUDIENCE, clockToleranceSec: 30 });
  });

  const reason = async (token: string) => {
    const r = await sut.verify(token);
    return r.valid ? 'valid' : r.reason;
  };

  it('accepts a token signed with a published key and returns its claims', async () => {
    const r = await sut.verify(sign(claims(), privateKey));
    expect(r).toEqual({ valid: true, claims: expect.objectContaining({ client_id: 'client-1', org: '1FD6776A524453CC0A490D44@AdobeOrg', scope: 'read,lists.write' }) });
  });

  it('refuses alg none, with or without a signature', async () => {
    expect(await reason(unsigned(claims()))).toBe('malformed token');
    expect(await reason(`${unsigned(claims())}AAAA`)).toBe('unsupported algorithm none');
  });

  it('refuses HS256 keyed with the public key (algorithm confusion)', async () => {
    expect(await reason(hs256WithPublicKey(claims(), publicKey))).toBe('unsupported algorithm HS256');
  });

  it('refuses a tampered payload and a token signed by another key under a known kid', async () => {
    expect(await reason(tampered(sign(claims(), privateKey), { scope: 'read,lists.write,ims.admin' }))).toBe('invalid signature');
    expect(await reason(sign(claims(), other.privateKey, 'k1'))).toBe('invalid signature');
  });

  it('refuses unknown or missing key ids', async () => {
    expect(await reason(sign(claims(), other.privateKey, 'nope'))).toBe('unknown signing key');
    expect(await reason(unsigned(claims(), { alg: 'RS256' }) + 'AAAA')).toBe('missing key id');
  });

  it('checks exp, nbf and iat with the clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await reason(sign(claims({ iat: now - 7200, nbf: now - 7200, exp: now - 3600 }), privateKey))).toBe('token expired');
    expect(await reason(sign(claims({ iat: now - 7200, nbf: now - 7200, exp: now - 10 }), privateKey))).toBe('valid');
    expect(await reason(sign(claims({ nbf: now + 3600 }), privateKey))).toBe('token not yet valid');
    expect(await reason(sign(claims({ iat: now + 3600, nbf: undefined }), privateKey))).toBe('token issued in the future');
  });

  it('checks the issuer, the token type and the claim shapes', async () => {
    expect(await reason(sign(claims({ iss: 'http://evil' }), privateKey))).toBe('unexpected issuer');
    expect(await reason(sign(claims({ aud: 'another-product' }), privateKey))).toBe('unexpected audience');
    expect(await reason(sign(claims({ aud: undefined }), privateKey))).toBe('missing audience');
    expect(await reason(sign(claims({ type: 'refresh_token' }), privateKey))).toBe('invalid claims: type');
    expect(await reason(sign(claims({ exp: '99999999999' }), privateKey))).toBe('invalid claims: exp');
  });

  it('refuses crit headers and malformed or oversized tokens', async () => {
    const [, p, s] = sign(claims(), privateKey).split('.');
    const crit = `${Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'k1', crit: ['b64'] })).toString('base64url')}.${p}.${s}`;
    expect(await reason(crit)).toBe('unsupported critical header');
    expect(await reason('a.b')).toBe('malformed token');
    expect(await reason('a.b.c')).toBe('malformed token header');
    expect(await reason('x'.repeat(9000))).toBe('token too long');
  });

  it('refuses revoked tokens and tokens of revoked clients', async () => {
    revocations.add('jti-1', Math.floor(Date.now() / 1000) + 60);
    expect(await reason(sign(claims(), privateKey))).toBe('token revoked');
    revocations.add(clientRevocationId('client-2'), Math.floor(Date.now() / 1000) + 60);
    expect(await reason(sign(claims({ jti: 'other', client_id: 'client-2' }), privateKey))).toBe('token revoked');
    expect(await reason(sign(claims({ jti: 'other', client_id: 'client-3' }), privateKey))).toBe('valid');
    revocations.add(keyRevocationId('k1'), Math.floor(Date.now() / 1000) + 60);
    expect(await reason(sign(claims({ jti: 'other', client_id: 'client-3' }), privateKey))).toBe('signing key retired');
  });

  it('is unavailable, not invalid, until the revocation list has caught up', async () => {
    const loading = new TokenVerifier(new StaticKeySource(new Map([['k1', publicKey]])), new RevocationList());
    expect(await loading.verify(sign(claims(), privateKey))).toEqual({ valid: false, reason: 'revocation list not loaded yet', unavailable: true });
  });

  it('is unavailable when the key source cannot be reached', async () => {
    const broken = new TokenVerifier({ getKey: () => Promise.reject(new Error('ECONNREFUSED')) }, null);
    expect(await broken.verify(sign(claims(), privateKey))).toEqual({ valid: false, reason: 'signing keys unavailable', unavailable: true });
  });

  it('refuses a key that is not an RSA public key', async () => {
    const weird = new TokenVerifier(new StaticKeySource(new Map([['k1', createPublicKey(privateKey)]])), null);
    expect((await weird.verify(sign(claims(), privateKey))).valid).toBe(true);
    const ec = new TokenVerifier(new StaticKeySource(new Map([['k1', privateKey]])), null);
    expect(await ec.verify(sign(claims(), privateKey))).toEqual({ valid: false, reason: 'invalid signature' });
  });
});

import { KeyObject, createHmac, generateKeyPairSync } from 'node:crypto';
import { signRs256 } from '../src/jwt';

/** Test helpers: keys and tokens, good and forged. Not exported from the library. */
export function rsaKey(modulusLength = 2048): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength });
}

export const ISSUER = 'http://ims.test';
export const AUDIENCE = 'audience-exchange';

export function claims(overrides: Record<string, unknown> = {}, nowSec = Math.floor(Date.now() / 1000)): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'TA@techacct.adobe.com',
    iat: nowSec,
    nbf: nowSec,
    exp: nowSec + 3600,
    jti: 'jti-1',
    type: 'access_token',
    client_id: 'client-1',
    user_id: 'TA@techacct.adobe.com',
    as: 'ims-na1',
    scope: 'read,lists.write',
    created_at: String(nowSec * 1000),
    expires_in: '3600000',
    org: '1FD6776A524453CC0A490D44@AdobeOrg',
    ...overrides,
  };
}

export function sign(payload: Record<string, unknown>, key: KeyObject, kid = 'k1'): string {
  return signRs256(payload, key, kid);
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export function unsigned(payload: Record<string, unknown>, header: Record<string, unknown> = { alg: 'none', kid: 'k1' }): string {
  return `${b64(header)}.${b64(payload)}.`;
}

/** HS256 keyed with the RSA public key's PEM: the classic algorithm-confusion forgery. */
export function hs256WithPublicKey(payload: Record<string, unknown>, publicKey: KeyObject, kid = 'k1'): string {
  const input = `${b64({ alg: 'HS256', typ: 'JWT', kid })}.${b64(payload)}`;
  const pem = publicKey.export({ format: 'pem', type: 'spki' });
  return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
}

/** Replaces the payload and keeps the original signature. */
export function tampered(token: string, change: Record<string, unknown>): string {
  const [h, p, s] = token.split('.');
  const payload = { ...JSON.parse(Buffer.from(p, 'base64url').toString('utf8')), ...change };
  return `${h}.${b64(payload)}.${s}`;
}

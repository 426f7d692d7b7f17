import { createHmac, createPrivateKey, KeyObject } from 'node:crypto';
import type { Connection } from 'mysql2/promise';
import { signRs256 } from '@audx/auth';
import { DEV_KEY_ENCRYPTION_KEY } from '../../src/config';
import { AtRestCipher } from '@audx/persistence';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** The real signing key, decrypted from IMS's table with the (test) encryption key. */
export async function realSigningKey(db: Connection): Promise<{ kid: string; privateKey: KeyObject }> {
  const [rows] = await db.query('SELECT kid, private_key_enc FROM signing_keys WHERE active_from <= NOW(3) ORDER BY active_from DESC LIMIT 1');
  const [row] = rows as { kid: string; private_key_enc: string }[];
  const crypto = new AtRestCipher(Buffer.from(DEV_KEY_ENCRYPTION_KEY, 'base64'));
  return { kid: row.kid, privateKey: createPrivateKey(crypto.decrypt(row.private_key_enc, row.kid)) };
}

export function resign(claims: Record<string, unknown>, key: { kid: string; privateKey: KeyObject }): string {
  return signRs256(claims, key.privateKey, key.kid);
}

export function algNone(token: string): string {
  const [, p] = token.split('.');
  return `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`;
}

/** HS256 keyed with the PEM of the published RSA key (algorithm confusion). */
export function hs256WithPublicKey(token: string, publicPem: string): string {
  const [h, p] = token.split('.');
  const header = { ...JSON.parse(Buffer.from(h, 'base64url').toString('utf8')), alg: 'HS256' };
  const input = `${b64(header)}.${p}`;
  return `${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`;
}

export function tamper(token: string, change: Record<string, unknown>): string {
  const [h, p, s] = token.split('.');
  return `${h}.${b64({ ...JSON.parse(Buffer.from(p, 'base64url').toString('utf8')), ...change })}.${s}`;
}

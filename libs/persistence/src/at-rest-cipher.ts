import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * Secrets at rest (IMS signing keys, data-source AES keys): AES-256-GCM, a fresh 96-bit IV per
 * value, the owning row's identity as associated data (a ciphertext copied onto another row does
 * not decrypt). Format `v1.<iv>.<tag>.<ciphertext>`, base64url parts. The key material never
 * leaves this object (not even through JSON or inspect).
 */
export class AtRestCipher {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('AES-256-GCM needs a 32-byte key');
    this.#key = Buffer.from(key);
  }

  encrypt(plaintext: string, aad: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  decrypt(payload: string, aad: string): string {
    const [version, iv, tag, ciphertext] = payload.split('.');
    if (version !== 'v1' || !iv || !tag || ciphertext === undefined) throw new Error('unknown encrypted key format');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** From a validated environment value (see atRestKeyVar). */
  static fromKeyMaterial(value: string): AtRestCipher {
    const key = decodeKeyMaterial(value);
    if (!key) throw new Error('an at-rest key must be 32 bytes as 64 hex characters or base64');
    return new AtRestCipher(key);
  }

  toJSON(): string {
    return '[AtRestCipher]';
  }
}

/** A 32-byte key from the environment, as 64 hex characters or base64(url); null otherwise. */
export function decodeKeyMaterial(value: string): Buffer | null {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const b = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return b.length === 32 ? b : null;
  }
  return null;
}

/** The environment variable of an at-rest key: 32 bytes, with a development default. */
export const atRestKeyVar = (developmentDefault: string) =>
  z
    .string()
    .default(developmentDefault)
    .refine((v) => decodeKeyMaterial(v) !== null, 'must be 32 bytes as 64 hex characters or base64');

/** True when `value` is the development default (in any encoding): refused in production. */
export function isDevelopmentKey(value: string, ...published: string[]): boolean {
  const key = decodeKeyMaterial(value);
  return key !== null && key !== undefined && published.some((p) => key.equals(decodeKeyMaterial(p)!));
}

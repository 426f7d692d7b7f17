import { createCipheriv, createDecipheriv } from 'node:crypto';

/** AES-CBC with PKCS#7 padding; the key size (128/192/256 bits) follows the key's length. */
export interface AesKey {
  key: Buffer;
  iv: Buffer;
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/** Parses `keyHex` (32, 48 or 64 hex characters) and `ivHex` (32); throws on anything else. */
export function aesKey(keyHex: string, ivHex: string): AesKey {
  if (!HEX.test(keyHex) || ![16, 24, 32].includes(keyHex.length / 2)) throw new Error('AES key must be 16, 24 or 32 bytes in hex');
  if (!HEX.test(ivHex) || ivHex.length !== 32) throw new Error('AES IV must be 16 bytes in hex');
  return { key: Buffer.from(keyHex, 'hex'), iv: Buffer.from(ivHex, 'hex') };
}

function algorithm(k: AesKey): string {
  return `aes-${k.key.length * 8}-cbc`;
}

/** Encrypts UTF-8 text; the result is lowercase hex (what exports carry). */
export function aesEncrypt(plain: string, k: AesKey): string {
  const c = createCipheriv(algorithm(k), k.key, k.iv);
  return Buffer.concat([c.update(plain, 'utf8'), c.final()]).toString('hex');
}

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Decrypts a value given in hex or base64 (standard or url-safe); null when it does not decrypt
 * (wrong encoding, length not a multiple of the block, bad padding, or a result that is not UTF-8).
 */
export function aesDecrypt(cipherText: string, k: AesKey): string | null {
  const v = cipherText.trim();
  const candidates: Buffer[] = [];
  if (HEX.test(v)) candidates.push(Buffer.from(v, 'hex'));
  if (BASE64.test(v)) candidates.push(Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
  for (const bytes of candidates) {
    if (bytes.length === 0 || bytes.length % 16 !== 0) continue;
    try {
      const d = createDecipheriv(algorithm(k), k.key, k.iv);
      const plain = Buffer.concat([d.update(bytes), d.final()]);
      const text = plain.toString('utf8');
      if (Buffer.from(text, 'utf8').equals(plain) && text.length > 0) return text;
    } catch {
      /* bad padding: try the next reading */
    }
  }
  return null;
}

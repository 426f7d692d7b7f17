import { hash } from 'node:crypto';

/** SHA-256, no salt, as raw bytes (what is indexed). One-shot: no Hash object per value on bulk paths. */
export function sha256(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

/** SHA-256, no salt, lowercase hex (what travels in files and on topics). */
export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex');
}

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/** A SHA-256 digest given as 64 hex characters (either case, surrounding whitespace ignored), or null. */
export function parseSha256Hex(value: string): Buffer | null {
  const v = value.trim();
  return SHA256_HEX.test(v) ? Buffer.from(v, 'hex') : null;
}

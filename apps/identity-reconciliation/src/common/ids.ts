import { randomBytes } from 'node:crypto';

/** `lst_` + 20 random base32 characters (100 bits). */
export function newListId(): string {
  return `lst_${base32(randomBytes(13)).slice(0, 20)}`;
}

export function newExportId(): string {
  return `exp_${base32(randomBytes(13)).slice(0, 20)}`;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

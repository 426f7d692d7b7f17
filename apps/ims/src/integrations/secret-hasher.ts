import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

function scryptAsync(secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEY_LENGTH, { N: n, r, p, maxmem: 128 * n * r * 2 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/**
 * Client secrets are stored as `scrypt$N$r$p$<salt>$<hash>` (random 16-byte salt, base64url).
 * scrypt costs ~40 ms of CPU, so a secret that verified once is remembered for this process as an
 * HMAC under a random per-process key, tied to the stored hash: a rotation or deletion changes
 * the hash and the memory no longer matches. Secrets are 256 random bits, so the HMAC gives an
 * attacker who reads memory nothing to brute-force.
 */
export class SecretHasher {
  private readonly memoKey = randomBytes(32);
  private readonly verified = new Map<string, Buffer>();

  constructor(private readonly maxRemembered = 10_000) {}

  async hash(secret: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await scryptAsync(secret, salt, N, R, P);
    return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  async verify(secret: string, encoded: string): Promise<boolean> {
    const memo = this.memo(secret);
    const known = this.verified.get(encoded);
    if (known && timingSafeEqual(known, memo)) return true;
    const parts = encoded.split('$');
    if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
    const [n, r, p] = parts.slice(1, 4).map(Number);
    if (!(n >= 1024 && n <= 1 << 20 && (n & (n - 1)) === 0 && r >= 1 && r <= 32 && p >= 1 && p <= 16)) return false;
    const expected = Buffer.from(parts[5], 'base64url');
    const actual = await scryptAsync(secret, Buffer.from(parts[4], 'base64url'), n, r, p);
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return false;
    this.remember(encoded, memo);
    return true;
  }

  private memo(secret: string): Buffer {
    return createHmac('sha256', this.memoKey).update(secret, 'utf8').digest();
  }

  private remember(encoded: string, memo: Buffer): void {
    this.verified.delete(encoded);
    this.verified.set(encoded, memo);
    while (this.verified.size > this.maxRemembered) this.verified.delete(this.verified.keys().next().value as string);
  }
}

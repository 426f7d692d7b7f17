import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { AtRestCipher, decodeKeyMaterial } from './at-rest-cipher';

describe(AtRestCipher.name, () => {
  const key = randomBytes(32);
  const sut = new AtRestCipher(key);

  it('round-trips with a fresh IV each time', () => {
    const a = sut.encrypt('-----BEGIN PRIVATE KEY-----', 'kid-1');
    const b = sut.encrypt('-----BEGIN PRIVATE KEY-----', 'kid-1');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1\./);
    expect(a).not.toContain('PRIVATE');
    expect(sut.decrypt(a, 'kid-1')).toBe('-----BEGIN PRIVATE KEY-----');
  });

  it('refuses a ciphertext under another kid, another key, or tampered', () => {
    const c = sut.encrypt('secret', 'kid-1');
    expect(() => sut.decrypt(c, 'kid-2')).toThrow();
    expect(() => new AtRestCipher(randomBytes(32)).decrypt(c, 'kid-1')).toThrow();
    const [v, iv, tag, ct] = c.split('.');
    const flipped = Buffer.from(ct, 'base64url');
    flipped[0] ^= 1;
    expect(() => sut.decrypt([v, iv, tag, flipped.toString('base64url')].join('.'), 'kid-1')).toThrow();
  });

  it('never shows its key', () => {
    expect(JSON.stringify({ sut })).not.toContain(key.toString('hex'));
    expect(inspect(sut)).not.toContain(key.toString('hex'));
    expect(() => new AtRestCipher(randomBytes(16))).toThrow('32-byte');
  });

  it('reads a 32-byte key as hex or base64, nothing shorter', () => {
    expect(decodeKeyMaterial('00'.repeat(32))?.length).toBe(32);
    expect(decodeKeyMaterial(Buffer.alloc(32, 7).toString('base64'))?.length).toBe(32);
    expect(decodeKeyMaterial(Buffer.alloc(32, 7).toString('base64url'))?.length).toBe(32);
    expect(decodeKeyMaterial(Buffer.alloc(16).toString('base64'))).toBeNull();
  });
});

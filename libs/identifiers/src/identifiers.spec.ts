import { createCipheriv } from 'node:crypto';
import { aesDecrypt, aesEncrypt, aesKey } from './aes';
import { isEmail, normalizeEmail } from './email';
import { parseSha256Hex, sha256, sha256Hex } from './hash';
import { isPhone, normalizePhone } from './phone';
import { isVisitorId } from './visitor-id';

const KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const IV = 'f0e0d0c0b0a090807060504030201000';

describe('email normalisation and hashing', () => {
  it('hashes the published test vector (domain.md)', () => {
    expect(sha256Hex(normalizeEmail('ecid@adobe.com'))).toBe('a6ea4cde5da5ae7cc68baae894d1d6544fca26254433b0fff7c2cb4843b4a097');
  });

  it('trims and lowercases before hashing, so case and whitespace do not change the hash', () => {
    expect(normalizeEmail('  ECID@Adobe.COM \t')).toBe('ecid@adobe.com');
    expect(sha256Hex(normalizeEmail(' Ecid@ADOBE.com'))).toBe('a6ea4cde5da5ae7cc68baae894d1d6544fca26254433b0fff7c2cb4843b4a097');
    expect(sha256(normalizeEmail('ecid@adobe.com')).toString('hex')).toBe(sha256Hex('ecid@adobe.com'));
  });

  it('accepts ordinary addresses and refuses what is clearly not one', () => {
    expect(isEmail('ada@example.org')).toBe(true);
    expect(isEmail('ada example.org')).toBe(false);
    expect(isEmail('@example.org')).toBe(false);
    expect(isEmail('a@b@c')).toBe(false);
  });

  it('reads a sha256 digest in either case and nothing else', () => {
    const hex = sha256Hex('x');
    expect(parseSha256Hex(hex.toUpperCase())?.toString('hex')).toBe(hex);
    expect(parseSha256Hex(` ${hex} `)?.toString('hex')).toBe(hex);
    expect(parseSha256Hex(hex.slice(1))).toBeNull();
    expect(parseSha256Hex(`${hex.slice(1)}g`)).toBeNull();
  });
});

describe('phone normalisation', () => {
  it.each([
    ['+33 6 00 00 00 01', '+33600000001'],
    ['0033 (6) 00-00-00-01', '+33600000001'],
    ['06.00.00.00.01', '0600000001'],
  ])('%s -> %s', (raw, expected) => {
    expect(normalizePhone(raw)).toBe(expected);
    expect(isPhone(expected)).toBe(true);
  });

  it('refuses letters', () => {
    expect(isPhone(normalizePhone('+33 6 CALL ME'))).toBe(false);
  });
});

describe('visitor id', () => {
  it('is exactly 38 digits', () => {
    expect(isVisitorId('59767559181262060060278870901087098252')).toBe(true);
    expect(isVisitorId('00000000000000000000000000000000000001')).toBe(true);
    expect(isVisitorId('5976755918126206006027887090108709825')).toBe(false);
    expect(isVisitorId('5976755918126206006027887090108709825x')).toBe(false);
  });
});

describe('AES-CBC', () => {
  const k = aesKey(KEY, IV);

  it('round-trips and agrees with a plain OpenSSL AES-256-CBC encryption', () => {
    const cipher = aesEncrypt('ada@example.org', k);
    const c = createCipheriv('aes-256-cbc', Buffer.from(KEY, 'hex'), Buffer.from(IV, 'hex'));
    expect(cipher).toBe(Buffer.concat([c.update('ada@example.org', 'utf8'), c.final()]).toString('hex'));
    expect(aesDecrypt(cipher, k)).toBe('ada@example.org');
    expect(aesDecrypt(cipher.toUpperCase(), k)).toBe('ada@example.org');
  });

  it('reads base64 (standard and url-safe) as well as hex', () => {
    const bytes = Buffer.from(aesEncrypt('CRM-1001', k), 'hex');
    expect(aesDecrypt(bytes.toString('base64'), k)).toBe('CRM-1001');
    expect(aesDecrypt(bytes.toString('base64url'), k)).toBe('CRM-1001');
  });

  it('supports 128-bit keys', () => {
    const k128 = aesKey(KEY.slice(0, 32), IV);
    expect(aesDecrypt(aesEncrypt('x', k128), k128)).toBe('x');
  });

  it('answers null for what does not decrypt', () => {
    const other = aesKey('ff'.repeat(32), IV);
    expect(aesDecrypt(aesEncrypt('ada@example.org', other), k)).toBeNull();
    expect(aesDecrypt('not encrypted at all!', k)).toBeNull();
    expect(aesDecrypt('abcd', k)).toBeNull();
    expect(aesDecrypt('', k)).toBeNull();
  });

  it('refuses malformed keys and IVs', () => {
    expect(() => aesKey('abc', IV)).toThrow(/key/);
    expect(() => aesKey(KEY, '00')).toThrow(/IV/);
  });
});

import { randomBytes } from 'node:crypto';
import { linkSignature, signatureMatches } from './link-signature';

describe('tracking link signatures', () => {
  const key = randomBytes(32);
  const claims = { orgId: 'A1B2C3D4E5F6A7B8C9D0E1F2@AdobeOrg', recipientId: 'r-1', target: 'https://www.example.com/offer?id=1', exp: 1_900_000_000 };
  const sig = linkSignature(key, claims);

  it('accepts the signature of the same claims under any of the keys given', () => {
    expect(signatureMatches([key], claims, sig)).toBe(true);
    expect(signatureMatches([randomBytes(32), key], claims, sig)).toBe(true);
  });

  it.each([
    ['another org', { orgId: 'F2E1D0C9B8A7F6E5D4C3B2A1@AdobeOrg' }],
    ['another recipient', { recipientId: 'r-2' }],
    ['another target', { target: 'https://www.example.com/offer?id=2' }],
    ['a later expiry', { exp: claims.exp + 1 }],
  ])('refuses it for %s', (_what, change) => {
    expect(signatureMatches([key], { ...claims, ...change }, sig)).toBe(false);
  });

  it('refuses another key, a truncated or empty signature, and claims that only shift a separator', () => {
    expect(signatureMatches([randomBytes(32)], claims, sig)).toBe(false);
    expect(signatureMatches([key], claims, sig.slice(0, -2))).toBe(false);
    expect(signatureMatches([key], claims, '')).toBe(false);
    // another last character can decode to the same bytes: only the canonical text is the link's
    const last = sig[sig.length - 1];
    const twin = `${sig.slice(0, -1)}${String.fromCharCode(last.charCodeAt(0) + 1)}`;
    expect(Buffer.from(twin, 'base64url').equals(Buffer.from(sig, 'base64url'))).toBe(true);
    expect(signatureMatches([key], claims, twin)).toBe(false);
    const shifted = linkSignature(key, { ...claims, recipientId: 'r-1", "https', target: '//www.example.com/offer?id=1' });
    expect(shifted).not.toBe(sig);
  });
});

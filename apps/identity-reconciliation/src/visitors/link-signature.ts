import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a tracking link vouches for: this org's recipient clicked through to this target before `exp`. */
export interface LinkClaims {
  orgId: string;
  recipientId: string;
  target: string;
  /** Expiry, unix seconds. */
  exp: number;
}

/** HMAC-SHA256 over the claims, unambiguous whatever characters they hold (a JSON array), base64url. */
export function linkSignature(secret: Buffer, c: LinkClaims): string {
  return createHmac('sha256', secret).update(JSON.stringify(['audx-link-v1', c.orgId, c.recipientId, c.target, c.exp])).digest('base64url');
}

/**
 * Whether `sig` is the signature of the claims under one of `secrets`, compared as text in constant
 * time: only the canonical encoding matches (base64 tolerates other last characters for the same bytes).
 */
export function signatureMatches(secrets: readonly Buffer[], c: LinkClaims, sig: string): boolean {
  const given = Buffer.from(sig, 'utf8');
  return secrets.some((secret) => {
    const expected = Buffer.from(linkSignature(secret, c), 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

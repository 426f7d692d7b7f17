import { KeyObject, constants, createSign, createVerify } from 'node:crypto';

/** Why a token was refused; `reason` is safe to show to the caller. */
/** The refusals a guard counts apart (metrics); any other is an invalid token. */
export type TokenRefusal = 'expired' | 'revoked';

export class TokenError extends Error {
  constructor(
    readonly reason: string,
    readonly kind?: TokenRefusal,
  ) {
    super(reason);
  }
}

export interface DecodedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
/** Far above any token IMS issues (about 1 KiB); bounds the work an attacker can ask for. */
export const MAX_TOKEN_LENGTH = 8192;

/**
 * Parses a compact JWS without trusting anything in it. The signature is checked separately,
 * with a key chosen by the verifier, never by the token (`jku`, `jwk`, `x5u` are ignored).
 */
export function decodeJws(token: string): DecodedJws {
  if (token.length > MAX_TOKEN_LENGTH) throw new TokenError('token too long');
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenError('malformed token');
  const [h, p, s] = parts;
  if (!SEGMENT.test(h) || !SEGMENT.test(p) || !SEGMENT.test(s)) throw new TokenError('malformed token');
  const header = parseJsonObject(h, 'header');
  const payload = parseJsonObject(p, 'payload');
  return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
}

function parseJsonObject(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new TokenError(`malformed token ${what}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new TokenError(`malformed token ${what}`);
  return value as Record<string, unknown>;
}

/** RS256 (RSASSA-PKCS1-v1_5 with SHA-256) and nothing else. */
export function verifyRs256(jws: DecodedJws, key: KeyObject): boolean {
  if (key.type !== 'public' || key.asymmetricKeyType !== 'rsa') return false;
  const verifier = createVerify('RSA-SHA256');
  verifier.update(jws.signingInput);
  return verifier.verify({ key, padding: constants.RSA_PKCS1_PADDING }, jws.signature);
}

export function signRs256(payload: Record<string, unknown>, key: KeyObject, kid: string): string {
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid })).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const signer = createSign('RSA-SHA256');
  signer.update(`${header}.${body}`);
  return `${header}.${body}.${signer.sign({ key, padding: constants.RSA_PKCS1_PADDING }).toString('base64url')}`;
}

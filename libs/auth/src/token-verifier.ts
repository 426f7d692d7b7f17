import { AccessTokenClaims, AccessTokenClaimsSchema } from './claims';
import { TokenError, TokenRefusal, decodeJws, verifyRs256 } from './jwt';
import type { KeySource } from './jwks';
import type { RevocationList } from './revocations';

export interface TokenVerifierOptions {
  /** When set, the `iss` claim must equal it. The key set already pins the issuer's keys. */
  issuer?: string;
  /** When set, the `aud` claim must equal it: a token IMS issued for another product is refused. */
  audience?: string;
  /** Seconds of clock skew forgiven on `exp`, `nbf` and `iat`. */
  clockToleranceSec?: number;
}

class VerifierUnavailable extends Error {}

export type Verification =
  | { valid: true; claims: AccessTokenClaims }
  | { valid: false; reason: string; kind?: TokenRefusal; /** the verifier could not decide (keys or revocations unavailable) */ unavailable?: boolean };

/**
 * Offline verification of IMS access tokens: RS256 only, key chosen by `kid` from the key source,
 * signature first, then the claims (type, exp, nbf, iat, iss, aud), then the revocation list.
 */
export class TokenVerifier {
  private readonly tolerance: number;

  constructor(
    private readonly keys: KeySource,
    private readonly revocations: RevocationList | null,
    private readonly options: TokenVerifierOptions = {},
  ) {
    this.tolerance = options.clockToleranceSec ?? 30;
  }

  async verify(token: string, nowMs = Date.now()): Promise<Verification> {
    try {
      const claims = await this.check(token, nowMs / 1000);
      return { valid: true, claims };
    } catch (err) {
      if (err instanceof TokenError) return { valid: false, reason: err.reason, ...(err.kind ? { kind: err.kind } : {}) };
      if (err instanceof VerifierUnavailable) return { valid: false, reason: err.message, unavailable: true };
      return { valid: false, reason: 'signing keys unavailable', unavailable: true };
    }
  }

  private async check(token: string, now: number): Promise<AccessTokenClaims> {
    const jws = decodeJws(token);
    const { alg, kid, crit } = jws.header;
    if (alg !== 'RS256') throw new TokenError(`unsupported algorithm ${typeof alg === 'string' ? alg.slice(0, 20) : typeof alg}`);
    if (crit !== undefined) throw new TokenError('unsupported critical header');
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > 128) throw new TokenError('missing key id');
    const key = await this.keys.getKey(kid);
    if (!key) throw new TokenError('unknown signing key');
    if (!verifyRs256(jws, key)) throw new TokenError('invalid signature');
    const parsed = AccessTokenClaimsSchema.safeParse(jws.payload);
    if (!parsed.success) throw new TokenError(`invalid claims: ${parsed.error.issues[0].path.join('.')}`);
    const claims = parsed.data;
    if (claims.exp <= now - this.tolerance) throw new TokenError('token expired', 'expired');
    if (claims.nbf !== undefined && claims.nbf > now + this.tolerance) throw new TokenError('token not yet valid');
    if (claims.iat > now + this.tolerance) throw new TokenError('token issued in the future');
    if (this.options.issuer !== undefined && claims.iss !== this.options.issuer) throw new TokenError('unexpected issuer');
    if (this.options.audience !== undefined && claims.aud !== this.options.audience) throw new TokenError(claims.aud === undefined ? 'missing audience' : 'unexpected audience');
    if (this.revocations) {
      if (!this.revocations.ready) throw new VerifierUnavailable('revocation list not loaded yet');
      if (this.revocations.isRevoked(claims, now)) throw new TokenError('token revoked', 'revoked');
      if (this.revocations.isKeyRetired(kid, now)) throw new TokenError('signing key retired');
    }
    return claims;
  }
}

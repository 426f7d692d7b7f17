import { KeyObject, createPublicKey } from 'node:crypto';

/** Where a verifier finds the public key a token names in its `kid`. */
export interface KeySource {
  /** The key, or null when no such key is published; throws when the source cannot be reached. */
  getKey(kid: string): Promise<KeyObject | null>;
}

export interface PublicJwk {
  kty: 'RSA';
  kid: string;
  n: string;
  e: string;
  alg: 'RS256';
  use: 'sig';
}

export interface JwksDocument {
  keys: PublicJwk[];
}

const MIN_RSA_BITS = 2048;

/** Imports one JWK from a key set; anything but an RSA signing key of 2048 bits or more is ignored. */
export function publicKeyFromJwk(jwk: unknown): { kid: string; key: KeyObject } | null {
  if (!jwk || typeof jwk !== 'object') return null;
  const j = jwk as Record<string, unknown>;
  if (j.kty !== 'RSA' || typeof j.kid !== 'string' || typeof j.n !== 'string' || typeof j.e !== 'string') return null;
  if (j.use !== undefined && j.use !== 'sig') return null;
  if (j.alg !== undefined && j.alg !== 'RS256') return null;
  try {
    const key = createPublicKey({ key: { kty: 'RSA', n: j.n, e: j.e }, format: 'jwk' });
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return null;
    return { kid: j.kid, key };
  } catch {
    return null;
  }
}

export class StaticKeySource implements KeySource {
  constructor(private readonly keys: ReadonlyMap<string, KeyObject>) {}

  async getKey(kid: string): Promise<KeyObject | null> {
    return this.keys.get(kid) ?? null;
  }
}

export interface RemoteJwksOptions {
  /** A fetched key set is used this long before it is fetched again. */
  cacheMaxAgeMs?: number;
  /** At most one extra fetch per this interval when a token names an unknown kid. */
  cooldownMs?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/**
 * The key set served by IMS at `/ims/keys`, cached: refetched in the background when older than
 * `cacheMaxAgeMs` (the stale set serves meanwhile), or on an unknown kid; either at most once per
 * `cooldownMs`, so that forged kids or an unreachable IMS cannot make every request wait on a fetch.
 * IMS publishes a new key `IMS_KEY_PUBLISH_LEAD_SECONDS` before signing with it; keep
 * `cacheMaxAgeMs` below that lead.
 */
export class RemoteJwks implements KeySource {
  private keys = new Map<string, KeyObject>();
  private fetchedAt = -Infinity;
  private attemptedAt = -Infinity;
  private inflight: Promise<void> | null = null;
  private readonly cacheMaxAgeMs: number;
  private readonly cooldownMs: number;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;

  constructor(
    readonly url: string,
    options: RemoteJwksOptions = {},
  ) {
    this.cacheMaxAgeMs = options.cacheMaxAgeMs ?? 300_000;
    this.cooldownMs = options.cooldownMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.fetchFn = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  async getKey(kid: string): Promise<KeyObject | null> {
    // with no set at all there is nothing to serve: wait (on failure the caller answers 503)
    if (this.fetchedAt === -Infinity) await this.refresh();
    const now = this.now();
    const cooled = now - this.attemptedAt >= this.cooldownMs;
    if (!this.keys.has(kid)) {
      // perhaps a new key: worth one wait (or joining a fetch already under way)
      if (cooled || this.inflight) await this.refresh().catch(() => undefined);
    } else if (cooled && now - this.fetchedAt >= this.cacheMaxAgeMs) {
      // the stale set keeps serving; a failure is retried after the cooldown
      this.refresh().catch(() => undefined);
    }
    return this.keys.get(kid) ?? null;
  }

  private refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async load(): Promise<void> {
    this.attemptedAt = this.now();
    const res = await this.fetchFn(this.url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`key set fetch from ${this.url} answered ${res.status}`);
    const body = (await res.json()) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new Error(`key set from ${this.url} has no keys array`);
    const keys = new Map<string, KeyObject>();
    for (const jwk of body.keys) {
      const imported = publicKeyFromJwk(jwk);
      if (imported) keys.set(imported.kid, imported.key);
    }
    this.keys = keys;
    this.fetchedAt = this.now();
  }
}


/**
 * Revocations travel on `ims.token.revoked` as `{jti, exp}`. Besides single tokens (jti = the
 * token's jti, a UUID), IMS revokes every token of a client at once with a synthetic jti:
 * `client:<clientId>` (the client was deleted: all its tokens) or `client:<clientId>:<t>` (every
 * token of that client created at or before epoch millisecond t, by its `created_at` claim:
 * `cascading=all` invalidation). `exp` is when the entry stops mattering, because every token it
 * covers has expired by then. `key:<kid>` retires a signing key: every token it signed is refused
 * (an operator retires a compromised key).
 */
export const CLIENT_REVOCATION_PREFIX = 'client:';
export const KEY_REVOCATION_PREFIX = 'key:';

export function keyRevocationId(kid: string): string {
  return `${KEY_REVOCATION_PREFIX}${kid}`;
}

export function clientRevocationId(clientId: string, createdAtOrBeforeMs?: number): string {
  return createdAtOrBeforeMs === undefined ? `${CLIENT_REVOCATION_PREFIX}${clientId}` : `${CLIENT_REVOCATION_PREFIX}${clientId}:${createdAtOrBeforeMs}`;
}

/** Cut-offs under 10^12 are epoch seconds, as published before milliseconds: the end of that second. */
const SECONDS_CUT_OFF_BELOW = 1e12;

export type Revocation =
  | { kind: 'token'; jti: string; exp: number }
  | { kind: 'client'; clientId: string; createdAtOrBeforeMs: number; exp: number }
  | { kind: 'key'; kid: string; exp: number };

export function parseRevocation(jti: string, exp: number): Revocation {
  if (jti.startsWith(KEY_REVOCATION_PREFIX)) return { kind: 'key', kid: jti.slice(KEY_REVOCATION_PREFIX.length), exp };
  if (!jti.startsWith(CLIENT_REVOCATION_PREFIX)) return { kind: 'token', jti, exp };
  const rest = jti.slice(CLIENT_REVOCATION_PREFIX.length);
  const cut = /^(.+):(\d{1,13})$/.exec(rest);
  if (!cut) return { kind: 'client', clientId: rest, createdAtOrBeforeMs: Number.POSITIVE_INFINITY, exp };
  const t = Number(cut[2]);
  return { kind: 'client', clientId: cut[1], createdAtOrBeforeMs: t < SECONDS_CUT_OFF_BELOW ? t * 1000 + 999 : t, exp };
}

export interface RevocableToken {
  jti: string;
  client_id: string;
  /** Epoch milliseconds as a string (Adobe's claim); cut-offs compare to it, not to `iat` (seconds). */
  created_at: string;
  iat?: number;
}

/**
 * Revoked tokens and clients, in memory, keyed by jti / client id and pruned once expired.
 * `ready` turns true once the feed has replayed what the topic held at boot; until then a guard
 * refuses to answer (fail closed) rather than let a revoked token through.
 */
export class RevocationList {
  private readonly tokens = new Map<string, number>();
  private readonly keys = new Map<string, number>();
  private readonly clients = new Map<string, { createdAtOrBeforeMs: number; exp: number }[]>();
  private isReady = false;

  get ready(): boolean {
    return this.isReady;
  }

  markReady(): void {
    this.isReady = true;
  }

  /** The feed stopped or fell silent: new revocations may be missed, so tokens are refused until it catches up again. */
  markStale(): void {
    this.isReady = false;
  }

  get size(): number {
    let n = this.tokens.size + this.keys.size;
    for (const entries of this.clients.values()) n += entries.length;
    return n;
  }

  add(jti: string, exp: number, nowSec = Date.now() / 1000): void {
    if (exp < nowSec) return;
    const r = parseRevocation(jti, exp);
    if (r.kind === 'token') {
      this.tokens.set(r.jti, Math.max(exp, this.tokens.get(r.jti) ?? 0));
      return;
    }
    if (r.kind === 'key') {
      this.keys.set(r.kid, Math.max(exp, this.keys.get(r.kid) ?? 0));
      return;
    }
    const entries = this.clients.get(r.clientId) ?? [];
    // a cut-off covering as late a creation time for at least as long makes another one useless:
    // kept compact, a client holds one cut-off however often it is cut (each later one covers the
    // earlier), and a feed that replays the topic counts the same revocation once
    const covers = (a: { createdAtOrBeforeMs: number; exp: number }, b: { createdAtOrBeforeMs: number; exp: number }) => a.createdAtOrBeforeMs >= b.createdAtOrBeforeMs && a.exp >= b.exp;
    if (entries.some((e) => covers(e, r))) return;
    this.clients.set(r.clientId, [...entries.filter((e) => !covers(r, e)), { createdAtOrBeforeMs: r.createdAtOrBeforeMs, exp: r.exp }]);
  }

  isRevoked(token: RevocableToken, nowSec = Date.now() / 1000): boolean {
    const exp = this.tokens.get(token.jti);
    if (exp !== undefined && exp >= nowSec) return true;
    const entries = this.clients.get(token.client_id);
    // a token without a readable created_at is judged by the start of its iat second: never let it escape a cut-off
    const claimed = Number(token.created_at);
    const createdAt = Number.isFinite(claimed) ? claimed : (token.iat ?? 0) * 1000;
    return !!entries?.some((e) => e.exp >= nowSec && createdAt <= e.createdAtOrBeforeMs);
  }

  /** Whether the signing key `kid` was retired (every token it signed is refused). */
  isKeyRetired(kid: string, nowSec = Date.now() / 1000): boolean {
    const exp = this.keys.get(kid);
    return exp !== undefined && exp >= nowSec;
  }

  /** Drops entries whose tokens have all expired. */
  prune(nowSec = Date.now() / 1000): number {
    let dropped = 0;
    for (const map of [this.tokens, this.keys]) {
      for (const [id, exp] of map) {
        if (exp < nowSec) {
          map.delete(id);
          dropped++;
        }
      }
    }
    for (const [clientId, entries] of this.clients) {
      const kept = entries.filter((e) => e.exp >= nowSec);
      dropped += entries.length - kept.length;
      if (kept.length === 0) this.clients.delete(clientId);
      else this.clients.set(clientId, kept);
    }
    return dropped;
  }
}

import { Topics } from '@audx/contracts';
import { TopicHandler, handlerFor } from '@audx/messaging';

/**
 * Revocations travel on `ims.token.revoked` as `{jti, exp}`. Besides single tokens (jti = the
 * token's jti, a UUID), IMS revokes every token of a client at once with a synthetic jti:
 * `client:<clientId>` (the client was deleted: all its tokens) or `client:<clientId>:<t>` (every
 * token of that client issued at or before epoch second t: `cascading=all` invalidation). `exp` is
 * when the entry stops mattering, because every token it covers has expired by then.
 */
export const CLIENT_REVOCATION_PREFIX = 'client:';

export function clientRevocationId(clientId: string, issuedAtOrBefore?: number): string {
  return issuedAtOrBefore === undefined ? `${CLIENT_REVOCATION_PREFIX}${clientId}` : `${CLIENT_REVOCATION_PREFIX}${clientId}:${issuedAtOrBefore}`;
}

export type Revocation =
  | { kind: 'token'; jti: string; exp: number }
  | { kind: 'client'; clientId: string; issuedAtOrBefore: number; exp: number };

export function parseRevocation(jti: string, exp: number): Revocation {
  if (!jti.startsWith(CLIENT_REVOCATION_PREFIX)) return { kind: 'token', jti, exp };
  const rest = jti.slice(CLIENT_REVOCATION_PREFIX.length);
  const cut = /^(.+):(\d{1,12})$/.exec(rest);
  if (cut) return { kind: 'client', clientId: cut[1], issuedAtOrBefore: Number(cut[2]), exp };
  return { kind: 'client', clientId: rest, issuedAtOrBefore: Number.POSITIVE_INFINITY, exp };
}

export interface RevocableToken {
  jti: string;
  client_id: string;
  iat: number;
}

/**
 * Revoked tokens and clients, in memory, keyed by jti / client id and pruned once expired.
 * `ready` turns true once the feed has replayed what the topic held at boot; until then a guard
 * refuses to answer (fail closed) rather than let a revoked token through.
 */
export class RevocationList {
  private readonly tokens = new Map<string, number>();
  private readonly clients = new Map<string, { issuedAtOrBefore: number; exp: number }[]>();
  private isReady = false;

  get ready(): boolean {
    return this.isReady;
  }

  markReady(): void {
    this.isReady = true;
  }

  get size(): number {
    let n = this.tokens.size;
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
    const entries = this.clients.get(r.clientId) ?? [];
    entries.push({ issuedAtOrBefore: r.issuedAtOrBefore, exp: r.exp });
    this.clients.set(r.clientId, entries);
  }

  isRevoked(token: RevocableToken, nowSec = Date.now() / 1000): boolean {
    const exp = this.tokens.get(token.jti);
    if (exp !== undefined && exp >= nowSec) return true;
    const entries = this.clients.get(token.client_id);
    return !!entries?.some((e) => e.exp >= nowSec && token.iat <= e.issuedAtOrBefore);
  }

  /** Drops entries whose tokens have all expired. */
  prune(nowSec = Date.now() / 1000): number {
    let dropped = 0;
    for (const [jti, exp] of this.tokens) {
      if (exp < nowSec) {
        this.tokens.delete(jti);
        dropped++;
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

/**
 * For services that prefer their group consumer (`runtime.handle(revocationHandler(list))`) to the
 * broadcast feed AuthModule runs: it only updates memory. Note that replicas of one service share
 * that group, so each sees only part of the revocations: AuthModule's feed does not have that flaw.
 */
export function revocationHandler(list: RevocationList): TopicHandler<typeof Topics.imsTokenRevoked> {
  return handlerFor(Topics.imsTokenRevoked, async ({ envelope }) => {
    list.add(envelope.payload.jti, envelope.payload.exp);
  });
}

import { createHash } from 'node:crypto';

/** What a failure is counted against. */
export const FailureKind = { client: 1, address: 2, pair: 3 } as const;
export type FailureKind = (typeof FailureKind)[keyof typeof FailureKind];

/**
 * Where failed authentications are counted. In MySQL in the service (`AuthFailuresRepository`),
 * so every replica sees every failure and no flood of other keys can push a count out.
 */
export interface FailureStore {
  /** When the `n`-th most recent failure of `key` after `sinceMs` happened, or null when there were fewer. */
  nthMostRecent(kind: FailureKind, key: string, n: number, sinceMs: number): Promise<number | null>;
  record(failures: { kind: FailureKind; key: string }[], nowMs: number, forgetBeforeMs: number): Promise<void>;
}

export interface FailureLimits {
  windowSeconds: number;
  perClient: number;
  perAddress: number;
}

/**
 * Brute-force brake on client authentication, per client id and per source address, counted in
 * a store shared by the replicas. Client ids are public (x-api-key), so only what a caller
 * controls is refused before its secret is checked:
 * - an address with `perAddress` failures in the window, whatever the client ids;
 * - a (client id, address) pair that failed while the client id has `perClient` failures: one
 *   address gets `perClient` guesses, and once the id is under attack every other address one.
 * The client id's own count never refuses a correct secret from an address that has not failed
 * it, so guessing cannot lock the owner out; it turns further failures for that id into 429.
 * Successes do not reset any count.
 */
export class FailedAuthLimiter {
  private readonly windowMs: number;

  constructor(
    private readonly limits: FailureLimits,
    private readonly store: FailureStore,
  ) {
    this.windowMs = limits.windowSeconds * 1000;
  }

  /** Seconds before this caller's secret is checked again; 0 to check it now. */
  async blockedFor(clientId: string, address: string, now = Date.now()): Promise<number> {
    const [byClient, byPair, byAddress] = await Promise.all([
      this.retryAfter(FailureKind.client, clientId, this.limits.perClient, now),
      this.retryAfter(FailureKind.pair, pairKey(clientId, address), 1, now),
      this.retryAfter(FailureKind.address, address, this.limits.perAddress, now),
    ]);
    return Math.max(Math.min(byClient, byPair), byAddress);
  }

  /** Counts a wrong secret; returns the Retry-After (seconds) when the client id is already over its limit, else 0. */
  async recordFailure(clientId: string, address: string, now = Date.now()): Promise<number> {
    const wait = await this.retryAfter(FailureKind.client, clientId, this.limits.perClient, now);
    await this.store.record(
      [
        { kind: FailureKind.client, key: clientId },
        { kind: FailureKind.address, key: address },
        { kind: FailureKind.pair, key: pairKey(clientId, address) },
      ],
      now,
      now - this.windowMs,
    );
    return wait;
  }

  /** Seconds until `key` is back under `limit` failures in the window; 0 when it is now. */
  private async retryAfter(kind: FailureKind, key: string, limit: number, now: number): Promise<number> {
    const oldestCounted = await this.store.nthMostRecent(kind, key, limit, now - this.windowMs);
    return oldestCounted === null ? 0 : Math.max(1, Math.ceil((oldestCounted + this.windowMs - now) / 1000));
  }
}

/** Fixed-size, whatever the lengths of the id and the address. */
function pairKey(clientId: string, address: string): string {
  return createHash('sha256').update(clientId).update('\0').update(address).digest('base64url');
}

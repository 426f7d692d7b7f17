import { createHash } from 'node:crypto';

/**
 * Sliding-window counter: at most `limit` events per key within `windowMs`. Keeps only the last
 * `limit` timestamps per key and at most `maxKeys` keys (the least recently failing go first).
 */
export class SlidingWindowLimiter {
  private readonly events = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Seconds until `key` may try again; 0 when it may now. */
  retryAfter(key: string, now: number): number {
    const events = this.live(key, now);
    if (events.length < this.limit) return 0;
    return Math.max(1, Math.ceil((events[events.length - this.limit] + this.windowMs - now) / 1000));
  }

  record(key: string, now: number): void {
    const events = this.live(key, now);
    events.push(now);
    if (events.length > this.limit) events.splice(0, events.length - this.limit);
    this.events.delete(key);
    this.events.set(key, events);
    while (this.events.size > this.maxKeys) this.events.delete(this.events.keys().next().value as string);
  }

  get size(): number {
    return this.events.size;
  }

  private live(key: string, now: number): number[] {
    const events = this.events.get(key);
    if (!events) return [];
    const cut = now - this.windowMs;
    let stale = 0;
    while (stale < events.length && events[stale] <= cut) stale++;
    if (stale > 0) events.splice(0, stale);
    if (events.length === 0) this.events.delete(key);
    return events;
  }
}

export interface FailureLimits {
  windowSeconds: number;
  perClient: number;
  perAddress: number;
}

/**
 * Brute-force brake on client authentication, per client id and per source address, in memory
 * (per replica). Client ids are public (x-api-key), so only what a caller controls is refused
 * before its secret is checked:
 * - an address with `perAddress` failures in the window, whatever the client ids;
 * - a (client id, address) pair that failed while the client id has `perClient` failures: one
 *   address gets `perClient` guesses, and once the id is under attack every other address one.
 * The client id's own count never refuses a correct secret from an address that has not failed
 * it, so guessing cannot lock the owner out; it turns further failures for that id into 429.
 * Successes do not reset any count.
 */
export class FailedAuthLimiter {
  private readonly byClient: SlidingWindowLimiter;
  private readonly byAddress: SlidingWindowLimiter;
  /** Only whether the pair failed within the window. */
  private readonly byPair: SlidingWindowLimiter;

  constructor(limits: FailureLimits) {
    const windowMs = limits.windowSeconds * 1000;
    this.byClient = new SlidingWindowLimiter(limits.perClient, windowMs);
    this.byAddress = new SlidingWindowLimiter(limits.perAddress, windowMs);
    this.byPair = new SlidingWindowLimiter(1, windowMs);
  }

  /** Seconds before this caller's secret is checked again; 0 to check it now. */
  blockedFor(clientId: string, address: string, now = Date.now()): number {
    const pair = Math.min(this.byClient.retryAfter(clientId, now), this.byPair.retryAfter(pairKey(clientId, address), now));
    return Math.max(pair, this.byAddress.retryAfter(address, now));
  }

  /** Counts a wrong secret; returns the Retry-After (seconds) when the client id is already over its limit, else 0. */
  recordFailure(clientId: string, address: string, now = Date.now()): number {
    const wait = this.byClient.retryAfter(clientId, now);
    this.byClient.record(clientId, now);
    this.byAddress.record(address, now);
    this.byPair.record(pairKey(clientId, address), now);
    return wait;
  }
}

/** Fixed-size, whatever the lengths of the id and the address. */
function pairKey(clientId: string, address: string): string {
  return createHash('sha256').update(clientId).update('\0').update(address).digest('base64url');
}

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
 * (per replica). Once a client id or an address has failed `perClient` / `perAddress` times
 * within the window, its attempts are refused with 429 and Retry-After, correct secret or not,
 * until the oldest failure leaves the window. Successes do not reset the count.
 */
export class FailedAuthLimiter {
  private readonly byClient: SlidingWindowLimiter;
  private readonly byAddress: SlidingWindowLimiter;

  constructor(limits: FailureLimits) {
    this.byClient = new SlidingWindowLimiter(limits.perClient, limits.windowSeconds * 1000);
    this.byAddress = new SlidingWindowLimiter(limits.perAddress, limits.windowSeconds * 1000);
  }

  retryAfter(clientId: string, address: string, now = Date.now()): number {
    return Math.max(this.byClient.retryAfter(clientId, now), this.byAddress.retryAfter(address, now));
  }

  recordFailure(clientId: string, address: string, now = Date.now()): void {
    this.byClient.record(clientId, now);
    this.byAddress.record(address, now);
  }
}

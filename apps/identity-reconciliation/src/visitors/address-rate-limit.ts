const WINDOW_MS = 60_000;

/**
 * At most `perMinute` requests per client address in each minute. Memory is bounded: past
 * `maxAddresses` the address seen longest ago is forgotten first (a flood of addresses only resets
 * the oldest windows, never grows the map).
 */
export class AddressRateLimit {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly maxAddresses = 100_000,
  ) {}

  allow(address: string, now = Date.now()): boolean {
    const w = this.windows.get(address);
    if (w && now - w.start < WINDOW_MS) {
      w.count++;
      return w.count <= this.perMinute;
    }
    this.windows.delete(address);
    if (this.windows.size >= this.maxAddresses) this.windows.delete(this.windows.keys().next().value as string);
    this.windows.set(address, { start: now, count: 1 });
    return this.perMinute > 0;
  }

  get tracked(): number {
    return this.windows.size;
  }
}

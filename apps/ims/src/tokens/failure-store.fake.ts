import type { FailureKind, FailureStore } from './failure-limiter';

/** For unit specs: the store's contract in memory (the service counts in MySQL, AuthFailuresRepository). */
export class MemoryFailureStore implements FailureStore {
  readonly recorded: { kind: FailureKind; key: string }[] = [];
  private readonly times = new Map<string, number[]>();

  async nthMostRecent(kind: FailureKind, key: string, n: number, sinceMs: number): Promise<number | null> {
    const live = (this.times.get(`${kind}/${key}`) ?? []).filter((t) => t > sinceMs).sort((a, b) => b - a);
    return live.length >= n ? live[n - 1] : null;
  }

  async record(failures: { kind: FailureKind; key: string }[], nowMs: number, forgetBeforeMs: number): Promise<void> {
    for (const f of failures) {
      this.recorded.push(f);
      const k = `${f.kind}/${f.key}`;
      this.times.set(k, [...(this.times.get(k) ?? []).filter((t) => t > forgetBeforeMs), nowMs]);
    }
  }
}

/** How far behind its partitions this process's consumer is, per topic, as last seen. */
export class ConsumerBacklog {
  private readonly seen = new Map<string, { behind: number; lagMs: number; at: number }>();

  /**
   * Before a slice: the messages of its partition after it (high watermark - next offset), and
   * how long its first message has waited since it was produced.
   */
  report(topic: string, partition: number, behind: number, lagMs: number): void {
    this.seen.set(`${topic}\u0000${partition}`, { behind: Math.max(0, behind), lagMs: Math.max(0, lagMs), at: Date.now() });
  }

  /** Messages behind on a topic, summed over its partitions; a report older than `freshMs` counts as caught up. */
  behind(topic: string, freshMs = 5000): number {
    return this.fold(topic, freshMs, 0, (acc, v) => acc + v.behind);
  }

  /** The longest wait of a message about to be handled on a topic, over its partitions (fresh reports only). */
  lagMs(topic: string, freshMs = 5000): number {
    return this.fold(topic, freshMs, 0, (acc, v) => Math.max(acc, v.lagMs));
  }

  /**
   * Waits while more than `o.maxBehind` messages of `topic` wait for this process's consumer, or
   * its next message has waited longer than `o.maxLagMs`, for at most `o.maxWaitMs`: bulk work in
   * the same process gives way to a live stream instead of starving it of CPU and of the event
   * loop. A consumer that stopped reporting counts as caught up. Answers the time waited.
   */
  async giveWay(topic: string, o: { maxBehind: number; maxLagMs: number; maxWaitMs: number; freshMs?: number }): Promise<number> {
    const started = Date.now();
    const fresh = o.freshMs ?? 2000;
    const behind = () => this.behind(topic, fresh) > o.maxBehind || this.lagMs(topic, fresh) > o.maxLagMs;
    while (behind() && Date.now() - started < o.maxWaitMs) await new Promise((r) => setTimeout(r, 10));
    return Date.now() - started;
  }

  /** Every topic's backlog in messages (for the lag gauge). */
  topics(freshMs = 5000): Map<string, number> {
    const out = new Map<string, number>();
    for (const key of this.seen.keys()) {
      const topic = key.slice(0, key.indexOf('\u0000'));
      if (!out.has(topic)) out.set(topic, this.behind(topic, freshMs));
    }
    return out;
  }

  private fold(topic: string, freshMs: number, initial: number, f: (acc: number, v: { behind: number; lagMs: number }) => number): number {
    const now = Date.now();
    let acc = initial;
    for (const [key, v] of this.seen) if (key.startsWith(`${topic}\u0000`) && now - v.at <= freshMs) acc = f(acc, v);
    return acc;
  }
}

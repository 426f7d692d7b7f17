import type { Logger } from 'pino';

export interface BackgroundLoopOptions {
  /** For logs. */
  name: string;
  /** Pause between passes when there is nothing to do. */
  idleMs: number;
  logger: Logger;
  /** Pause after the n-th failure in a row (default: 200 ms doubling, at most 5 s). */
  backoffMs?: (failures: number) => number;
}

/**
 * Runs `pass` again and again in the background, one pass at a time: at once while a pass reports
 * more work (a truthy result) or `wake()` was called during it, after `idleMs` otherwise, and
 * backing off after failures. `stop()` waits for the pass in flight.
 */
export class BackgroundLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private wakeRequested = false;
  private failures = 0;

  constructor(
    private readonly pass: () => Promise<unknown>,
    private readonly o: BackgroundLoopOptions,
  ) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  /** A wake came in during the pass in flight: long optional work may yield to it. */
  get wakePending(): boolean {
    return this.wakeRequested;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Ask for a pass soon; one in flight is followed by another. */
  wake(delayMs = 0): void {
    if (this.stopped) return;
    if (this.running) this.wakeRequested = true;
    else this.schedule(delayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.loop().finally(() => {
        this.running = null;
      });
    }, ms);
  }

  private async loop(): Promise<void> {
    try {
      let more: unknown;
      do {
        this.wakeRequested = false;
        more = await this.pass();
      } while (!this.stopped && (more || this.wakeRequested));
      this.failures = 0;
    } catch (err) {
      this.failures++;
      this.o.logger.warn({ loop: this.o.name, failures: this.failures, err: err instanceof Error ? err.message : String(err) }, `${this.o.name} pass failed; will retry`);
    }
    if (this.stopped) return;
    const backoff = this.o.backoffMs ?? ((n: number) => Math.min(5000, 200 * 2 ** n));
    this.schedule(this.failures ? backoff(this.failures) : this.o.idleMs);
  }
}

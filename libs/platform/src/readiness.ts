import type { Logger } from 'pino';

/**
 * Named checks behind GET /ready; each throws when its dependency is unreachable. The answer says
 * which dependency is down, never why: a driver's message names hosts, ports and users. The reason
 * goes to the log, once each time a check changes state (/ready is polled every few seconds).
 */
export class Readiness {
  private readonly checks = new Map<string, () => Promise<void>>();
  private readonly down = new Set<string>();
  private logger: Logger | null = null;

  register(name: string, check: () => Promise<void>): void {
    this.checks.set(name, check);
  }

  logTo(logger: Logger): void {
    this.logger = logger;
  }

  async evaluate(): Promise<{ ready: boolean; checks: Record<string, 'ok' | 'down'> }> {
    const entries = await Promise.all(
      [...this.checks.entries()].map(async ([name, check]) => {
        try {
          await check();
          if (this.down.delete(name)) this.logger?.info({ check: name }, 'dependency back');
          return [name, 'ok'] as const;
        } catch (err) {
          if (!this.down.has(name)) this.logger?.warn({ check: name, err: err instanceof Error ? err.message : String(err) }, 'dependency down');
          this.down.add(name);
          return [name, 'down'] as const;
        }
      }),
    );
    return { ready: entries.every(([, v]) => v === 'ok'), checks: Object.fromEntries(entries) };
  }
}

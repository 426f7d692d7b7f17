/** Named checks behind GET /ready; each throws when its dependency is unreachable. */
export class Readiness {
  private readonly checks = new Map<string, () => Promise<void>>();

  register(name: string, check: () => Promise<void>): void {
    this.checks.set(name, check);
  }

  async evaluate(): Promise<{ ready: boolean; checks: Record<string, string> }> {
    const entries = await Promise.all(
      [...this.checks.entries()].map(async ([name, check]) => {
        try {
          await check();
          return [name, 'ok'] as const;
        } catch (err) {
          return [name, err instanceof Error ? err.message : String(err)] as const;
        }
      }),
    );
    return { ready: entries.every(([, v]) => v === 'ok'), checks: Object.fromEntries(entries) };
  }
}

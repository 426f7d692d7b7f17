/**
 * Test-only crash points (PUBLICATION_CRASH_AFTER, honoured only when NODE_ENV=test): the process
 * SIGKILLs itself, no shutdown hook runs, exactly as if the machine died there.
 */
export class CrashHook {
  constructor(private readonly point: 'files' | 'version' | null) {}

  at(point: 'files' | 'version'): void {
    if (this.point !== point) return;
    process.stderr.write(`audience-publication: PUBLICATION_CRASH_AFTER=${point}: killing myself\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}

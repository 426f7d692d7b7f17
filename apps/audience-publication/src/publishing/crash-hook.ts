/**
 * Test-only crash points (PUBLICATION_CRASH_AFTER, honoured only when NODE_ENV=test): the process
 * SIGKILLs itself, no shutdown hook runs, exactly as if the machine died there. Only exports of
 * PUBLICATION_CRASH_ORG trigger it (when set): suites share a schema, and an earlier suite's
 * leftover export must not kill a process before its own test begins.
 */
export class CrashHook {
  constructor(
    private readonly point: 'files' | 'version' | null,
    private readonly orgId = '',
  ) {}

  at(point: 'files' | 'version', orgId: string): void {
    if (this.point !== point || (this.orgId !== '' && this.orgId !== orgId)) return;
    process.stderr.write(`audience-publication: PUBLICATION_CRASH_AFTER=${point}: killing myself\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}

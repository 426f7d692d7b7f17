import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { APP_CONFIG, DomainError, Errors, ServiceRuntime, decodeCursor, encodeCursor, parseLimit } from '@audx/platform';
import type { IdentityConfig } from '../config';
import { ImportRecord, ImportsRepository } from './imports.repository';

export interface UnmatchedItem {
  userId: string;
  reason: string;
}

/** The reconciliation reports of imports, org-scoped (another org's import is a 404). */
@Injectable()
export class ImportsService {
  constructor(
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(ImportsRepository) private readonly imports: ImportsRepository,
    @Inject(APP_CONFIG) private readonly config: IdentityConfig,
  ) {}

  async get(orgId: string, importId: string) {
    const imp = await this.require(orgId, importId);
    const result = imp.result ? (JSON.parse(imp.result) as Record<string, unknown>) : null;
    return { importId: imp.importId, status: imp.status === 'applied' ? 'reconciled' : imp.status, dataSource: imp.dataSource, mode: imp.mode, sequence: imp.sequence, ...(result ?? {}) };
  }

  async unmatchedPage(orgId: string, importId: string, after: string | undefined, limit: string | undefined): Promise<{ items: UnmatchedItem[]; next: string | null }> {
    const imp = await this.requireReconciled(orgId, importId);
    const take = parseLimit(limit, 1000, 10000);
    const cursor = decodeCursor(after, 1);
    const found = await this.imports.unmatchedPage(this.runtime.dataSource.manager, imp.importPk, cursor ? String(cursor[0]) : null, take);
    return {
      items: found.map((f) => ({ userId: f.user_id, reason: f.reason })),
      next: found.length === take ? encodeCursor([found[found.length - 1].user_id]) : null,
    };
  }

  /** Streams every unmatched identifier as NDJSON, a page at a time, honouring backpressure. */
  async streamUnmatched(orgId: string, importId: string, res: Response): Promise<void> {
    const imp = await this.requireReconciled(orgId, importId);
    res.status(200).setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    let after: string | null = null;
    for (;;) {
      const page = await this.imports.unmatchedPage(this.runtime.dataSource.manager, imp.importPk, after, 5000);
      if (page.length === 0) break;
      const text = page.map((p) => JSON.stringify({ userId: p.user_id, reason: p.reason })).join('\n') + '\n';
      if (!res.write(text)) await new Promise((r) => res.once('drain', r));
      if (res.destroyed) return;
      after = page[page.length - 1].user_id;
    }
    res.end();
  }

  private async require(orgId: string, importId: string): Promise<ImportRecord> {
    const imp = await this.imports.find(this.runtime.dataSource.manager, orgId, importId);
    if (!imp) throw Errors.notFound('import');
    return imp;
  }

  private async requireReconciled(orgId: string, importId: string): Promise<ImportRecord> {
    const imp = await this.require(orgId, importId);
    if (imp.status !== 'applied') throw Errors.conflict(`import ${importId} is not reconciled yet (${imp.status})`);
    if (imp.reportPurged) {
      const kept = this.config.IMPORT_REPORT_RETENTION_SECONDS;
      throw new DomainError('not_found', `the unmatched report of import ${importId} was purged ${kept} s after it was reconciled (IMPORT_REPORT_RETENTION_SECONDS)`, 404);
    }
    return imp;
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface AuditFilter {
  action?: string;
  target?: string;
  after?: Date;
  before?: Date;
}

export interface AuditRow {
  auditPk: number;
  at: string;
  orgId: string;
  actor: string;
  action: string;
  target: string;
  detail: unknown;
}

/** Reads and prunes the audit trail (`audit_log`, in the service's own schema). SQL only. */
@Injectable()
export class AuditRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** An org's entries, newest first, before `beforePk` (the cursor), matching the filter. */
  async page(orgId: string, filter: AuditFilter, beforePk: number | null, limit: number): Promise<AuditRow[]> {
    const where = ['org_id = ?'];
    const params: unknown[] = [orgId];
    const add = (sql: string, value: unknown) => {
      where.push(sql);
      params.push(value);
    };
    if (filter.action) add('action = ?', filter.action);
    if (filter.target) add('target = ?', filter.target);
    if (filter.after) add('at > ?', filter.after);
    if (filter.before) add('at < ?', filter.before);
    if (beforePk !== null) add('audit_pk < ?', beforePk);
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT audit_pk, at, org_id, actor, action, target, detail FROM audit_log WHERE ${where.join(' AND ')} ORDER BY audit_pk DESC LIMIT ?`,
      [...params, limit],
    );
    return rows.map((r) => ({
      auditPk: Number(r.audit_pk),
      at: new Date(r.at as string).toISOString(),
      orgId: String(r.org_id),
      actor: String(r.actor),
      action: String(r.action),
      target: String(r.target),
      detail: parseDetail(String(r.detail)),
    }));
  }

  /** Deletes up to `limit` entries older than `before`; answers how many went. */
  async prune(before: Date, limit: number): Promise<number> {
    const r = (await this.dataSource.query('DELETE FROM audit_log WHERE at < ? LIMIT ?', [before, limit])) as { affectedRows?: number };
    return Number(r.affectedRows ?? 0);
  }
}

function parseDetail(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // cut at its length limit
  }
}

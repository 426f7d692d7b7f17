import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SqlConditions } from '@audx/platform';

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
    const w = new SqlConditions()
      .when('org_id = ?', orgId)
      .when('action = ?', filter.action)
      .when('target = ?', filter.target)
      .when('at > ?', filter.after)
      .when('at < ?', filter.before)
      .when('audit_pk < ?', beforePk);
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT audit_pk, at, org_id, actor, action, target, detail FROM audit_log WHERE ${w.sql} ORDER BY audit_pk DESC LIMIT ?`,
      [...w.params, limit],
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

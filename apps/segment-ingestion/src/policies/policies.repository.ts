import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { DenyExpression, PolicyRecord } from '@audx/contracts';

export interface PolicyView extends PolicyRecord {
  updatedAt: string;
}

@Injectable()
export class PoliciesRepository {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  async upsert(manager: EntityManager, orgId: string, p: PolicyRecord): Promise<void> {
    await manager.query(
      'INSERT INTO policies (org_id, name, marketing_action, status, deny_expr) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE marketing_action = VALUES(marketing_action), status = VALUES(status), deny_expr = VALUES(deny_expr)',
      [orgId, p.name, p.marketingAction, p.status, JSON.stringify(p.deny)],
    );
  }

  async find(orgId: string, name: string): Promise<PolicyView | null> {
    const rows = await this.db.query('SELECT * FROM policies WHERE org_id = ? AND name = ?', [orgId, name]);
    return rows.length ? toView(rows[0]) : null;
  }

  async list(orgId: string, afterName: string | null, limit: number): Promise<PolicyView[]> {
    const rows = await this.db.query('SELECT * FROM policies WHERE org_id = ? AND name > ? ORDER BY name LIMIT ?', [orgId, afterName ?? '', limit]);
    return rows.map(toView);
  }

  async enabledFor(orgId: string, marketingAction: string): Promise<PolicyView[]> {
    const rows = await this.db.query("SELECT * FROM policies WHERE org_id = ? AND marketing_action = ? AND status = 'ENABLED'", [orgId, marketingAction]);
    return rows.map(toView);
  }
}

function toView(r: { name: string; marketing_action: string; status: 'ENABLED' | 'DRAFT'; deny_expr: string; updated_at: Date }): PolicyView {
  return { name: r.name, marketingAction: r.marketing_action, status: r.status, deny: JSON.parse(r.deny_expr) as DenyExpression, updatedAt: new Date(r.updated_at).toISOString() };
}

import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { DenyExpression, PolicyRecord } from '@audx/contracts';

/** This service's replica of each org's data usage policies (from the compacted `policy.changed`). */
@Injectable()
export class PoliciesRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async upsert(manager: EntityManager, orgId: string, policy: PolicyRecord): Promise<void> {
    await manager.query(
      `INSERT INTO policies (org_id, name, marketing_action, status, deny_expr) VALUES (?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE marketing_action = VALUES(marketing_action), status = VALUES(status), deny_expr = VALUES(deny_expr), updated_at = CURRENT_TIMESTAMP(3)`,
      [orgId, policy.name, policy.marketingAction, policy.status, JSON.stringify(policy.deny)],
    );
  }

  async remove(manager: EntityManager, orgId: string, name: string): Promise<void> {
    await manager.query('DELETE FROM policies WHERE org_id = ? AND name = ?', [orgId, name]);
  }

  /** The org's enabled policies of a marketing action. */
  async enabledFor(orgId: string, marketingAction: string, manager: EntityManager = this.dataSource.manager): Promise<PolicyRecord[]> {
    const rows: { name: string; marketing_action: string; status: 'ENABLED' | 'DRAFT'; deny_expr: string }[] = await manager.query(
      "SELECT name, marketing_action, status, deny_expr FROM policies WHERE org_id = ? AND marketing_action = ? AND status = 'ENABLED' ORDER BY name",
      [orgId, marketingAction],
    );
    return rows.map((r) => ({ name: r.name, marketingAction: r.marketing_action, status: r.status, deny: JSON.parse(r.deny_expr) as DenyExpression }));
  }
}

import type { EntityManager, MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail of a service, in its own schema: who (a client id, or an outside producer)
 * changed what, when. HTTP calls that change state are recorded by the auth library's audit
 * middleware; events of outside producers by the batch consumer, in the handler's transaction.
 */
export interface AuditEntry {
  orgId: string;
  actor: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
  at?: Date;
}

const MAX = { actor: 255, action: 128, target: 512, detail: 2048 };

export async function recordAudit(manager: EntityManager, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const now = new Date();
  await manager.query(
    `INSERT INTO audit_log (org_id, at, actor, action, target, detail) VALUES ${entries.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
    entries.flatMap((e) => [e.orgId, e.at ?? now, e.actor.slice(0, MAX.actor), e.action.slice(0, MAX.action), e.target.slice(0, MAX.target), JSON.stringify(e.detail).slice(0, MAX.detail)]),
  );
}

export const AUDIT_LOG_DDL = `CREATE TABLE IF NOT EXISTS audit_log (
   audit_pk BIGINT NOT NULL AUTO_INCREMENT,
   org_id VARCHAR(40) NOT NULL,
   at DATETIME(3) NOT NULL,
   actor VARCHAR(255) NOT NULL,
   action VARCHAR(128) NOT NULL,
   target VARCHAR(512) NOT NULL,
   detail VARCHAR(2048) NOT NULL,
   PRIMARY KEY (audit_pk),
   KEY idx_audit_org (org_id, audit_pk),
   KEY idx_audit_at (at)
 ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;

/** Every service's schema gets the audit trail. */
export class AuditLog1765600000001 implements MigrationInterface {
  name = 'AuditLog1765600000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(AUDIT_LOG_DDL);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS audit_log');
  }
}

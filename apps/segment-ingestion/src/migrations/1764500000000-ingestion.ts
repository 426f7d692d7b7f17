import { MigrationInterface, QueryRunner } from 'typeorm';

export class Ingestion1764500000000 implements MigrationInterface {
  name = 'Ingestion1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE imports (
      seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      import_id VARCHAR(40) NOT NULL,
      org_id VARCHAR(40) NOT NULL,
      status VARCHAR(16) NOT NULL,
      source VARCHAR(16) NOT NULL,
      data_source VARCHAR(100) NOT NULL,
      format VARCHAR(16) NOT NULL,
      mode VARCHAR(8) NOT NULL,
      file_name VARCHAR(255) NULL,
      receipt LONGTEXT NULL,
      errors LONGTEXT NULL,
      policy_violations LONGTEXT NULL,
      reconciliation LONGTEXT NULL,
      failure_reason VARCHAR(500) NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      finished_at DATETIME(3) NULL,
      UNIQUE KEY uq_import_id (import_id),
      KEY idx_org_seq (org_id, seq),
      KEY idx_org_status_seq (org_id, status, seq),
      KEY idx_status_updated (status, updated_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`CREATE TABLE import_line_hashes (
      import_seq BIGINT NOT NULL,
      line_hash BINARY(16) NOT NULL,
      PRIMARY KEY (import_seq, line_hash)
    ) ENGINE=InnoDB`);
    await q.query(`CREATE TABLE segments (
      org_id VARCHAR(40) NOT NULL,
      segment_id VARCHAR(20) NOT NULL,
      name VARCHAR(255) NOT NULL,
      labels TEXT NOT NULL,
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      PRIMARY KEY (org_id, segment_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`CREATE TABLE policies (
      org_id VARCHAR(40) NOT NULL,
      name VARCHAR(100) NOT NULL,
      marketing_action VARCHAR(100) NOT NULL,
      status VARCHAR(8) NOT NULL,
      deny_expr TEXT NOT NULL,
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      PRIMARY KEY (org_id, name)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`CREATE TABLE data_source_replica (
      org_id VARCHAR(40) NOT NULL,
      name VARCHAR(100) NOT NULL,
      kind VARCHAR(10) NOT NULL,
      dpid INT NOT NULL,
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      PRIMARY KEY (org_id, name),
      KEY idx_org_dpid (org_id, dpid)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['data_source_replica', 'policies', 'segments', 'import_line_hashes', 'imports']) await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}

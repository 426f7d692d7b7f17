import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Orgs, integrations (hashed secrets), signing keys (encrypted private keys) and revocations.
 * Idempotent statements: replicas booting together on an empty schema may both run it.
 */
export class Identity1764576000000 implements MigrationInterface {
  name = 'Identity1764576000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE IF NOT EXISTS organizations (
      org_id VARCHAR(40) NOT NULL PRIMARY KEY,
      name VARCHAR(255) NOT NULL,
      created_at DATETIME(3) NOT NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`CREATE TABLE IF NOT EXISTS integrations (
      client_id VARCHAR(64) NOT NULL PRIMARY KEY,
      org_id VARCHAR(40) NOT NULL,
      name VARCHAR(255) NOT NULL,
      technical_account_id VARCHAR(100) NOT NULL,
      scopes VARCHAR(512) NOT NULL,
      secret_hash VARCHAR(255) NULL,
      previous_secret_hash VARCHAR(255) NULL,
      previous_secret_expires_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      deleted_at DATETIME(3) NULL,
      UNIQUE KEY uq_technical_account (technical_account_id),
      KEY idx_org (org_id, client_id),
      CONSTRAINT fk_integrations_org FOREIGN KEY (org_id) REFERENCES organizations (org_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    await q.query(`CREATE TABLE IF NOT EXISTS signing_keys (
      kid VARCHAR(64) NOT NULL PRIMARY KEY,
      public_jwk TEXT NOT NULL,
      private_key_enc TEXT NOT NULL,
      created_at DATETIME(3) NOT NULL,
      active_from DATETIME(3) NOT NULL,
      KEY idx_active_from (active_from)
    ) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin`);
    await q.query(`CREATE TABLE IF NOT EXISTS revoked_tokens (
      jti VARCHAR(160) NOT NULL PRIMARY KEY,
      kind VARCHAR(16) NOT NULL,
      client_id VARCHAR(64) NOT NULL,
      org_id VARCHAR(40) NULL,
      issued_at_or_before BIGINT NULL,
      expires_at BIGINT NOT NULL,
      revoked_at DATETIME(3) NOT NULL,
      KEY idx_client (client_id, kind),
      KEY idx_expires (expires_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    // One row per critical section shared by replicas (SELECT ... FOR UPDATE on it).
    await q.query(`CREATE TABLE IF NOT EXISTS ims_locks (name VARCHAR(64) NOT NULL PRIMARY KEY) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin`);
    await q.query(`INSERT IGNORE INTO ims_locks (name) VALUES ('signing_keys')`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['ims_locks', 'revoked_tokens', 'signing_keys', 'integrations', 'organizations']) await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}

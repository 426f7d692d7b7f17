import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

/**
 * Publication schema. Versions of an audience are stored as membership intervals
 * (`audience_members`: an identifier is a member of versions from_version .. to_version - 1,
 * to_version = 4294967295 while it is still a member), so a version that changes 1% of a 1M
 * audience writes 1% of the rows instead of copying 1M.
 */
export class Publication1764662400000 implements MigrationInterface {
  name = 'Publication1764662400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE policies (
      org_id VARCHAR(64) NOT NULL,
      name VARCHAR(191) NOT NULL,
      marketing_action VARCHAR(100) NOT NULL,
      status VARCHAR(16) NOT NULL,
      deny_expr TEXT NOT NULL,
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (org_id, name),
      KEY idx_policies_action (org_id, marketing_action)
    ) ${TABLE}`);

    await q.query(`CREATE TABLE exports (
      export_pk BIGINT NOT NULL AUTO_INCREMENT,
      org_id VARCHAR(64) NOT NULL,
      export_id VARCHAR(191) NOT NULL,
      list_id VARCHAR(191) NOT NULL,
      data_source VARCHAR(191) NOT NULL,
      segment_id VARCHAR(19) NULL,
      audience_name VARCHAR(255) NULL,
      audience_id CHAR(28) NOT NULL,
      mode VARCHAR(16) NOT NULL,
      labels TEXT NOT NULL,
      export_controls TEXT NOT NULL,
      dpid BIGINT NOT NULL,
      status VARCHAR(16) NOT NULL,
      chunks INT NULL,
      received_chunks INT NOT NULL DEFAULT 0,
      staged_identifiers INT NOT NULL DEFAULT 0,
      invalid_identifiers INT NOT NULL DEFAULT 0,
      members INT NULL,
      with_identifier INT NULL,
      complement INT NULL,
      blocked INT NULL,
      identifiers_total INT NULL,
      audience_pk BIGINT NULL,
      version INT NULL,
      stamp INT UNSIGNED NULL,
      out_max_lines INT NULL,
      out_gzip TINYINT NULL,
      size INT NULL,
      added INT NULL,
      removed INT NULL,
      policy_violations TEXT NULL,
      error VARCHAR(500) NULL,
      staging_cleared TINYINT NOT NULL DEFAULT 0,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      assembled_at DATETIME(3) NULL,
      finished_at DATETIME(3) NULL,
      PRIMARY KEY (export_pk),
      UNIQUE KEY uq_exports_org_export (org_id, export_id),
      KEY idx_exports_queue (status, assembled_at),
      KEY idx_exports_cleanup (staging_cleared, status)
    ) ${TABLE}`);

    // One row per chunk: (export, seq) makes a re-published chunk (new event id, same seq) a no-op.
    await q.query(`CREATE TABLE export_chunks (
      export_pk BIGINT NOT NULL,
      seq INT NOT NULL,
      event_id CHAR(36) NOT NULL,
      identifiers INT NOT NULL,
      is_last TINYINT NOT NULL,
      received_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (export_pk, seq)
    ) ${TABLE}`);

    // Staging: the identifiers of an export until it is published (then deleted in batches).
    await q.query(`CREATE TABLE export_identifiers (
      export_pk BIGINT NOT NULL,
      identifier VARCHAR(255) NOT NULL,
      PRIMARY KEY (export_pk, identifier)
    ) ${TABLE}`);

    await q.query(`CREATE TABLE audiences (
      audience_pk BIGINT NOT NULL AUTO_INCREMENT,
      org_id VARCHAR(64) NOT NULL,
      audience_id CHAR(28) NOT NULL,
      name VARCHAR(255) NOT NULL,
      data_source VARCHAR(191) NOT NULL,
      segment_id VARCHAR(19) NULL,
      audience_name VARCHAR(255) NULL,
      sid VARCHAR(20) NOT NULL,
      dpid BIGINT NOT NULL,
      current_version INT NOT NULL DEFAULT 0,
      size INT NOT NULL DEFAULT 0,
      pending_export_pk BIGINT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (audience_pk),
      UNIQUE KEY uq_audiences_org_id (org_id, audience_id)
    ) ${TABLE}`);

    // (org_id, export_id) unique: one export can never become two versions.
    await q.query(`CREATE TABLE audience_versions (
      audience_pk BIGINT NOT NULL,
      version INT NOT NULL,
      org_id VARCHAR(64) NOT NULL,
      export_id VARCHAR(191) NOT NULL,
      mode VARCHAR(16) NOT NULL,
      size INT NOT NULL,
      added INT NOT NULL,
      removed INT NOT NULL,
      stamp INT UNSIGNED NOT NULL,
      files LONGTEXT NOT NULL,
      info_file VARCHAR(255) NULL,
      published_at DATETIME(3) NOT NULL,
      PRIMARY KEY (audience_pk, version),
      UNIQUE KEY uq_versions_org_export (org_id, export_id)
    ) ${TABLE}`);

    await q.query(`CREATE TABLE audience_members (
      audience_pk BIGINT NOT NULL,
      identifier VARCHAR(255) NOT NULL,
      from_version INT UNSIGNED NOT NULL,
      to_version INT UNSIGNED NOT NULL,
      PRIMARY KEY (audience_pk, identifier, from_version),
      KEY idx_members_to (audience_pk, to_version, identifier),
      KEY idx_members_from (audience_pk, from_version, identifier)
    ) ${TABLE}`);

    // File names carry unix seconds per DPID: one clock row per (org, dpid) keeps them unique.
    await q.query(`CREATE TABLE file_clock (
      org_id VARCHAR(64) NOT NULL,
      dpid BIGINT NOT NULL,
      last_stamp INT UNSIGNED NOT NULL,
      PRIMARY KEY (org_id, dpid)
    ) ${TABLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['file_clock', 'audience_members', 'audience_versions', 'audiences', 'export_identifiers', 'export_chunks', 'exports', 'policies']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}

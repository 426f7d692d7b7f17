import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Recipients and every key they are reconciled by, normalised and as SHA-256. Only the SHA-256
 * form is indexed (after org_id): a plain value is looked up by hashing it the same way, which
 * gives the same answer with half the secondary indexes (each random-key index costs page reads
 * on every insert once the table outgrows the buffer pool: see tools/bench/identity-bench.ts).
 * Then visitor links, data sources, lists with per-member acceptance sequence, import staging and
 * reports, exports. Surrogate BIGINT ids (`rid`, `list_pk`, `import_pk`) keep the big tables'
 * keys short; every lookup from the outside starts with org_id. JSON lives in TEXT columns so
 * MySQL 8 and MariaDB answer the same.
 */
const UP = [
  `CREATE TABLE data_sources (
     org_id VARCHAR(40) NOT NULL,
     name VARCHAR(64) NOT NULL,
     label VARCHAR(255) NOT NULL,
     kind VARCHAR(16) NOT NULL,
     reconciliation_key VARCHAR(140) NULL,
     dpid BIGINT NOT NULL,
     destination_id BIGINT NULL,
     alias VARCHAR(255) NULL,
     hash VARCHAR(16) NOT NULL,
     encryption_key_hex VARCHAR(64) NULL,
     encryption_iv_hex VARCHAR(32) NULL,
     encryption_channel VARCHAR(16) NULL,
     priority INT NOT NULL DEFAULT 0,
     export_controls TEXT NOT NULL,
     created_at DATETIME(3) NOT NULL,
     updated_at DATETIME(3) NOT NULL,
     PRIMARY KEY (org_id, name)
   ) ENGINE=InnoDB`,
  `CREATE TABLE recipients (
     rid BIGINT NOT NULL AUTO_INCREMENT,
     org_id VARCHAR(40) NOT NULL,
     recipient_id VARCHAR(128) NOT NULL,
     recipient_id_sha256 BINARY(32) NOT NULL,
     email VARCHAR(320) NULL,
     email_sha256 BINARY(32) NULL,
     crm_id VARCHAR(128) NULL,
     crm_id_sha256 BINARY(32) NULL,
     phone VARCHAR(64) NULL,
     phone_sha256 BINARY(32) NULL,
     blocklisted TINYINT(1) NOT NULL DEFAULT 0,
     attributes TEXT NULL,
     updated_at DATETIME(3) NOT NULL,
     PRIMARY KEY (rid),
     UNIQUE KEY uq_recipients_id (org_id, recipient_id),
     KEY idx_recipients_id_sha (org_id, recipient_id_sha256),
     KEY idx_recipients_email_sha (org_id, email_sha256),
     KEY idx_recipients_crm_sha (org_id, crm_id_sha256),
     KEY idx_recipients_phone_sha (org_id, phone_sha256)
   ) ENGINE=InnoDB`,
  `CREATE TABLE recipient_attributes (
     org_id VARCHAR(40) NOT NULL,
     rid BIGINT NOT NULL,
     name VARCHAR(100) NOT NULL,
     value VARCHAR(512) NOT NULL,
     value_sha256 BINARY(32) NOT NULL,
     PRIMARY KEY (rid, name),
     KEY idx_attr_sha (org_id, name, value_sha256)
   ) ENGINE=InnoDB`,
  // current link of each visitor (the most recent), and every link (to fall back on after an erasure)
  `CREATE TABLE visitors (
     org_id VARCHAR(40) NOT NULL,
     visitor_id VARCHAR(38) NOT NULL,
     recipient_id VARCHAR(128) NOT NULL,
     linked_at DATETIME(3) NOT NULL,
     PRIMARY KEY (org_id, visitor_id),
     KEY idx_visitors_recipient (org_id, recipient_id)
   ) ENGINE=InnoDB`,
  `CREATE TABLE visitor_links (
     org_id VARCHAR(40) NOT NULL,
     recipient_id VARCHAR(128) NOT NULL,
     visitor_id VARCHAR(38) NOT NULL,
     linked_at DATETIME(3) NOT NULL,
     PRIMARY KEY (org_id, recipient_id, visitor_id),
     KEY idx_links_visitor (org_id, visitor_id)
   ) ENGINE=InnoDB`,
  `CREATE TABLE lists (
     list_pk BIGINT NOT NULL AUTO_INCREMENT,
     org_id VARCHAR(40) NOT NULL,
     list_id VARCHAR(40) NOT NULL,
     name VARCHAR(255) NOT NULL,
     origin VARCHAR(16) NOT NULL,
     data_source VARCHAR(64) NULL,
     segment_id VARCHAR(19) NULL,
     labels TEXT NOT NULL,
     labels_sequence BIGINT NOT NULL DEFAULT 0,
     replaced_sequence BIGINT NOT NULL DEFAULT -1,
     size INT NOT NULL DEFAULT 0,
     created_at DATETIME(3) NOT NULL,
     updated_at DATETIME(3) NOT NULL,
     PRIMARY KEY (list_pk),
     UNIQUE KEY uq_lists_id (org_id, list_id),
     UNIQUE KEY uq_lists_segment (org_id, data_source, segment_id)
   ) ENGINE=InnoDB`,
  // present=0 rows are tombstones: they remember the sequence of the import that removed the member.
  // sequence: the last import that touched the membership; changed_seq: the last that flipped it.
  `CREATE TABLE list_members (
     list_pk BIGINT NOT NULL,
     rid BIGINT NOT NULL,
     present TINYINT NOT NULL,
     sequence BIGINT NOT NULL,
     changed_seq BIGINT NOT NULL DEFAULT -1,
     PRIMARY KEY (list_pk, rid)
   ) ENGINE=InnoDB`,
  `CREATE TABLE imports (
     import_pk BIGINT NOT NULL AUTO_INCREMENT,
     org_id VARCHAR(40) NOT NULL,
     import_id VARCHAR(128) NOT NULL,
     sequence BIGINT NOT NULL,
     data_source VARCHAR(64) NOT NULL,
     mode VARCHAR(8) NOT NULL,
     plan TEXT NOT NULL,
     status VARCHAR(16) NOT NULL,
     chunks_total INT NULL,
     chunks_staged INT NOT NULL DEFAULT 0,
     members_total INT NULL,
     matched INT NULL,
     unmatched INT NULL,
     invalid INT NULL,
     result TEXT NULL,
     staging_purged TINYINT NOT NULL DEFAULT 0,
     created_at DATETIME(3) NOT NULL,
     updated_at DATETIME(3) NOT NULL,
     applied_at DATETIME(3) NULL,
     PRIMARY KEY (import_pk),
     UNIQUE KEY uq_imports_id (org_id, import_id),
     KEY idx_imports_status (status, staging_purged)
   ) ENGINE=InnoDB`,
  `CREATE TABLE import_chunks (
     import_pk BIGINT NOT NULL,
     seq INT NOT NULL,
     members INT NOT NULL,
     PRIMARY KEY (import_pk, seq)
   ) ENGINE=InnoDB`,
  `CREATE TABLE import_segments (
     import_pk BIGINT NOT NULL,
     segment_id VARCHAR(19) NOT NULL,
     labels TEXT NOT NULL,
     PRIMARY KEY (import_pk, segment_id)
   ) ENGINE=InnoDB`,
  // One row per (identifier, segment op) of a chunk, appended in chunk order (a sequential key:
  // hashed identifiers arrive in random order, and random inserts into a big B-tree cost a page
  // read each once it outgrows the buffer pool). status: 0 = to resolve, 2 = invalid,
  // 3 = undecryptable, 4 = unknown data source; op: 1 = add, 0 = remove, NULL = no segment op.
  // key_text is a visitor ID, key_hash the SHA-256 a declared ID is looked up by (narrow on
  // purpose: sorting rows wider than max_length_for_sort_data turns into random re-reads).
  `CREATE TABLE import_rows (
     import_pk BIGINT NOT NULL,
     seq INT NOT NULL,
     n INT NOT NULL,
     user_id VARCHAR(255) NOT NULL,
     status TINYINT NOT NULL,
     key_text VARCHAR(38) NULL,
     key_hash BINARY(32) NULL,
     segment_id VARCHAR(19) NULL,
     op TINYINT NULL,
     PRIMARY KEY (import_pk, seq, n)
   ) ENGINE=InnoDB`,
  `CREATE TABLE import_unmatched (
     import_pk BIGINT NOT NULL,
     user_id VARCHAR(255) NOT NULL,
     reason VARCHAR(24) NOT NULL,
     PRIMARY KEY (import_pk, user_id)
   ) ENGINE=InnoDB`,
  `CREATE TABLE exports (
     org_id VARCHAR(40) NOT NULL,
     export_id VARCHAR(40) NOT NULL,
     list_id VARCHAR(40) NOT NULL,
     data_source VARCHAR(64) NOT NULL,
     segment_id VARCHAR(19) NULL,
     audience_name VARCHAR(255) NULL,
     mode VARCHAR(16) NOT NULL,
     chunks INT NOT NULL,
     members INT NOT NULL,
     with_identifier INT NOT NULL,
     complement INT NOT NULL,
     blocked INT NOT NULL,
     identifiers INT NOT NULL,
     created_at DATETIME(3) NOT NULL,
     PRIMARY KEY (org_id, export_id)
   ) ENGINE=InnoDB`,
];

const TABLES = [
  'exports',
  'import_unmatched',
  'import_rows',
  'import_segments',
  'import_chunks',
  'imports',
  'list_members',
  'lists',
  'visitor_links',
  'visitors',
  'recipient_attributes',
  'recipients',
  'data_sources',
];

export class Identity1764600000000 implements MigrationInterface {
  name = 'Identity1764600000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of UP) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of TABLES) await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}

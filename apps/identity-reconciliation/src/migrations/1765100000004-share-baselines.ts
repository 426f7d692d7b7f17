import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Delta shares. `share_targets` is one row per shared audience (the audience id publication
 * derives from org, data source and segment or name): the share its baseline reflects, and a
 * pending resync that publication asked for. `share_baselines` holds the identifiers that share
 * sent, keyed by their MD5 so that any identifier fits the key.
 */
export class ShareBaselines1765100000004 implements MigrationInterface {
  name = 'ShareBaselines1765100000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE share_targets (
         target_pk BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
         org_id VARCHAR(40) NOT NULL,
         audience_id CHAR(28) NOT NULL,
         last_export_id VARCHAR(40) NULL,
         resync_list_id VARCHAR(40) NULL,
         resync_data_source VARCHAR(64) NULL,
         resync_segment_id VARCHAR(19) NULL,
         resync_audience_name VARCHAR(255) NULL,
         resync_requested_at DATETIME(3) NULL,
         UNIQUE KEY uq_share_targets (org_id, audience_id),
         KEY idx_share_targets_resync (resync_requested_at)
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    );
    await q.query(
      `CREATE TABLE share_baselines (
         target_pk BIGINT NOT NULL,
         id_hash BINARY(16) NOT NULL,
         identifier VARCHAR(1024) NOT NULL,
         PRIMARY KEY (target_pk, id_hash)
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE share_baselines');
    await q.query('DROP TABLE share_targets');
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audiences kept in sync with their list: every share records what it shared (list, data source,
 * segment, audience name), and a share asked with `keepInSync` turns `sync_enabled` on. Once a
 * change after the audience's last share is seen, `sync_due_at` is set a debounce later; the
 * SyncRunner then makes an incremental share (nothing is published when no identifier moved).
 */
export class AudienceSync1765600000002 implements MigrationInterface {
  name = 'AudienceSync1765600000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE share_targets
         ADD COLUMN sync_enabled TINYINT NOT NULL DEFAULT 0,
         ADD COLUMN sync_debounce_seconds INT NOT NULL DEFAULT 60,
         ADD COLUMN sync_list_id VARCHAR(40) NULL,
         ADD COLUMN sync_data_source VARCHAR(64) NULL,
         ADD COLUMN sync_segment_id VARCHAR(19) NULL,
         ADD COLUMN sync_audience_name VARCHAR(255) NULL,
         ADD COLUMN sync_due_at DATETIME(3) NULL,
         ADD KEY idx_share_targets_sync (sync_enabled, sync_due_at)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE share_targets DROP KEY idx_share_targets_sync, DROP COLUMN sync_enabled, DROP COLUMN sync_debounce_seconds, DROP COLUMN sync_list_id,
         DROP COLUMN sync_data_source, DROP COLUMN sync_segment_id, DROP COLUMN sync_audience_name, DROP COLUMN sync_due_at`,
    );
  }
}

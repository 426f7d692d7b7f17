import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An export's `list.exported` chunks leave the outbox: they are snapshotted in `export_chunks`
 * (one row per chunk, sized to fit a broker's default message limit) and sent by the export
 * sender, which records its progress in `exports.chunks_sent`. Exports made before this were sent
 * through the outbox: they count as sent.
 */
export class ExportChunks1765100000001 implements MigrationInterface {
  name = 'ExportChunks1765100000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE export_chunks (
         org_id VARCHAR(40) NOT NULL,
         export_id VARCHAR(40) NOT NULL,
         seq INT NOT NULL,
         event_id CHAR(36) NOT NULL,
         msg_key VARCHAR(512) NOT NULL,
         value MEDIUMTEXT NOT NULL,
         PRIMARY KEY (org_id, export_id, seq)
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    );
    await q.query(
      `ALTER TABLE exports
         ADD COLUMN send_status VARCHAR(16) NOT NULL DEFAULT 'sent',
         ADD COLUMN chunks_sent INT NOT NULL DEFAULT 0,
         ADD COLUMN send_error VARCHAR(500) NULL,
         ADD KEY idx_exports_sending (send_status, created_at)`,
    );
    await q.query('UPDATE exports SET chunks_sent = chunks');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE exports DROP KEY idx_exports_sending, DROP COLUMN send_error, DROP COLUMN chunks_sent, DROP COLUMN send_status');
    await q.query('DROP TABLE export_chunks');
  }
}

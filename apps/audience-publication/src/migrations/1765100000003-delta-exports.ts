import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Delta shares: an export may carry only what changed since a base export. Its staged identifiers
 * are marked added (removed = 0) or removed (removed = 1).
 */
export class DeltaExports1765100000003 implements MigrationInterface {
  name = 'DeltaExports1765100000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE exports ADD COLUMN base_export_id VARCHAR(191) NULL');
    await q.query('ALTER TABLE export_identifiers ADD COLUMN removed TINYINT NOT NULL DEFAULT 0');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE export_identifiers DROP COLUMN removed');
    await q.query('ALTER TABLE exports DROP COLUMN base_export_id');
  }
}

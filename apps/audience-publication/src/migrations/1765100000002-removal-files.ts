import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A full share that drops members writes, beside its `.overwrite` (which cannot remove anyone),
 * a `.sync` of `d_unsid` lines under the next stamp, with its own `.info` control file.
 */
export class RemovalFiles1765100000002 implements MigrationInterface {
  name = 'RemovalFiles1765100000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE audience_versions ADD COLUMN removal_info_file VARCHAR(255) NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE audience_versions DROP COLUMN removal_info_file');
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Versions follow the order shares were requested in (`list.exported` sharedAt), not the order
 * their chunks finished arriving: an export older than what its audience already published is
 * superseded instead of turning the audience back to an older snapshot.
 */
export class ShareOrder1764990000000 implements MigrationInterface {
  name = 'ShareOrder1764990000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE exports ADD COLUMN shared_at DATETIME(3) NULL');
    await q.query('ALTER TABLE audiences ADD COLUMN last_shared_at DATETIME(3) NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE audiences DROP COLUMN last_shared_at');
    await q.query('ALTER TABLE exports DROP COLUMN shared_at');
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `last_chunk_at` is set just before an import's last chunk is sent: from then on reconciliation
 * may apply it, so a stale sweep hands it on instead of failing it, and a `segment.reconciled`
 * may still complete it after a failure.
 */
export class LastChunkMarker1764520000000 implements MigrationInterface {
  name = 'LastChunkMarker1764520000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE imports ADD COLUMN last_chunk_at DATETIME(3) NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE imports DROP COLUMN last_chunk_at');
  }
}

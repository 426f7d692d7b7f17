import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reconciliation overlaps with the upload: each `segment.imported` chunk's identifiers are
 * resolved when the chunk is staged, into `import_matches` (rid 0: nothing matched), in recipient
 * order so that the apply writes list memberships in key order. `import_chunks.resolved` says
 * which chunks were; chunks staged before this are resolved by the apply, as before.
 */
export class ImportMatches1765400000001 implements MigrationInterface {
  name = 'ImportMatches1765400000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE import_matches (
         import_pk BIGINT NOT NULL,
         rid BIGINT NOT NULL,
         seq INT NOT NULL,
         n INT NOT NULL,
         segment_id VARCHAR(19) NULL,
         op TINYINT NULL,
         PRIMARY KEY (import_pk, rid, seq, n)
       ) ENGINE=InnoDB`,
    );
    await q.query('ALTER TABLE import_chunks ADD COLUMN resolved TINYINT NOT NULL DEFAULT 0');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE import_chunks DROP COLUMN resolved');
    await q.query('DROP TABLE import_matches');
  }
}

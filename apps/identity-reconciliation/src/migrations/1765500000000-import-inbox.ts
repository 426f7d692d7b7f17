import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Chunks of multi-chunk imports are accepted by the consumer as they came (one row each, the
 * payload as JSON) and staged by the ChunkExpander in the background: the consumer keeps pace
 * with any upload, so a streamed membership behind a big file's chunks on a partition never waits
 * for their staging. A chunk that fails to stage MAX_ATTEMPTS times is parked with its reason.
 */
export class ImportInbox1765500000000 implements MigrationInterface {
  name = 'ImportInbox1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE import_inbox (
         id BIGINT NOT NULL AUTO_INCREMENT,
         org_id VARCHAR(40) NOT NULL,
         import_id VARCHAR(128) NOT NULL,
         seq INT NOT NULL,
         payload MEDIUMBLOB NOT NULL,
         received_at DATETIME(3) NOT NULL,
         attempts INT NOT NULL DEFAULT 0,
         parked_reason VARCHAR(1000) NULL,
         PRIMARY KEY (id),
         UNIQUE KEY uq_import_inbox_chunk (org_id, import_id, seq),
         KEY ix_import_inbox_org (org_id)
       ) ENGINE=InnoDB`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE import_inbox');
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The chunks of a many-chunk export, kept by the consumer with one insert each and staged in the
 * background (ChunkStager), orgs in turn: staging a 5M-member export takes minutes, and a partition
 * held that long would keep every other org's share waiting behind it.
 */
export class ExportInbox1765600000003 implements MigrationInterface {
  name = 'ExportInbox1765600000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE export_inbox (
         id BIGINT NOT NULL AUTO_INCREMENT,
         org_id VARCHAR(40) NOT NULL,
         export_id VARCHAR(191) NOT NULL,
         seq INT NOT NULL,
         envelope LONGTEXT NOT NULL,
         received_at DATETIME(3) NOT NULL,
         attempts INT NOT NULL DEFAULT 0,
         parked TINYINT NOT NULL DEFAULT 0,
         parked_reason VARCHAR(1000) NULL,
         PRIMARY KEY (id),
         UNIQUE KEY uq_export_inbox_chunk (org_id, export_id, seq),
         KEY idx_export_inbox_waiting (parked, org_id, id)
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE export_inbox');
  }
}

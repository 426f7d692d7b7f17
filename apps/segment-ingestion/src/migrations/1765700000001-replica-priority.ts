import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each data source's priority in the replica: an AAM file routed by its DPID goes to the data
 * source of highest priority when several of the org share that DPID (domain.md: a priority
 * breaks ties). Rows replicated before it rank 0 until their next `datasource.changed`.
 */
export class ReplicaPriority1765700000001 implements MigrationInterface {
  name = 'ReplicaPriority1765700000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE data_source_replica ADD COLUMN priority INT NOT NULL DEFAULT 0');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE data_source_replica DROP COLUMN priority');
  }
}

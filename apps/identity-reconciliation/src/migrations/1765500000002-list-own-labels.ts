import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Labels set on a list through the API (`PATCH /v1/lists/{listId}`), kept apart from the labels its
 * segment's imports give it: a list's labels are the union of both, so a hand-set label survives
 * the next import and an import never drops one.
 */
export class ListOwnLabels1765500000002 implements MigrationInterface {
  name = 'ListOwnLabels1765500000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query("ALTER TABLE lists ADD COLUMN own_labels VARCHAR(4096) NOT NULL DEFAULT '[]'");
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE lists DROP COLUMN own_labels');
  }
}

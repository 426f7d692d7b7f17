import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `DELETE /v1/lists/{id}` removes the list row at once and queues its members here: a list of
 * millions is purged in slices by the ListPurger, never in one transaction. A deleted list's
 * `list_pk` is never reused, so members waiting for the purge belong to no list.
 */
export class ListPurges1765600000000 implements MigrationInterface {
  name = 'ListPurges1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE list_purges (
         list_pk BIGINT NOT NULL,
         org_id VARCHAR(40) NOT NULL,
         deleted_at DATETIME(3) NOT NULL,
         PRIMARY KEY (list_pk)
       ) ENGINE=InnoDB`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE list_purges');
  }
}

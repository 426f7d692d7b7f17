import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Shares run in the background: `POST /v1/lists/{id}/share` records a request and answers 202 at
 * once; the ShareRequestRunner makes the share and deletes the request in the same transaction (a
 * crash leaves the request to run again). A request that cannot be made is kept as failed, with a
 * reason the client may read.
 */
export class ShareRequests1765500000003 implements MigrationInterface {
  name = 'ShareRequests1765500000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE share_requests (
         request_pk BIGINT NOT NULL AUTO_INCREMENT,
         org_id VARCHAR(40) NOT NULL,
         export_id VARCHAR(40) NOT NULL,
         list_id VARCHAR(40) NOT NULL,
         body VARCHAR(2048) NOT NULL,
         created_at DATETIME(3) NOT NULL,
         attempts INT NOT NULL DEFAULT 0,
         failed_reason VARCHAR(500) NULL,
         PRIMARY KEY (request_pk),
         UNIQUE KEY uq_share_requests_export (org_id, export_id)
       ) ENGINE=InnoDB`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE share_requests');
  }
}

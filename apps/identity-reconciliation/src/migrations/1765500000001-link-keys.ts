import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-org keys that sign tracking links (HMAC-SHA256), sealed at rest like data sources' AES keys.
 * The highest live `kid` signs; a rotated-out key still verifies the links it signed until they
 * expire (`retired_at` + the longest link life), unless it was retired at once (`revoked`).
 */
export class LinkKeys1765500000001 implements MigrationInterface {
  name = 'LinkKeys1765500000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE link_keys (
         org_id VARCHAR(40) NOT NULL,
         kid INT NOT NULL,
         sealed VARCHAR(255) NOT NULL,
         created_at DATETIME(3) NOT NULL,
         retired_at DATETIME(3) NULL,
         revoked TINYINT NOT NULL DEFAULT 0,
         PRIMARY KEY (org_id, kid)
       ) ENGINE=InnoDB`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE link_keys');
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failed client authentications, counted in MySQL instead of each replica's memory: a brake that
 * every replica sees, and that no flood of other addresses can make forget a count.
 */
export class AuthFailures1765300000000 implements MigrationInterface {
  name = 'AuthFailures1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE auth_failures (
         id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
         kind TINYINT NOT NULL,
         key_hash BINARY(32) NOT NULL,
         failed_at_ms BIGINT NOT NULL,
         KEY idx_auth_failures_key (kind, key_hash, failed_at_ms),
         KEY idx_auth_failures_age (failed_at_ms)
       ) ENGINE=InnoDB`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE auth_failures');
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cascading revocations cut off in epoch milliseconds (by `created_at`) instead of seconds (by
 * `iat`), so that a token issued later in the same second stays valid. A cut-off second t becomes
 * the last millisecond of t, which revokes exactly the tokens it did.
 */
export class RevocationCutOffMs1765000000000 implements MigrationInterface {
  name = 'RevocationCutOffMs1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE revoked_tokens CHANGE COLUMN issued_at_or_before created_at_or_before_ms BIGINT NULL');
    await q.query('UPDATE revoked_tokens SET created_at_or_before_ms = created_at_or_before_ms * 1000 + 999 WHERE created_at_or_before_ms < 1000000000000');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('UPDATE revoked_tokens SET created_at_or_before_ms = FLOOR(created_at_or_before_ms / 1000) WHERE created_at_or_before_ms >= 1000000000000');
    await q.query('ALTER TABLE revoked_tokens CHANGE COLUMN created_at_or_before_ms issued_at_or_before BIGINT NULL');
  }
}

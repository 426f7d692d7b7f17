import { MigrationInterface, QueryRunner } from 'typeorm';
import { KEYED_COLUMNS, recipientKeySql } from '../recipients/recipient-key';

/**
 * Recipients are looked up by an 8-byte key per SHA-256 column (see recipient-key.ts) instead of
 * (org_id, digest): four indexes of about 20 bytes an entry instead of about 70. With 1M
 * recipients the old indexes held 330 MB, so every upsert and every probe of an import read pages
 * from disk on the default buffer pool; the new ones hold about 75 MB. The digests stay on the
 * row: lookups compare them there.
 */
export class RecipientKeys1765300000000 implements MigrationInterface {
  name = 'RecipientKeys1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE recipients ${KEYED_COLUMNS.map((c) => `ADD COLUMN ${c}_k BINARY(8) NULL AFTER ${c}_sha256`).join(', ')}`);
    await q.query(`UPDATE recipients SET ${KEYED_COLUMNS.map((c) => `${c}_k = IF(${c}_sha256 IS NULL, NULL, ${recipientKeySql('org_id', `${c}_sha256`)})`).join(', ')}`);
    await q.query(
      `ALTER TABLE recipients MODIFY recipient_id_k BINARY(8) NOT NULL,
         DROP INDEX idx_recipients_id_sha, DROP INDEX idx_recipients_email_sha, DROP INDEX idx_recipients_crm_sha, DROP INDEX idx_recipients_phone_sha,
         ADD KEY idx_recipients_id_k (recipient_id_k), ADD KEY idx_recipients_email_k (email_k),
         ADD KEY idx_recipients_crm_k (crm_id_k), ADD KEY idx_recipients_phone_k (phone_k)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE recipients
         DROP INDEX idx_recipients_id_k, DROP INDEX idx_recipients_email_k, DROP INDEX idx_recipients_crm_k, DROP INDEX idx_recipients_phone_k,
         ADD KEY idx_recipients_id_sha (org_id, recipient_id_sha256), ADD KEY idx_recipients_email_sha (org_id, email_sha256),
         ADD KEY idx_recipients_crm_sha (org_id, crm_id_sha256), ADD KEY idx_recipients_phone_sha (org_id, phone_sha256),
         ${KEYED_COLUMNS.map((c) => `DROP COLUMN ${c}_k`).join(', ')}`,
    );
  }
}

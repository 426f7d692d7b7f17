import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Data-source AES keys are kept sealed (AES-256-GCM under DATA_SOURCE_KEY_ENCRYPTION_KEY).
 * Rows written before keep their plain `encryption_key_hex` until the service seals them at
 * boot: a migration never sees the key.
 */
export class SealedDataSourceKeys1764700000000 implements MigrationInterface {
  name = 'SealedDataSourceKeys1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE data_sources ADD COLUMN encryption_key_sealed VARCHAR(255) NULL AFTER encryption_key_hex');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE data_sources DROP COLUMN encryption_key_sealed');
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

export class StreamBuffer1764510000000 implements MigrationInterface {
  name = 'StreamBuffer1764510000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE membership_buffer (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
      org_id VARCHAR(40) NOT NULL,
      data_source VARCHAR(100) NOT NULL,
      user_id VARCHAR(512) NOT NULL,
      segment_id VARCHAR(20) NOT NULL,
      realized TINYINT(1) NOT NULL,
      observed_at DATETIME(3) NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS membership_buffer');
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/** Unmatched reports are kept IMPORT_REPORT_RETENTION_SECONDS after their import was applied. */
export class ReportRetention1764710000000 implements MigrationInterface {
  name = 'ReportRetention1764710000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE imports ADD COLUMN report_purged TINYINT NOT NULL DEFAULT 0, ADD KEY idx_imports_reports (status, report_purged, applied_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE imports DROP KEY idx_imports_reports, DROP COLUMN report_purged');
  }
}

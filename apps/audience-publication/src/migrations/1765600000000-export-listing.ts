import { MigrationInterface, QueryRunner } from 'typeorm';

/** GET /v1/exports pages an org's exports newest first, all of them or one audience's, without scanning other orgs'. */
export class ExportListing1765600000000 implements MigrationInterface {
  name = 'ExportListing1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE exports ADD KEY idx_exports_org (org_id, export_pk), ADD KEY idx_exports_org_audience (org_id, audience_id, export_pk)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE exports DROP KEY idx_exports_org_audience, DROP KEY idx_exports_org');
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';
import { OUTBOX_DDL, OUTBOX_DOWN_DDL } from '@audx/messaging';

export class Initial1764489600000 implements MigrationInterface {
  name = 'Initial1764489600000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of OUTBOX_DDL) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of OUTBOX_DOWN_DDL) await q.query(sql);
  }
}

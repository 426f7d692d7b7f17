import type { MigrationInterface, QueryRunner } from 'typeorm';
import { OUTBOX_PARKED_DDL } from './outbox';

/** Every service's schema gets the table the outbox relay parks unsendable rows in. */
export class OutboxParked1765100000000 implements MigrationInterface {
  name = 'OutboxParked1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(OUTBOX_PARKED_DDL);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS outbox_parked');
  }
}

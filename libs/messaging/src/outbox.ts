import type { EntityManager } from 'typeorm';
import { PayloadOf, TopicName } from '@audx/contracts';
import { OutgoingMessage, PublishOptions, buildMessage } from './envelope-factory';

/**
 * Writes events into the `outbox` table of the caller's transaction: the event exists exactly when
 * the state change that caused it does. `OutboxRelay` moves rows to Kafka afterwards.
 */
export class OutboxWriter {
  private readonly pending: OutgoingMessage[] = [];
  private readonly tail: (() => Promise<void>)[] = [];

  constructor(
    private readonly manager: EntityManager,
    private readonly producerName: string,
  ) {}

  add<T extends TopicName>(topic: T, orgId: string, payload: PayloadOf<T>, options?: PublishOptions): this {
    this.pending.push(buildMessage(this.producerName, topic, orgId, payload, options));
    return this;
  }

  /**
   * Work that must be the transaction's last before its events (a row lock taken there is held
   * only until the commit that follows): runs once, at the next flush, in registration order.
   */
  beforeFlush(work: () => Promise<void>): this {
    this.tail.push(work);
    return this;
  }

  /** Runs the tail work, then inserts what was added, 500 rows per statement. */
  async flush(): Promise<number> {
    for (const work of this.tail.splice(0)) await work();
    const rows = this.pending.splice(0);
    for (let i = 0; i < rows.length; i += 500) {
      const slice = rows.slice(i, i + 500);
      await this.manager.query(
        `INSERT INTO outbox (event_id, topic, msg_key, value) VALUES ${slice.map(() => '(?, ?, ?, ?)').join(', ')}`,
        slice.flatMap((m) => [m.envelope.id, m.topic, m.key, JSON.stringify(m.envelope)]),
      );
    }
    return rows.length;
  }
}

/** Rows the relay set aside because Kafka will never take them (too large, refused): kept with the reason. */
export const OUTBOX_PARKED_DDL = `CREATE TABLE IF NOT EXISTS outbox_parked (
     seq BIGINT NOT NULL PRIMARY KEY,
     event_id CHAR(36) NOT NULL,
     topic VARCHAR(200) NOT NULL,
     msg_key VARCHAR(512) NOT NULL,
     value LONGTEXT NOT NULL,
     created_at DATETIME(3) NOT NULL,
     parked_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
     reason VARCHAR(500) NOT NULL
   ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;

/** Shared DDL, applied by each service's own migration. */
export const OUTBOX_DDL = [
  `CREATE TABLE IF NOT EXISTS outbox (
     seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
     event_id CHAR(36) NOT NULL,
     topic VARCHAR(200) NOT NULL,
     msg_key VARCHAR(512) NOT NULL,
     value LONGTEXT NOT NULL,
     created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
   ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  `CREATE TABLE IF NOT EXISTS processed_events (
     consumer VARCHAR(150) NOT NULL,
     event_id CHAR(36) NOT NULL,
     processed_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
     PRIMARY KEY (consumer, event_id),
     KEY idx_processed_at (processed_at)
   ) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin`,
  OUTBOX_PARKED_DDL,
];
export const OUTBOX_DOWN_DDL = ['DROP TABLE IF EXISTS outbox_parked', 'DROP TABLE IF EXISTS processed_events', 'DROP TABLE IF EXISTS outbox'];

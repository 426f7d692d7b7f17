import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { BackgroundLoop } from './background-loop';
import type { EventProducer } from './event-producer';

interface OutboxRow {
  seq: string;
  topic: string;
  msg_key: string;
  value: string;
}

/**
 * Moves committed outbox rows to Kafka in order, then deletes them. At least once: a crash between
 * the send and the delete re-sends rows whose event ids consumers already de-duplicate.
 * `FOR UPDATE` (not SKIP LOCKED) serialises relays of several replicas, so per-key order holds.
 */
export class OutboxRelay {
  private readonly loop: BackgroundLoop;

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: EventProducer,
    private readonly logger: Logger,
    private readonly options: { batchSize: number; idleMs: number } = { batchSize: 500, idleMs: 200 },
    private readonly onPublished: (count: number) => void = () => undefined,
  ) {
    this.loop = new BackgroundLoop(() => this.pass(), { name: 'outbox relay', idleMs: options.idleMs, logger });
  }

  start(): void {
    this.loop.start();
  }

  /** Ask for an immediate pass (after a transaction that wrote events commits). */
  wake(): void {
    this.loop.wake();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    // drain what is committed, so a graceful shutdown leaves nothing behind
    await this.drain().catch((err) => this.logger.warn({ err }, 'outbox drain at shutdown failed; rows stay for the next start'));
  }

  async drain(): Promise<void> {
    while ((await this.pass()) > 0) {
      /* keep going */
    }
  }

  /** One transaction: lock the oldest rows, send them, delete them. Returns how many moved. */
  async pass(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const rows: OutboxRow[] = await manager.query('SELECT seq, topic, msg_key, value FROM outbox ORDER BY seq LIMIT ? FOR UPDATE', [this.options.batchSize]);
      if (rows.length === 0) return 0;
      await this.producer.sendRaw(rows.map((r) => ({ topic: r.topic, key: r.msg_key, value: r.value })));
      await manager.query(`DELETE FROM outbox WHERE seq IN (${rows.map(() => '?').join(',')})`, rows.map((r) => r.seq));
      this.onPublished(rows.length);
      return rows.length;
    });
  }
}

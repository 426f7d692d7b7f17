import type { DataSource, QueryRunner } from 'typeorm';
import type { Logger } from 'pino';
import { BackgroundLoop } from './background-loop';
import type { EventProducer } from './event-producer';
import { MAX_RECORD_BYTES, unsendableReason } from './message-limits';
import { SchemaLeader } from './schema-leader';

interface RowHead {
  seq: string;
  topic: string;
  bytes: string | number;
}

interface OutboxRow {
  seq: string;
  topic: string;
  msg_key: string;
  value: string;
}

export interface OutboxRelayOptions {
  /** Rows looked at per pass. */
  batchSize: number;
  /** Bytes of values read and sent per pass. */
  passBytes: number;
  idleMs: number;
  /** A row larger than this can never be sent: it is parked at once. */
  maxRecordBytes: number;
}

export interface OutboxRelayHooks {
  onPublished?: (count: number) => void;
  onParked?: (count: number, reason: string) => void;
}

const DEFAULTS: OutboxRelayOptions = { batchSize: 500, passBytes: 2 * 1024 * 1024, idleMs: 200, maxRecordBytes: MAX_RECORD_BYTES };

/**
 * Moves committed outbox rows to Kafka in order, then deletes them. At least once: a crash between
 * the send and the delete re-sends rows whose event ids consumers already de-duplicate.
 *
 * It never holds a row lock while it talks to Kafka: rows are read with a plain (MVCC) select and
 * deleted by primary key once sent, so a slow or stopped broker blocks no business write. Replicas
 * take turns through a MySQL named lock (a session lock, not a row lock), which keeps one relay
 * per schema and so the per-key order. A row Kafka will never take (too large, refused) is moved
 * to `outbox_parked` with its reason instead of being retried ahead of everything else.
 */
export class OutboxRelay {
  private readonly loop: BackgroundLoop;
  private readonly options: OutboxRelayOptions;
  private readonly leader: SchemaLeader;
  /** After a batch was refused as a whole, rows up to this seq go one by one to find the culprit. */
  private isolateThrough: bigint | null = null;

  constructor(
    dataSource: DataSource,
    readonly producer: EventProducer,
    private readonly logger: Logger,
    options: Partial<OutboxRelayOptions> = {},
    private readonly hooks: OutboxRelayHooks = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.leader = new SchemaLeader(dataSource, 'outbox');
    this.loop = new BackgroundLoop(() => this.pass(), { name: 'outbox relay', idleMs: this.options.idleMs, logger });
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
    await this.drain().catch((err) => this.logger.warn({ err: errText(err) }, 'outbox drain at shutdown failed; rows stay for the next start'));
    await this.leader.release();
  }

  async drain(): Promise<void> {
    while ((await this.pass()) > 0) {
      /* keep going */
    }
  }

  /** One pass: the oldest rows within the byte budget go to Kafka, then are deleted. Returns how many moved. */
  async pass(): Promise<number> {
    const db = await this.leader.acquire();
    if (!db) return 0;
    const heads: RowHead[] = await db.query('SELECT seq, topic, OCTET_LENGTH(value) AS bytes FROM outbox ORDER BY seq LIMIT ?', [this.options.batchSize]);
    if (heads.length === 0) return 0;
    const oversized = heads.filter((h) => Number(h.bytes) > this.options.maxRecordBytes);
    if (oversized.length) await this.park(db, oversized.map((h) => h.seq), `larger than ${this.options.maxRecordBytes} bytes`);
    const window = this.window(heads.filter((h) => Number(h.bytes) <= this.options.maxRecordBytes));
    if (window.length === 0) return oversized.length;
    const rows: OutboxRow[] = await db.query(`SELECT seq, topic, msg_key, value FROM outbox WHERE seq IN (${window.map(() => '?').join(',')}) ORDER BY seq`, window);
    try {
      await this.producer.sendRaw(rows.map((r) => ({ topic: r.topic, key: r.msg_key, value: r.value })));
    } catch (err) {
      const reason = unsendableReason(err);
      if (!reason) throw err;
      if (rows.length > 1) {
        this.isolateThrough = BigInt(rows[rows.length - 1].seq);
        this.logger.warn({ rows: rows.length, reason }, 'kafka refused an outbox batch; sending its rows one by one');
        return 1;
      }
      await this.park(db, [rows[0].seq], `kafka refused it: ${reason}`);
      return 1;
    }
    await db.query(`DELETE FROM outbox WHERE seq IN (${rows.map(() => '?').join(',')})`, rows.map((r) => r.seq));
    this.hooks.onPublished?.(rows.length);
    return rows.length + oversized.length;
  }

  /** The seqs to send this pass: a prefix within the byte budget (one row while isolating a refused batch). */
  private window(heads: RowHead[]): string[] {
    if (heads.length === 0) return [];
    if (this.isolateThrough !== null) {
      if (BigInt(heads[0].seq) <= this.isolateThrough) return [heads[0].seq];
      this.isolateThrough = null;
    }
    const seqs: string[] = [];
    let bytes = 0;
    for (const h of heads) {
      if (seqs.length > 0 && bytes + Number(h.bytes) > this.options.passBytes) break;
      seqs.push(h.seq);
      bytes += Number(h.bytes);
    }
    return seqs;
  }

  private async park(db: QueryRunner, seqs: string[], reason: string): Promise<void> {
    const marks = seqs.map(() => '?').join(',');
    await db.startTransaction();
    try {
      const parked: { seq: string; event_id: string; topic: string; bytes: string }[] = await db.query(
        `SELECT seq, event_id, topic, OCTET_LENGTH(value) AS bytes FROM outbox WHERE seq IN (${marks})`,
        seqs,
      );
      await db.query(
        `INSERT INTO outbox_parked (seq, event_id, topic, msg_key, value, created_at, reason)
         SELECT seq, event_id, topic, msg_key, value, created_at, ? FROM outbox WHERE seq IN (${marks})`,
        [reason, ...seqs],
      );
      await db.query(`DELETE FROM outbox WHERE seq IN (${marks})`, seqs);
      await db.commitTransaction();
      for (const p of parked) {
        this.logger.error({ seq: p.seq, eventId: p.event_id, topic: p.topic, bytes: Number(p.bytes), reason }, 'outbox row parked: kafka will never take it');
      }
      this.hooks.onParked?.(parked.length, reason.startsWith('larger') ? 'too_large' : 'refused');
    } catch (err) {
      await db.rollbackTransaction().catch(() => undefined);
      throw err;
    }
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

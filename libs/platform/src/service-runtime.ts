import type { DataSource, EntityManager, MixedList, EntitySchema } from 'typeorm';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { Envelope } from '@audx/contracts';
import {
  type BatchConsumerOptions,
  type EventAuthorizer,
  EventProducer,
  OutboxRelay,
  OutboxWriter,
  TopicNamer,
  ConsumerBacklog,
  createKafka,
  ensureTopics,
  saslOf,
} from '@audx/messaging';
import { openSchema, pingSchema, withTimeout } from '@audx/persistence';
import type { BaseConfig } from './config';
import { Metrics } from './metrics';
import { Readiness } from './readiness';

export interface RuntimeOptions {
  service: string;
  config: BaseConfig;
  database: string;
  logger: Logger;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
}

/**
 * What every service stands on: its MySQL schema (migrated), the Kafka client, an idempotent
 * producer, the outbox relay, and how its consumer group runs (served by the Nest transport).
 */
export class ServiceRuntime {
  readonly metrics: Metrics;
  /** How far behind this process's consumer is, per topic (exported as gauges). */
  readonly backlog = new ConsumerBacklog();
  readonly readiness = new Readiness();
  readonly namer: TopicNamer;
  readonly producer: EventProducer;
  readonly relay: OutboxRelay;
  private purgeTimer: NodeJS.Timeout | null = null;
  /** Test hook: called between a consumer's database commit and its offset commit. */
  afterConsumerCommit?: (envelopes: Envelope[]) => void;
  /** Set by the auth module: events of topics outside producers write need a valid token of their org. */
  authorizeEvent?: EventAuthorizer;

  private constructor(
    readonly options: RuntimeOptions,
    readonly dataSource: DataSource,
    readonly kafka: Kafka,
  ) {
    this.metrics = new Metrics(options.service);
    this.namer = new TopicNamer(options.config.KAFKA_NAMESPACE);
    this.producer = new EventProducer(kafka, this.namer, options.service, options.logger);
    // the relay has its own producer: replacing a failed one never cuts another sender's send short
    this.relay = new OutboxRelay(
      dataSource,
      new EventProducer(kafka, this.namer, options.service, options.logger),
      options.logger,
      {},
      { onPublished: (n) => this.metrics.outboxPublished.inc(n), onParked: (n, reason) => this.metrics.outboxParked.inc({ reason }, n) },
    );
    this.registerOutboxGauges();
    this.registerConsumerGauges();
    const admin = kafka.admin({ retry: { retries: 0 } });
    let adminConnected = false;
    this.readiness.logTo(options.logger);
    // /ready as a metric, so that an alert sees a dependency down however the service is probed
    const readiness = this.readiness;
    this.metrics.gauge('audx_ready', 'Whether each dependency /ready checks answers (1) or not (0)', ['check'], async function () {
      for (const [check, state] of Object.entries((await readiness.evaluate()).checks)) this.set({ check }, state === 'ok' ? 1 : 0);
    });
    this.readiness.register('mysql', () => pingSchema(dataSource));
    this.readiness.register('kafka', async () => {
      if (!adminConnected) {
        await withTimeout(admin.connect(), 2000, 'kafka');
        adminConnected = true;
      }
      try {
        await withTimeout(admin.describeCluster(), 2000, 'kafka');
      } catch (err) {
        adminConnected = false;
        await admin.disconnect().catch(() => undefined);
        throw err;
      }
    });
  }

  /** The consumer's backlog per topic, as its last slices saw it. */
  private registerConsumerGauges(): void {
    const backlog = this.backlog;
    this.metrics.gauge('audx_consumer_backlog_messages', 'Messages after the slice being consumed, per topic (as last seen by this process)', ['topic'], async function () {
      for (const [topic, n] of backlog.topics()) this.set({ topic }, n);
    });
    this.metrics.gauge('audx_consumer_lag_seconds', 'How long the next message to consume has waited since it was produced, per topic', ['topic'], async function () {
      for (const topic of backlog.topics().keys()) this.set({ topic }, backlog.lagMs(topic) / 1000);
    });
  }

  /** Outbox depth, the age of its oldest row and the parked rows, read at scrape time. */
  private registerOutboxGauges(): void {
    const ds = this.dataSource;
    const readInto = async (gauge: { set(v: number): void }, sql: string) => {
      try {
        const [r] = await ds.query(sql);
        gauge.set(Number(Object.values(r as object)[0] ?? 0));
      } catch {
        /* MySQL down: /ready says so; keep the last value */
      }
    };
    this.metrics.gauge('audx_outbox_depth', 'Events waiting in the outbox', [], async function () {
      await readInto(this, 'SELECT COUNT(*) AS n FROM outbox');
    });
    this.metrics.gauge('audx_outbox_oldest_age_seconds', 'Age of the oldest event waiting in the outbox (0 when empty)', [], async function () {
      await readInto(this, 'SELECT COALESCE(TIMESTAMPDIFF(MICROSECOND, MIN(created_at), CURRENT_TIMESTAMP(3)) / 1e6, 0) AS age FROM outbox');
    });
    this.metrics.gauge('audx_outbox_parked', 'Outbox rows parked because Kafka will never take them', [], async function () {
      await readInto(this, 'SELECT COUNT(*) AS n FROM outbox_parked');
    });
  }

  get logger(): Logger {
    return this.options.logger;
  }

  /** Opens MySQL (migrations applied) and Kafka (topics ensured), retrying until both answer. */
  static async open(options: RuntimeOptions): Promise<ServiceRuntime> {
    const { config, logger } = options;
    const dataSource = await retry(logger, 'mysql', () =>
      openSchema({ url: config.MYSQL_URL, database: options.database, poolSize: config.MYSQL_POOL_SIZE, entities: options.entities, migrations: options.migrations }),
    );
    const kafka = createKafka(
      {
        brokers: config.KAFKA_BROKERS.split(','),
        clientId: `audx-${options.service}`,
        namespace: config.KAFKA_NAMESPACE,
        partitions: config.KAFKA_PARTITIONS,
        replicationFactor: config.KAFKA_REPLICATION_FACTOR,
        sasl: saslOf(config),
        ssl: config.KAFKA_SSL,
      },
      logger,
    );
    const runtime = new ServiceRuntime(options, dataSource, kafka);
    await retry(logger, 'kafka', async () => {
      const topics = await ensureTopics(kafka, runtime.namer, { partitions: config.KAFKA_PARTITIONS, replicationFactor: config.KAFKA_REPLICATION_FACTOR });
      if (topics === 'not-allowed') logger.info({ principal: config.KAFKA_SASL_USERNAME }, 'this principal may not create topics: the operator provisions them');
      await runtime.producer.connect();
      await runtime.relay.producer.connect();
    });
    runtime.relay.start();
    runtime.purgeTimer = setInterval(() => void runtime.purgeProcessedEvents(), 3600_000);
    runtime.purgeTimer.unref();
    return runtime;
  }

  /**
   * A transaction whose outbox events are published right after it commits. `READ COMMITTED`
   * takes no gap locks on range scans: a long bulk transaction then does not block inserts next to
   * the rows it touches.
   */
  async transaction<R>(work: (manager: EntityManager, outbox: OutboxWriter) => Promise<R>, isolation?: 'READ COMMITTED'): Promise<R> {
    const body = async (manager: EntityManager) => {
      const outbox = new OutboxWriter(manager, this.options.service);
      const value = await work(manager, outbox);
      await outbox.flush();
      return value;
    };
    const result = isolation ? await this.dataSource.transaction(isolation, body) : await this.dataSource.transaction(body);
    this.relay.wake();
    return result;
  }

  /**
   * How this service's consumer group runs, for the Nest transport that serves its
   * `@EventPattern` handlers (`KafkaBatchTransport`).
   */
  consumerOptions(): Omit<BatchConsumerOptions, 'handlers'> {
    return {
      kafka: this.kafka,
      namer: this.namer,
      groupId: `audx-${this.options.service}`,
      dataSource: this.dataSource,
      producer: this.producer,
      producerName: this.options.service,
      logger: this.logger,
      maxRetries: this.options.config.CONSUMER_MAX_RETRIES,
      sessionTimeoutMs: this.options.config.KAFKA_SESSION_TIMEOUT_MS,
      partitionsConcurrently: this.options.config.KAFKA_PARTITIONS_CONCURRENTLY,
      afterCommit: (envelopes) => this.afterConsumerCommit?.(envelopes),
      onOutboxWritten: () => this.relay.wake(),
      onOutcome: (topic, outcome) => this.metrics.consumed.inc({ topic, outcome }),
      authorize: this.authorizeEvent,
      backlog: this.backlog,
    };
  }

  /** Forgets de-duplication ids older than the retention, in small deletes. */
  async purgeProcessedEvents(): Promise<number> {
    let total = 0;
    try {
      for (;;) {
        const r = await this.dataSource.query('DELETE FROM processed_events WHERE processed_at < (CURRENT_TIMESTAMP(3) - INTERVAL ? HOUR) LIMIT 10000', [
          this.options.config.PROCESSED_EVENTS_RETENTION_HOURS,
        ]);
        const n = Number((r as { affectedRows?: number }).affectedRows ?? 0);
        total += n;
        if (n < 10000) return total;
      }
    } catch (err) {
      this.logger.warn({ err: String(err) }, 'processed_events purge failed');
      return total;
    }
  }

  /** Graceful order: stop consuming (in-flight batch commits), drain the outbox, close clients. */
  async close(): Promise<void> {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    await this.relay.stop();
    await this.relay.producer.disconnect().catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
    await this.dataSource.destroy().catch(() => undefined);
  }
}

async function retry<T>(logger: Logger, what: string, fn: () => Promise<T>, attempts = 60): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      logger.warn({ attempt: i, err: err instanceof Error ? err.message : String(err) }, `${what} not reachable yet; retrying`);
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * i)));
    }
  }
}

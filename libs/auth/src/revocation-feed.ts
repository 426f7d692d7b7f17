import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { EnvelopeSchema, TokenRevokedSchema, Topics } from '@audx/contracts';
import type { TopicNamer } from '@audx/messaging';
import type { RevocationList } from './revocations';

export interface RevocationFeedOptions {
  kafka: Kafka;
  namer: TopicNamer;
  service: string;
  list: RevocationList;
  logger: Logger;
  pruneIntervalMs?: number;
  /** No fetch answered for this long (the broker away, the consumer crashed): the list is stale. */
  staleAfterMs?: number;
}

/**
 * Feeds a RevocationList from `ims.token.revoked` in *every* process: each process reads the
 * topic from the beginning in a consumer group of its own (never committed), so that a restarted
 * process rebuilds its list and every replica of a service sees every revocation. The list turns
 * ready once the high watermarks found at start are consumed. The topic's retention must be at
 * least the longest token lifetime (IMS_TOKEN_TTL_SECONDS), or a restart forgets revocations
 * of tokens that are still valid.
 */
export class RevocationFeed {
  private consumer: Consumer | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;
  private readonly pending = new Map<number, bigint>();
  private stopped = true;
  private running: Promise<void> | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private lastFetchAt = 0;
  /** When the current consumer was made: it is not replaced before it has had a whole window to fetch. */
  private consumerSince = 0;
  private restarting = false;

  /** A group of this process only: it never commits, so the broker forgets it once we leave. */
  readonly groupId: string;

  constructor(private readonly o: RevocationFeedOptions) {
    this.groupId = o.namer.group(`audx-${o.service}.revocations.${hostname()}.${process.pid}.${randomBytes(4).toString('hex')}`);
  }

  /**
   * Starts in the background, retrying until the broker answers; `list.ready` tells when it caught
   * up. Fails closed afterwards too: when no fetch has answered for `staleAfterMs`, or the consumer
   * crashed for good, the list turns not ready (tokens are refused, /ready says so) and the feed
   * reconnects and replays the topic until it has caught up again.
   */
  start(): void {
    this.stopped = false;
    this.lastFetchAt = Date.now();
    this.running = this.connectWithRetries();
    const staleAfterMs = this.o.staleAfterMs ?? 15_000;
    // staleness is time since the last answered fetch, whatever the consumer is doing meanwhile
    // (crashed and reconnecting, or waiting on a broker that is away)
    this.watchdog = setInterval(() => {
      const silentFor = Date.now() - this.lastFetchAt;
      if (silentFor <= staleAfterMs) return;
      const reason = `no fetch answered for ${Math.round(silentFor / 1000)} s`;
      if (this.o.list.ready) {
        this.o.logger.warn({ reason }, 'revocation feed lost: tokens are refused until it has caught up again');
        this.o.list.markStale();
      }
      // a consumer gets its own window to join and fetch before it is replaced in turn
      if (this.consumer && !this.restarting && Date.now() - this.consumerSince > staleAfterMs) void this.restart(reason, true);
    }, Math.min(2000, staleAfterMs));
    this.watchdog.unref();
  }

  /**
   * A fresh consumer replays the topic. `stale`: the list is refused until it has caught up. A
   * crashed consumer is replaced without that: the list it built stays good for `staleAfterMs`
   * after its last fetch, which the watchdog enforces (a broker going away crashes a SASL client
   * at once, and must not fail every request before the window has passed).
   */
  private async restart(reason: string, stale: boolean): Promise<void> {
    if (this.stopped || this.restarting) return;
    this.restarting = true;
    try {
      if (stale) {
        if (this.o.list.ready) this.o.logger.warn({ reason }, 'revocation feed lost: tokens are refused until it has caught up again');
        this.o.list.markStale();
      } else {
        this.o.logger.warn({ reason }, 'revocation feed consumer replaced');
      }
      const consumer = this.consumer;
      this.consumer = null;
      await consumer?.disconnect().catch(() => undefined);
      await this.running;
      this.running = this.connectWithRetries();
      await this.running;
    } finally {
      this.restarting = false;
    }
  }

  private async connectWithRetries(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.connect();
        return;
      } catch (err) {
        await this.consumer?.disconnect().catch(() => undefined);
        this.consumer = null;
        this.o.logger.warn({ attempt, err: err instanceof Error ? err.message : String(err) }, 'revocation feed not started yet; retrying');
        await new Promise((r) => setTimeout(r, Math.min(5000, 200 * attempt)));
      }
    }
  }

  private async connect(): Promise<void> {
    const topic = this.o.namer.physical(Topics.imsTokenRevoked);
    const admin = this.o.kafka.admin();
    await admin.connect();
    try {
      this.pending.clear();
      for (const p of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(p.high) > BigInt(p.low)) this.pending.set(p.partition, BigInt(p.high));
      }
    } finally {
      await admin.disconnect();
    }
    if (this.pending.size === 0) this.o.list.markReady();
    const consumer = this.o.kafka.consumer({ groupId: this.groupId, sessionTimeout: 10000, heartbeatInterval: 3000, allowAutoTopicCreation: false, maxWaitTimeInMs: 1000 });
    this.consumer = consumer;
    this.consumerSince = Date.now();
    consumer.on(consumer.events.FETCH, () => (this.lastFetchAt = Date.now()));
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) void this.restart(`consumer crashed: ${String(e.payload.error)}`, false);
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) this.apply(message);
        const target = this.pending.get(batch.partition);
        if (target !== undefined && BigInt(batch.lastOffset()) + 1n >= target) {
          this.pending.delete(batch.partition);
          if (this.pending.size === 0 && !this.o.list.ready) {
            this.o.list.markReady();
            this.o.logger.info({ revocations: this.o.list.size }, 'revocation list caught up');
          }
        }
      },
    });
    this.pruneTimer ??= setInterval(() => this.o.list.prune(), this.o.pruneIntervalMs ?? 60_000);
    this.pruneTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    await this.running;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pruneTimer = null;
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.disconnect().catch((err) => this.o.logger.warn({ err: String(err) }, 'revocation feed stop failed'));
  }

  private apply(message: KafkaMessage): void {
    try {
      const envelope = EnvelopeSchema.parse(JSON.parse(message.value?.toString('utf8') ?? ''));
      const payload = TokenRevokedSchema.parse(envelope.payload);
      this.o.list.add(payload.jti, payload.exp);
    } catch {
      // the group consumers of the topic dead-letter it; here it can only be skipped
      this.o.logger.warn({ offset: message.offset }, 'unreadable revocation message skipped');
    }
  }
}

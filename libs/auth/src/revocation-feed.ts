import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { EnvelopeSchema, TokenRevokedSchema, Topics } from '@audx/contracts';
import type { TopicNamer } from '@audx/messaging';
import { withTimeout } from '@audx/persistence';
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
  /** One connection attempt may take this long before it is abandoned and retried. */
  connectTimeoutMs?: number;
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
  /**
   * Every (re)connection is a generation. A newer one supersedes an older one wherever it is: a
   * connection that hangs (a broker half up, a disconnect that never answers) is left behind
   * instead of blocking the feed's recovery for good.
   */
  private generation = 0;
  /** When the current generation began: it is not replaced before it has had a whole window. */
  private generationSince = 0;
  /** The current generation is still connecting (its own attempts are bounded and retried). */
  private connecting = false;
  /** When the current generation's consumer started running. */
  private connectedAt = 0;
  /** Each connection attempt's number: an attempt that timed out must not go on to set anything. */
  private attempts = 0;
  /**
   * The generation that has read up to the high watermarks found at its start. Once caught up, any
   * fetch it answers later makes the list good again: the watchdog may have marked it stale while
   * that consumer was still joining, and with nothing left to read no batch would ever say so.
   */
  private caughtUpGeneration = 0;

  /** The groups of this process start with it; they never commit, so the broker forgets them once we leave. */
  readonly groupPrefix: string;

  constructor(private readonly o: RevocationFeedOptions) {
    this.groupPrefix = o.namer.group(`audx-${o.service}.revocations.${hostname()}.${process.pid}.${randomBytes(4).toString('hex')}`);
  }

  private get staleAfterMs(): number {
    return this.o.staleAfterMs ?? 15_000;
  }

  /** One connection attempt (admin offsets, consumer join) may take this long before it is abandoned. */
  private get connectTimeoutMs(): number {
    return this.o.connectTimeoutMs ?? 30_000;
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
    this.replace(null, false);
    // staleness is time since the last answered fetch, whatever the consumer is doing meanwhile
    // (crashed and reconnecting, or waiting on a broker that is away)
    this.watchdog = setInterval(() => this.check(), Math.min(2000, this.staleAfterMs));
    this.watchdog.unref();
  }

  private check(): void {
    const now = Date.now();
    const silentFor = now - this.lastFetchAt;
    if (silentFor <= this.staleAfterMs) return;
    const reason = `no fetch answered for ${Math.round(silentFor / 1000)} s`;
    if (this.o.list.ready) {
      this.o.logger.warn({ reason }, 'revocation feed lost: tokens are refused until it has caught up again');
      this.o.list.markStale();
    }
    // a connecting generation retries by itself, each attempt bounded (this is only the backstop
    // for one that hangs regardless); a connected one gets its own window to fetch before it is
    // replaced in turn: a kafkajs consumer that lost its broker may retry for minutes without
    // ever fetching again
    const hung = this.connecting && now - this.generationSince > this.staleAfterMs + 2 * this.connectTimeoutMs;
    if (hung || (!this.connecting && now - this.connectedAt > this.staleAfterMs)) this.replace(reason, true);
  }

  /**
   * Starts a new generation: a fresh consumer replays the topic. `stale`: the list is refused
   * until it has caught up. A crashed consumer is replaced without that: the list it built stays
   * good for `staleAfterMs` after its last fetch, which the watchdog enforces (a broker going away
   * crashes a SASL client at once, and must not fail every request before the window has passed).
   */
  private replace(reason: string | null, stale: boolean): void {
    if (this.stopped) return;
    const generation = ++this.generation;
    this.generationSince = Date.now();
    this.connecting = true;
    if (reason !== null) {
      if (stale) this.o.list.markStale();
      this.o.logger.warn({ reason, generation }, stale ? 'revocation feed consumer replaced; tokens are refused until it has caught up again' : 'revocation feed consumer replaced');
    }
    const previous = this.consumer;
    this.consumer = null;
    this.running = (async () => {
      if (previous) await this.release(previous);
      await this.connectWithRetries(generation);
    })();
  }

  private isCurrent(generation: number): boolean {
    return !this.stopped && generation === this.generation;
  }

  /** Disconnects a consumer that is no longer wanted, without waiting on it for ever. */
  private async release(consumer: Consumer): Promise<void> {
    await withTimeout(consumer.disconnect(), 5000, 'revocation feed consumer disconnect').catch(() => undefined);
  }

  private async connectWithRetries(generation: number): Promise<void> {
    for (let attempt = 1; this.isCurrent(generation); attempt++) {
      try {
        await withTimeout(this.connect(generation, ++this.attempts), this.connectTimeoutMs, 'revocation feed connect');
        if (this.isCurrent(generation)) {
          this.connecting = false;
          this.connectedAt = Date.now();
        }
        return;
      } catch (err) {
        if (this.isCurrent(generation) && this.consumer) {
          const failed = this.consumer;
          this.consumer = null;
          await this.release(failed);
        }
        if (!this.isCurrent(generation)) return;
        this.o.logger.warn({ attempt, generation, err: err instanceof Error ? err.message : String(err) }, 'revocation feed not started yet; retrying');
        await new Promise((r) => setTimeout(r, Math.min(5000, 200 * attempt)));
      }
    }
  }

  private async connect(generation: number, attempt: number): Promise<void> {
    const current = () => this.isCurrent(generation) && attempt === this.attempts;
    const topic = this.o.namer.physical(Topics.imsTokenRevoked);
    const admin = this.o.kafka.admin();
    const highs = new Map<number, bigint>();
    try {
      await admin.connect();
      for (const p of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(p.high) > BigInt(p.low)) highs.set(p.partition, BigInt(p.high));
      }
    } finally {
      void withTimeout(admin.disconnect(), 5000, 'revocation feed admin disconnect').catch(() => undefined);
    }
    if (!current()) return;
    this.pending.clear();
    for (const [partition, high] of highs) this.pending.set(partition, high);
    if (this.pending.size === 0) this.caughtUp(generation, 'revocation list caught up (nothing to read)');
    // a group per attempt: a consumer that could not leave (the broker was away) never holds a
    // later one's join in a rebalance until its session expires
    const consumer = this.o.kafka.consumer({ groupId: `${this.groupPrefix}.${attempt}`, sessionTimeout: 10000, heartbeatInterval: 3000, allowAutoTopicCreation: false, maxWaitTimeInMs: 1000 });
    this.consumer = consumer;
    consumer.on(consumer.events.FETCH, () => {
      if (this.consumer !== consumer) return;
      this.lastFetchAt = Date.now();
      if (this.caughtUpGeneration === generation && !this.o.list.ready) this.caughtUp(generation, 'revocation feed answering again');
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart && this.consumer === consumer) this.replace(`consumer crashed: ${String(e.payload.error)}`, false);
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    if (this.consumer === consumer && !current()) this.consumer = null;
    if (this.consumer === consumer) await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        // a superseded consumer's batches count for nothing: its targets were another generation's
        if (this.consumer !== consumer) return;
        for (const message of batch.messages) this.apply(message);
        const target = this.pending.get(batch.partition);
        if (target !== undefined && BigInt(batch.lastOffset()) + 1n >= target) {
          this.pending.delete(batch.partition);
          if (this.pending.size === 0) this.caughtUp(generation, 'revocation list caught up');
        }
      },
    });
    if (this.consumer !== consumer) {
      // superseded (or timed out) while it was joining: it must not linger in the group
      await this.release(consumer);
      return;
    }
    this.pruneTimer ??= setInterval(() => this.o.list.prune(), this.o.pruneIntervalMs ?? 60_000);
    this.pruneTimer.unref();
  }

  /** The generation has read what there was to read; the broker has just answered it. */
  private caughtUp(generation: number, message: string): void {
    if (!this.isCurrent(generation)) return;
    this.caughtUpGeneration = generation;
    this.lastFetchAt = Date.now();
    if (this.o.list.ready) return;
    this.o.list.markReady();
    this.o.logger.info({ revocations: this.o.list.size, generation }, message);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    // a connection attempt is bounded, but a drain must not wait for it
    await withTimeout(this.running ?? Promise.resolve(), 5000, 'revocation feed connect').catch(() => undefined);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pruneTimer = null;
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.disconnect().catch((err: unknown) => this.o.logger.warn({ err: String(err) }, 'revocation feed stop failed'));
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

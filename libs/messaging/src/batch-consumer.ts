import { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { Envelope, EnvelopeSchema, PayloadOf, TopicName, contractOf, digestUuid, dlqOf, isCompacted, outsideWriteScopeOf, replicatedTombstone } from '@audx/contracts';
import { AuditEntry, recordAudit } from './audit-log';
import { DeadLetter, deadLetterOf, recordDeadLetters } from './dead-letters';
import type { EventProducer, RawRecord } from './event-producer';
import type { TopicNamer } from './kafka-client';
import { OutboxWriter } from './outbox';
import { isTransientError } from './transient-error';
import type { ConsumerBacklog } from './consumer-backlog';

export interface MessageContext<T extends TopicName> {
  manager: EntityManager;
  envelope: Envelope<PayloadOf<T>>;
  outbox: OutboxWriter;
}

export interface BatchContext<T extends TopicName> {
  manager: EntityManager;
  /** The slice's events not processed before, in log order. */
  envelopes: Envelope<PayloadOf<T>>[];
  outbox: OutboxWriter;
}

export interface TopicHandler<T extends TopicName = TopicName> {
  topic: T;
  handle(ctx: MessageContext<T>): Promise<void>;
  /** When set, a slice's new events are handed over at once (set-based writes for high-rate topics). */
  handleMany?(ctx: BatchContext<T>): Promise<void>;
}

/** Ties a handler to its topic's payload type. */
export function handlerFor<T extends TopicName>(topic: T, handle: (ctx: MessageContext<T>) => Promise<void>): TopicHandler<T> {
  return { topic, handle };
}

/** A handler that writes a whole slice of events in a few statements (one event is a slice of one). */
export function batchHandlerFor<T extends TopicName>(topic: T, handleMany: (ctx: BatchContext<T>) => Promise<void>): TopicHandler<T> {
  return { topic, handleMany, handle: ({ manager, envelope, outbox }) => handleMany({ manager, envelopes: [envelope], outbox }) };
}

export interface BatchConsumerOptions {
  kafka: Kafka;
  namer: TopicNamer;
  groupId: string;
  dataSource: DataSource;
  producer: EventProducer;
  producerName: string;
  logger: Logger;
  handlers: TopicHandler[];
  maxRetries: number;
  /** How long the group waits for a silent (killed) member before rebalancing its partitions. */
  sessionTimeoutMs?: number;
  /** Partitions handled at once (kafkajs `partitionsConsumedConcurrently`); order holds within each. */
  partitionsConcurrently?: number;
  /** Messages per database transaction on the fast path. */
  sliceSize?: number;
  /** Called after the database transaction commits and before the offsets are committed. */
  afterCommit?: (envelopes: Envelope[]) => void;
  /** Called after a transaction that may have written outbox rows. */
  onOutboxWritten?: () => void;
  onOutcome?: (topic: string, outcome: 'processed' | 'duplicate' | 'dead-lettered') => void;
  /** Told, before each slice, how many messages of its partition follow it. */
  backlog?: ConsumerBacklog;
  /** Called each time this consumer (re)joins its group: a rebalance shows as a second call. */
  onGroupJoin?: () => void;
  /** Checks the events of topics outside producers write; without it they are taken as they come. */
  authorize?: EventAuthorizer;
}

/**
 * Whether an event of a topic outside producers write may be applied: its Kafka headers must
 * carry an access token of the envelope's org with the topic's scope. `unavailable`: the answer
 * cannot be known now (keys or revocations unreachable), so nothing is applied or dead-lettered.
 */
export type EventAuthorizer = (topic: TopicName, scope: string, envelope: Envelope, headers: KafkaMessage['headers']) => Promise<{ ok: true } | { ok: false; reason: string; unavailable?: boolean }>;

type Parsed = { message: KafkaMessage; envelope: Envelope } | { message: KafkaMessage; error: string };

/**
 * kafkajs `eachBatch` consumer with exactly-once effects on MySQL: each message's event id is
 * recorded in `processed_events` in the same transaction as the handler's writes, offsets are
 * committed only after that transaction, a failing message is retried a bounded number of times
 * and then written with its error to `<topic>.dlq`, and the partition moves on.
 */
export class BatchConsumer {
  private consumer: Consumer;
  private readonly handlers = new Map<string, TopicHandler>();
  private running = false;
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: BatchConsumerOptions) {
    for (const h of o.handlers) this.handlers.set(o.namer.physical(h.topic), h);
    this.consumer = this.createConsumer();
  }

  private createConsumer(): Consumer {
    const consumer = this.o.kafka.consumer({
      groupId: this.o.namer.group(this.o.groupId),
      sessionTimeout: this.o.sessionTimeoutMs ?? 10000,
      heartbeatInterval: 3000,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: 4 * 1024 * 1024,
    });
    // kafkajs restarts itself after a retriable crash only; after any other one the consumer
    // would stay down while the service looks healthy, so it is rebuilt here.
    consumer.on(consumer.events.GROUP_JOIN, () => this.o.onGroupJoin?.());
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.o.logger.error({ groupId: this.groupId, err: String(payload.error), restartedByKafkajs: payload.restart }, 'consumer crashed');
      if (!payload.restart) this.scheduleRestart();
    });
    return consumer;
  }

  private scheduleRestart(delayMs = 2000): void {
    if (!this.running || this.restartTimer) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.running) return;
      const crashed = this.consumer;
      this.consumer = this.createConsumer();
      void crashed
        .disconnect()
        .catch(() => undefined)
        .then(() => this.run())
        .then(
          () => this.o.logger.info({ groupId: this.groupId }, 'consumer restarted after a crash'),
          (err: unknown) => {
            this.o.logger.error({ groupId: this.groupId, err: String(err) }, 'consumer restart failed; trying again');
            this.scheduleRestart(Math.min(30_000, delayMs * 2));
          },
        );
    }, delayMs);
  }

  get groupId(): string {
    return this.o.namer.group(this.o.groupId);
  }

  async start(): Promise<void> {
    this.running = true;
    await this.run();
  }

  private async run(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.handlers.keys()], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.o.partitionsConcurrently ?? 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /** Stops fetching, lets the batch in flight finish and commit, then leaves the group. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    await this.consumer.disconnect();
  }

  private async onBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    const handler = this.handlers.get(batch.topic);
    if (!handler) return;
    const size = this.o.sliceSize ?? 200;
    // kafkajs heartbeats only when asked: while a slow handler or its retries run, ask every
    // second (it sends at most one per heartbeatInterval), so the group never thinks us dead
    const beating = setInterval(() => void heartbeat().catch(() => undefined), 1000);
    try {
      for (let i = 0; i < batch.messages.length; i += size) {
        if (!isRunning() || isStale()) return;
        const slice = batch.messages.slice(i, i + size);
        this.o.backlog?.report(handler.topic, batch.partition, Number(BigInt(batch.highWatermark) - BigInt(slice[slice.length - 1].offset) - 1n), Date.now() - Number(slice[0].timestamp));
        await this.processSlice(handler, batch.partition, await this.authorized(handler.topic, slice.map((m) => this.parse(handler.topic, batch.partition, m))));
        const last = slice[slice.length - 1];
        // resolve moves this process's fetch position; commit makes it survive a restart
        resolveOffset(last.offset);
        await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
        await heartbeat();
      }
    } finally {
      clearInterval(beating);
    }
  }

  private parse(topic: TopicName, partition: number, message: KafkaMessage): Parsed {
    if (message.value === null && isCompacted(topic)) return tombstone(topic, partition, message);
    if (!message.value) return { message, error: 'empty message value' };
    let raw: unknown;
    try {
      raw = JSON.parse(message.value.toString('utf8'));
    } catch {
      return { message, error: 'value is not JSON' };
    }
    const env = EnvelopeSchema.safeParse(raw);
    if (!env.success) return { message, error: `invalid envelope: ${describe(env.error.issues)}` };
    const payload = contractOf(topic).schema.safeParse(env.data.payload);
    if (!payload.success) return { message, error: `invalid ${topic} payload: ${describe(payload.error.issues)}` };
    return { message, envelope: { ...env.data, payload: payload.data } };
  }

  /** Events of an outside topic without a valid token of their org and scope become errors (dead letters, nothing written). */
  private async authorized(topic: TopicName, parsed: Parsed[]): Promise<Parsed[]> {
    const scope = outsideWriteScopeOf(topic);
    if (!scope || !this.o.authorize) return parsed;
    const out: Parsed[] = [];
    // a producer sends many events with one token: each (token, org) is verified once per slice
    const verdicts = new Map<string, ReturnType<EventAuthorizer>>();
    for (const p of parsed) {
      if ('error' in p) {
        out.push(p);
        continue;
      }
      const key = `${String(p.message.headers?.authorization ?? '')}\u0000${p.envelope.orgId}`;
      let pending = verdicts.get(key);
      if (!pending) verdicts.set(key, (pending = this.o.authorize(topic, scope, p.envelope, p.message.headers)));
      const verdict = await pending;
      // not the event's fault: fail the batch, commit nothing, and let it be fetched again
      if (!verdict.ok && verdict.unavailable) throw new Error(`cannot authorize ${topic} events now: ${verdict.reason}`);
      out.push(verdict.ok ? p : { message: p.message, error: `unauthorized: ${verdict.reason}` });
    }
    return out;
  }

  private async processSlice(handler: TopicHandler, partition: number, parsed: Parsed[]): Promise<void> {
    const dead: { record: RawRecord; letter: DeadLetter }[] = [];
    const valid: Envelope[] = [];
    for (const p of parsed) {
      if ('error' in p) dead.push(this.deadLetter(handler.topic, partition, p.message, p.error));
      else valid.push(p.envelope);
    }
    if (valid.length > 0) {
      try {
        await this.transact(handler, valid);
      } catch (err) {
        this.o.logger.warn({ topic: handler.topic, err: String(err) }, 'batch transaction failed; retrying message by message');
        for (const p of parsed) {
          if ('error' in p) continue;
          const error = await this.withRetries(handler, p.envelope);
          if (error) dead.push(this.deadLetter(handler.topic, partition, p.message, error));
        }
      }
    }
    if (dead.length > 0) {
      await this.o.producer.sendRaw(dead.map((d) => d.record));
      // indexed after the DLQ took them, before the offsets are committed: a crash in between
      // dead-letters them again, and the index keeps one row each
      await recordDeadLetters(this.o.dataSource, dead.map((d) => d.letter));
      for (const _ of dead) this.o.onOutcome?.(handler.topic, 'dead-lettered');
      this.o.logger.warn({ topic: handler.topic, count: dead.length }, 'messages written to the dead-letter topic');
    }
  }

  private async withRetries(handler: TopicHandler, envelope: Envelope): Promise<string | null> {
    let lastError = '';
    for (let attempt = 0; attempt <= this.o.maxRetries; attempt++) {
      try {
        await this.transact(handler, [envelope]);
        return null;
      } catch (err) {
        // the database being away is not the message's fault: stop here, commit nothing, and let
        // the batch be fetched again (its processed events dedupe) instead of dead-lettering it
        if (attempt === this.o.maxRetries && isTransientError(err)) throw err;
        lastError = err instanceof Error ? err.message : String(err);
        if (attempt < this.o.maxRetries) await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
      }
    }
    return lastError || 'handler failed';
  }

  private async transact(handler: TopicHandler, envelopes: Envelope[]): Promise<void> {
    let fresh: Envelope[] = [];
    await this.o.dataSource.transaction(async (manager) => {
      const outbox = new OutboxWriter(manager, this.o.producerName);
      fresh = envelopes.length === 1 ? await this.claimOne(manager, envelopes[0]) : await this.claimMany(manager, envelopes);
      if (handler.handleMany) {
        if (fresh.length > 0) await handler.handleMany({ manager, envelopes: fresh as Envelope<never>[], outbox });
      } else {
        for (const envelope of fresh) await handler.handle({ manager, envelope: envelope as Envelope<never>, outbox });
      }
      if (outsideWriteScopeOf(handler.topic)) await recordAudit(manager, auditOfOutsideEvents(handler.topic, fresh));
      await outbox.flush();
    });
    this.o.onOutboxWritten?.();
    this.o.afterCommit?.(envelopes);
    for (let i = 0; i < fresh.length; i++) this.o.onOutcome?.(handler.topic, 'processed');
    for (let i = fresh.length; i < envelopes.length; i++) this.o.onOutcome?.(handler.topic, 'duplicate');
  }

  /** Records one event as processed; answers it, or nothing when it was processed before. */
  private async claimOne(manager: EntityManager, envelope: Envelope): Promise<Envelope[]> {
    const claim = await manager.query('INSERT IGNORE INTO processed_events (consumer, event_id) VALUES (?, ?)', [this.o.groupId, claimKey(envelope)]);
    return affectedRows(claim) === 0 ? [] : [envelope];
  }

  /**
   * Records a slice's events as processed in one statement when none was processed before (the
   * common case), not one statement per event; answers those not processed before (the first
   * occurrence of an id in the slice). When some were, the insert is undone and each event is
   * claimed on its own. No plain SELECT here: it would fix the transaction's snapshot before the
   * handler takes its locks, and the handler's later reads would miss what committed meanwhile.
   */
  private async claimMany(manager: EntityManager, envelopes: Envelope[]): Promise<Envelope[]> {
    const unique = new Map<string, Envelope>();
    for (const e of envelopes) if (!unique.has(claimKey(e))) unique.set(claimKey(e), e);
    const candidates = [...unique.values()];
    await manager.query('SAVEPOINT audx_claim');
    const claimed = await manager.query(
      `INSERT IGNORE INTO processed_events (consumer, event_id) VALUES ${candidates.map(() => '(?, ?)').join(',')}`,
      candidates.flatMap((e) => [this.o.groupId, claimKey(e)]),
    );
    if (affectedRows(claimed) === candidates.length) return candidates;
    await manager.query('ROLLBACK TO SAVEPOINT audx_claim');
    const fresh: Envelope[] = [];
    for (const e of candidates) fresh.push(...(await this.claimOne(manager, e)));
    return fresh;
  }

  private deadLetter(topic: TopicName, partition: number, message: KafkaMessage, error: string): { record: RawRecord; letter: DeadLetter } {
    return { record: this.dlqRecord(topic, partition, message, error), letter: deadLetterOf(this.o.groupId, topic, partition, message, error) };
  }

  private dlqRecord(topic: TopicName, partition: number, message: KafkaMessage, error: string): RawRecord {
    return {
      topic: dlqOf(topic),
      key: message.key?.toString('utf8') ?? '',
      value: message.value?.toString('utf8') ?? '',
      headers: {
        'x-error': error.slice(0, 2000),
        'x-original-topic': topic,
        'x-original-partition': String(partition),
        'x-original-offset': message.offset,
        'x-consumer': this.o.groupId,
      },
    };
  }
}

/**
 * A null value on a compacted topic deletes the record of its key. It carries no envelope, so it
 * gets one: its event id comes from its place in the log, so a redelivery is still a duplicate.
 */
function tombstone(topic: TopicName, partition: number, message: KafkaMessage): Parsed {
  const deletion = replicatedTombstone(message.key?.toString('utf8') ?? null);
  if ('error' in deletion) return { message, error: deletion.error };
  const envelope: Envelope = {
    id: digestUuid(`tombstone/${topic}/${partition}/${message.offset}`, '8'),
    type: contractOf(topic).type,
    version: 1,
    orgId: deletion.orgId,
    occurredAt: new Date(Number(message.timestamp)).toISOString(),
    correlationId: null,
    producer: 'kafka-tombstone',
    payload: deletion.payload,
  };
  return { message, envelope };
}

/** What an event is de-duplicated by: its id within its org (two orgs may reuse an id). */
function claimKey(e: Envelope): string {
  return digestUuid(`${e.orgId}/${e.id}`, '8');
}

function describe(issues: { path: (string | number)[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

function affectedRows(result: unknown): number {
  if (result && typeof result === 'object' && 'affectedRows' in result) return Number((result as { affectedRows: number }).affectedRows);
  return 0;
}

/**
 * What outside producers changed, one audit entry per org and producer in a slice (not one per
 * event: a stream of thousands of events a second must not double its writes), with the count and
 * the first and last event ids.
 */
export function auditOfOutsideEvents(topic: string, envelopes: readonly Envelope[]): AuditEntry[] {
  const groups = new Map<string, Envelope[]>();
  for (const e of envelopes) {
    const key = `${e.orgId}\u0000${e.producer}`;
    const group = groups.get(key);
    if (group) group.push(e);
    else groups.set(key, [e]);
  }
  return [...groups.values()].map((g) => ({
    orgId: g[0].orgId,
    actor: g[0].producer,
    action: `event ${topic}`,
    target: topic,
    detail: { events: g.length, firstEventId: g[0].id, lastEventId: g[g.length - 1].id },
  }));
}

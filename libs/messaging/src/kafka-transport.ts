import { BaseRpcContext, CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { Envelope, PayloadOf, TopicName, TopicContracts } from '@audx/contracts';
import { BatchConsumer, BatchConsumerOptions, BatchContext, MessageContext, TopicHandler, batchHandlerFor, handlerFor } from './batch-consumer';
import type { OutboxWriter } from './outbox';
import type { EntityManager } from 'typeorm';

/** `@EventPattern(topic, BATCH)`: the handler takes a whole slice of new events (set-based writes). */
export const BATCH = { batch: true } as const;

/**
 * What a handler gets through `@Ctx()`: the transaction it must write in (the event id is claimed
 * there, so its writes and the claim commit together), the outbox of that transaction, and the
 * envelopes with their org and event id. One event, or a slice for a `BATCH` handler.
 */
export class ConsumeContext<T extends TopicName = TopicName> extends BaseRpcContext<[EntityManager, OutboxWriter, Envelope<PayloadOf<T>>[]]> {
  get manager(): EntityManager {
    return this.args[0];
  }

  get outbox(): OutboxWriter {
    return this.args[1];
  }

  /** The envelopes handled: one, or the slice of a `BATCH` handler, in log order. */
  get envelopes(): Envelope<PayloadOf<T>>[] {
    return this.args[2];
  }

  /** The envelope of a single-event handler. */
  get envelope(): Envelope<PayloadOf<T>> {
    return this.args[2][0];
  }

  get orgId(): string {
    return this.args[2][0].orgId;
  }
}

/**
 * The Nest transport for Kafka topics: controllers declare handlers with `@EventPattern(topic)`,
 * and this strategy serves them with `BatchConsumer` (batches, de-duplication in the handler's
 * transaction, retries that keep heartbeating, a DLQ with the reason, a drain on close). Why not
 * `ServerKafka`: it hands a handler one message with no transaction, commits offsets on its own
 * schedule and has no DLQ, so the exactly-once guarantees would have to be rebuilt around it.
 */
export class KafkaBatchTransport extends Server implements CustomTransportStrategy {
  private consumer: BatchConsumer | null = null;

  constructor(private readonly options: Omit<BatchConsumerOptions, 'handlers'>) {
    super();
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      const handlers = [...this.messageHandlers.entries()].map(([pattern, handler]) => this.topicHandler(pattern, handler));
      if (handlers.length > 0) {
        this.consumer = new BatchConsumer({ ...this.options, handlers });
        await this.consumer.start();
      }
      callback();
    } catch (err) {
      callback(err);
    }
  }

  /** Stops fetching, lets the batch in flight commit, and leaves the group. */
  async close(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = null;
  }

  on(): never {
    throw new Error('KafkaBatchTransport emits no events');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  private topicHandler(pattern: string, handler: MessageHandler): TopicHandler {
    if (!(pattern in TopicContracts)) throw new Error(`@EventPattern('${pattern}') is not a topic of libs/contracts`);
    const topic = pattern as TopicName;
    const run = async (data: unknown, ctx: ConsumeContext) => {
      // a failure reaches the consumer as thrown (retry, DLQ, or "database away"), not as a reply
      await lastValueFrom(this.transformToObservable(await handler(data, ctx)), { defaultValue: undefined });
    };
    if ((handler.extras as { batch?: boolean } | undefined)?.batch) {
      return batchHandlerFor(topic, ({ manager, outbox, envelopes }: BatchContext<TopicName>) => run(envelopes.map((e) => e.payload), new ConsumeContext([manager, outbox, envelopes])));
    }
    return handlerFor(topic, ({ manager, outbox, envelope }: MessageContext<TopicName>) => run(envelope.payload, new ConsumeContext([manager, outbox, [envelope]])));
  }
}

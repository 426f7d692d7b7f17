import { CompressionTypes, Kafka, Partitioners, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { CompactedTopic, Envelope, PayloadOf, TopicName } from '@audx/contracts';
import { OutgoingMessage, PublishOptions, buildMessage } from './envelope-factory';
import type { TopicNamer } from './kafka-client';
import { splitByBytes } from './message-limits';

export interface RawRecord {
  topic: string;
  key: string;
  value: string;
  headers?: Record<string, string>;
}

/**
 * Idempotent producer (acks from all in-sync replicas); a topic only takes its own payload type.
 * Every send is cut into record batches that fit a broker left at its default message size, and a
 * failed send replaces the kafkajs producer: after a failed batch an idempotent producer can stay
 * wedged on "out of order sequence number" forever, and a fresh one (new producer id) is not.
 */
export class EventProducer {
  private producer: Producer;
  private connected = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly namer: TopicNamer,
    private readonly producerName: string,
    private readonly logger?: Logger,
  ) {
    this.producer = this.create();
  }

  private create(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await this.producer.connect();
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect();
  }

  /** Drops the producer that failed (if no one replaced it yet) for a new one, connected on next use. */
  private async replace(failed: Producer, err: unknown): Promise<void> {
    if (this.producer !== failed) return;
    this.producer = this.create();
    const wasConnected = this.connected;
    this.connected = false;
    this.logger?.warn({ producer: this.producerName, err: err instanceof Error ? err.message : String(err) }, 'kafka producer replaced after a failed send');
    if (wasConnected) await failed.disconnect().catch(() => undefined);
  }

  async publish<T extends TopicName>(topic: T, orgId: string, payload: PayloadOf<T>, options?: PublishOptions): Promise<Envelope> {
    const message = buildMessage(this.producerName, topic, orgId, payload, options);
    await this.sendMessages([message]);
    return message.envelope;
  }

  /** Deletes `<orgId>/<name>` from a compacted topic: a null value, which compaction then drops. */
  async tombstone(topic: CompactedTopic, orgId: string, name: string): Promise<void> {
    await this.sendGroup([{ topic, key: `${orgId}/${name}`, value: null }]);
  }

  async sendMessages(messages: OutgoingMessage[]): Promise<void> {
    await this.sendRaw(messages.map((m) => ({ topic: m.topic, key: m.key, value: JSON.stringify(m.envelope), ...(m.headers ? { headers: m.headers } : {}) })));
  }

  /**
   * Sends already-serialized records (outbox relay, dead letters); topic names are logical. Sends
   * in order, in groups that fit the send budget: a failure leaves a prefix of the records sent.
   */
  async sendRaw(records: RawRecord[]): Promise<void> {
    for (const group of splitByBytes(records)) await this.sendGroup(group);
  }

  private async sendGroup(records: (Omit<RawRecord, 'value'> & { value: string | null })[]): Promise<void> {
    if (records.length === 0) return;
    await this.connect();
    const byTopic = new Map<string, typeof records>();
    for (const r of records) {
      const list = byTopic.get(r.topic);
      if (list) list.push(r);
      else byTopic.set(r.topic, [r]);
    }
    const producer = this.producer;
    try {
      await producer.sendBatch({
        acks: -1,
        compression: CompressionTypes.None,
        topicMessages: [...byTopic.entries()].map(([topic, rs]) => ({
          topic: this.namer.physical(topic),
          messages: rs.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
        })),
      });
    } catch (err) {
      await this.replace(producer, err);
      throw err;
    }
  }
}

import { CompressionTypes, Kafka, Partitioners, Producer } from 'kafkajs';
import { CompactedTopic, Envelope, PayloadOf, TopicName } from '@audx/contracts';
import { OutgoingMessage, PublishOptions, buildMessage } from './envelope-factory';
import type { TopicNamer } from './kafka-client';

export interface RawRecord {
  topic: string;
  key: string;
  value: string;
  headers?: Record<string, string>;
}

/** Idempotent producer (acks from all in-sync replicas); a topic only takes its own payload type. */
export class EventProducer {
  private readonly producer: Producer;
  private connected = false;

  constructor(
    kafka: Kafka,
    private readonly namer: TopicNamer,
    private readonly producerName: string,
  ) {
    this.producer = kafka.producer({
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

  async publish<T extends TopicName>(topic: T, orgId: string, payload: PayloadOf<T>, options?: PublishOptions): Promise<Envelope> {
    const message = buildMessage(this.producerName, topic, orgId, payload, options);
    await this.sendMessages([message]);
    return message.envelope;
  }

  /** Deletes `<orgId>/<name>` from a compacted topic: a null value, which compaction then drops. */
  async tombstone(topic: CompactedTopic, orgId: string, name: string): Promise<void> {
    await this.connect();
    await this.producer.send({ topic: this.namer.physical(topic), acks: -1, messages: [{ key: `${orgId}/${name}`, value: null }] });
  }

  async sendMessages(messages: OutgoingMessage[]): Promise<void> {
    await this.sendRaw(messages.map((m) => ({ topic: m.topic, key: m.key, value: JSON.stringify(m.envelope) })));
  }

  /** Sends already-serialized records (outbox relay, dead letters); topic names are logical. */
  async sendRaw(records: RawRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.connect();
    const byTopic = new Map<string, RawRecord[]>();
    for (const r of records) {
      const list = byTopic.get(r.topic);
      if (list) list.push(r);
      else byTopic.set(r.topic, [r]);
    }
    await this.producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.None,
      topicMessages: [...byTopic.entries()].map(([topic, rs]) => ({
        topic: this.namer.physical(topic),
        messages: rs.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
      })),
    });
  }
}

import { randomUUID } from 'node:crypto';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import { SegmentChanged, SegmentImported, Topics } from '@audx/contracts';
import { TopicNamer } from '@audx/messaging';
import { kafkaAuth, testEnv } from '@audx/testing';

/** Collects every `segment.imported` chunk of this run, by import id, and every `segment.changed`. */
export class ChunkCollector {
  readonly byImport = new Map<string, SegmentImported[]>();
  /** `segment.changed` events, with their Kafka key and the envelope's org. */
  readonly segmentChanges: { key: string; orgId: string; payload: SegmentChanged }[] = [];
  private consumer: Consumer | null = null;

  async start(): Promise<this> {
    const env = testEnv();
    const namer = new TopicNamer(env.namespace);
    const kafka = new Kafka({ brokers: env.kafkaBrokers.split(','), ...kafkaAuth(), logLevel: logLevel.NOTHING });
    this.consumer = kafka.consumer({ groupId: namer.group(`collector-${randomUUID()}`) });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [namer.physical(Topics.segmentImported), namer.physical(Topics.segmentChanged)], fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        const envelope = JSON.parse(message.value!.toString()) as { orgId: string; payload: unknown };
        if (topic === namer.physical(Topics.segmentChanged)) {
          this.segmentChanges.push({ key: message.key!.toString(), orgId: envelope.orgId, payload: envelope.payload as SegmentChanged });
          return;
        }
        const payload = envelope.payload as SegmentImported;
        const seen = this.byImport.get(payload.importId);
        if (seen) seen.push(payload);
        else this.byImport.set(payload.importId, [payload]);
      },
    });
    return this;
  }

  chunks(importId: string): SegmentImported[] {
    return [...(this.byImport.get(importId) ?? [])].sort((a, b) => a.seq - b.seq);
  }

  members(importId: string) {
    return this.chunks(importId).flatMap((c) => c.members);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

export const vid = (n: number) => String(n).padStart(38, '0');

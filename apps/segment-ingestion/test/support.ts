import { randomUUID } from 'node:crypto';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import { SegmentImported, Topics } from '@audx/contracts';
import { TopicNamer } from '@audx/messaging';
import { kafkaAuth, testEnv } from '@audx/testing';

/** Collects every `segment.imported` chunk of this run, by import id. */
export class ChunkCollector {
  readonly byImport = new Map<string, SegmentImported[]>();
  private consumer: Consumer | null = null;

  async start(): Promise<this> {
    const env = testEnv();
    const namer = new TopicNamer(env.namespace);
    const kafka = new Kafka({ brokers: env.kafkaBrokers.split(','), ...kafkaAuth(), logLevel: logLevel.NOTHING });
    this.consumer = kafka.consumer({ groupId: namer.group(`collector-${randomUUID()}`) });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: namer.physical(Topics.segmentImported), fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        const payload = JSON.parse(message.value!.toString()).payload as SegmentImported;
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

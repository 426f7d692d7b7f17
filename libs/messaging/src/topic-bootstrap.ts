import { ALL_TOPICS, dlqOf, isCompacted } from '@audx/contracts';
import type { Kafka } from 'kafkajs';
import type { KafkaSettings, TopicNamer } from './kafka-client';

/** Creates every contract topic and its dead-letter topic; existing topics are left as they are. */
export async function ensureTopics(kafka: Kafka, namer: TopicNamer, settings: Pick<KafkaSettings, 'partitions' | 'replicationFactor'>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = ALL_TOPICS.flatMap((t) => [
      { topic: namer.physical(t), compacted: isCompacted(t) },
      { topic: namer.physical(dlqOf(t)), compacted: false },
    ]).filter((t) => !existing.has(t.topic));
    if (wanted.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: wanted.map((t) => ({
        topic: t.topic,
        numPartitions: settings.partitions,
        replicationFactor: settings.replicationFactor,
        configEntries: t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
      })),
    });
  } catch (err) {
    // Another service may have created them a moment ago.
    if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw err;
  } finally {
    await admin.disconnect();
  }
}

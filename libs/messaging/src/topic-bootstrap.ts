import { ALL_TOPICS, dlqOf, isCompacted } from '@audx/contracts';
import type { Kafka } from 'kafkajs';
import type { KafkaSettings, TopicNamer } from './kafka-client';

/**
 * Creates every contract topic and its dead-letter topic; existing topics are left as they are.
 * Answers 'not-allowed' when the principal may not create topics (a secured broker, where the
 * operator provisions them and a service sees only its own): the service goes on with those.
 */
export async function ensureTopics(kafka: Kafka, namer: TopicNamer, settings: Pick<KafkaSettings, 'partitions' | 'replicationFactor'>): Promise<'ok' | 'not-allowed'> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = ALL_TOPICS.flatMap((t) => [
      { topic: namer.physical(t), compacted: isCompacted(t) },
      { topic: namer.physical(dlqOf(t)), compacted: false },
    ]).filter((t) => !existing.has(t.topic));
    if (wanted.length === 0) return 'ok';
    await admin.createTopics({
      waitForLeaders: true,
      topics: wanted.map((t) => ({
        topic: t.topic,
        numPartitions: settings.partitions,
        replicationFactor: settings.replicationFactor,
        configEntries: t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
      })),
    });
    return 'ok';
  } catch (err) {
    if (isAuthorizationError(err)) return 'not-allowed';
    // Another service may have created them a moment ago.
    if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw err;
    return 'ok';
  } finally {
    await admin.disconnect();
  }
}

/** A refusal by the broker's authorizer, alone or among the errors of a multi-topic request. */
export function isAuthorizationError(err: unknown): boolean {
  const e = err as { type?: string; errors?: unknown[]; message?: string };
  if (e?.type === 'TOPIC_AUTHORIZATION_FAILED' || e?.type === 'CLUSTER_AUTHORIZATION_FAILED' || e?.type === 'GROUP_AUTHORIZATION_FAILED') return true;
  if (Array.isArray(e?.errors) && e.errors.length > 0) return e.errors.every(isAuthorizationError);
  return /not authorized|authorization failed/i.test(String(e?.message ?? ''));
}

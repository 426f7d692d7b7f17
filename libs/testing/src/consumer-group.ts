import type { Kafka } from 'kafkajs';
import { waitFor } from './wait';

/**
 * Waits until a consumer group (its physical name) has no member left. A SIGKILLed member stays in
 * the group until its session times out; a process joining before that can wait a whole rebalance
 * timeout for it, which on a loaded machine outlasts a test's patience.
 */
export async function waitForEmptyGroup(kafka: Kafka, physicalGroupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitFor(
      async () => {
        const { groups } = await admin.describeGroups([physicalGroupId]);
        return groups[0].members.length === 0;
      },
      { timeoutMs: 60000, intervalMs: 250, what: `consumer group ${physicalGroupId} empty` },
    );
  } finally {
    await admin.disconnect();
  }
}

/** Every topic of the public contract (system.md). Names are fixed: clients outside the repo use them. */
export const Topics = {
  segmentMembership: 'segment.membership',
  recipientUpserted: 'recipient.upserted',
  recipientDeleted: 'recipient.deleted',
  visitorIdentified: 'visitor.identified',
  segmentImported: 'segment.imported',
  segmentReconciled: 'segment.reconciled',
  listUpdated: 'list.updated',
  listExported: 'list.exported',
  audiencePublished: 'audience.published',
  /** Added 2026-12: publication asks for a share of the whole list when a delta does not apply. */
  audienceResync: 'audience.resync',
  datasourceChanged: 'datasource.changed',
  policyChanged: 'policy.changed',
  /** Added 2026-12: a segment's name and data usage labels, so the lists built from it carry the current labels. */
  segmentChanged: 'segment.changed',
  imsTokenRevoked: 'ims.token.revoked',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

export const ALL_TOPICS: readonly TopicName[] = Object.values(Topics);

/** Replicated state: the latest record per key is all that matters; a null value deletes it. */
export const COMPACTED_TOPICS = [Topics.datasourceChanged, Topics.policyChanged, Topics.segmentChanged] as const;
export type CompactedTopic = (typeof COMPACTED_TOPICS)[number];

export function isCompacted(topic: TopicName): topic is CompactedTopic {
  return (COMPACTED_TOPICS as readonly TopicName[]).includes(topic);
}

export function dlqOf(topic: TopicName): string {
  return `${topic}.dlq`;
}

export function isTopicName(value: string): value is TopicName {
  return (ALL_TOPICS as readonly string[]).includes(value);
}

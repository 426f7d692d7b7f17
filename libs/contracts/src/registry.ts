import { z } from 'zod';
import { Topics, TopicName } from './topics';
import { AudiencePublishedSchema, audiencePublishedExample } from './payloads/audience-published';
import { AudienceResyncSchema, audienceResyncExample } from './payloads/audience-resync';
import { ListExportedSchema, listExportedExample } from './payloads/list-exported';
import { ListUpdatedSchema, listUpdatedExample } from './payloads/list-updated';
import {
  RecipientDeletedSchema,
  RecipientUpsertedSchema,
  recipientDeletedExample,
  recipientUpsertedExample,
} from './payloads/recipient';
import {
  DatasourceChangedSchema,
  PolicyChangedSchema,
  datasourceChangedExample,
  policyChangedExample,
  SegmentChangedSchema,
  segmentChangedExample,
} from './payloads/replicated';
import { SegmentImportedSchema, segmentImportedExample } from './payloads/segment-imported';
import { SegmentMembershipSchema, segmentMembershipExample } from './payloads/segment-membership';
import { SegmentReconciledSchema, segmentReconciledExample } from './payloads/segment-reconciled';
import { TokenRevokedSchema, tokenRevokedExample } from './payloads/token-revoked';
import { VisitorIdentifiedSchema, visitorIdentifiedExample } from './payloads/visitor-identified';

/**
 * One row per topic: the payload schema, the message key (system.md fixes it, so producers never
 * choose it), the envelope `type`, and an example that the contract tests hold to the schema.
 */
function contract<S extends z.ZodTypeAny>(def: {
  type: string;
  schema: S;
  key: (payload: z.infer<S>, orgId: string) => string;
  example: z.infer<S>;
  /**
   * Producers outside the product write this topic: each event carries an IMS access token of its
   * org in the Kafka header `authorization`, with the scope the equivalent HTTP call needs.
   */
  outsideWriteScope?: string;
}) {
  return { version: 1, ...def };
}

export const TopicContracts = {
  [Topics.segmentMembership]: contract({
    type: 'SegmentMembershipObserved',
    schema: SegmentMembershipSchema,
    key: (p) => p.userId,
    example: segmentMembershipExample,
    outsideWriteScope: 'segments.import',
  }),
  [Topics.recipientUpserted]: contract({
    type: 'RecipientUpserted',
    schema: RecipientUpsertedSchema,
    key: (p) => p.recipientId,
    example: recipientUpsertedExample,
    outsideWriteScope: 'profiles.write',
  }),
  [Topics.recipientDeleted]: contract({
    type: 'RecipientDeleted',
    schema: RecipientDeletedSchema,
    key: (p) => p.recipientId,
    example: recipientDeletedExample,
    outsideWriteScope: 'profiles.write',
  }),
  [Topics.visitorIdentified]: contract({
    type: 'VisitorIdentified',
    schema: VisitorIdentifiedSchema,
    key: (p) => p.visitorId,
    example: visitorIdentifiedExample,
    outsideWriteScope: 'profiles.write',
  }),
  [Topics.segmentImported]: contract({
    type: 'SegmentImported',
    schema: SegmentImportedSchema,
    key: (p) => p.importId,
    example: segmentImportedExample,
  }),
  [Topics.segmentReconciled]: contract({
    type: 'SegmentReconciled',
    schema: SegmentReconciledSchema,
    key: (p) => p.importId,
    example: segmentReconciledExample,
  }),
  [Topics.listUpdated]: contract({
    type: 'ListUpdated',
    schema: ListUpdatedSchema,
    key: (p) => p.listId,
    example: listUpdatedExample,
  }),
  [Topics.listExported]: contract({
    type: 'ListExported',
    schema: ListExportedSchema,
    key: (p) => p.exportId,
    example: listExportedExample,
  }),
  [Topics.audiencePublished]: contract({
    type: 'AudiencePublished',
    schema: AudiencePublishedSchema,
    key: (p) => p.audienceId,
    example: audiencePublishedExample,
  }),
  [Topics.audienceResync]: contract({
    type: 'AudienceResyncRequested',
    schema: AudienceResyncSchema,
    key: (p) => p.audienceId,
    example: audienceResyncExample,
  }),
  [Topics.datasourceChanged]: contract({
    type: 'DatasourceChanged',
    schema: DatasourceChangedSchema,
    key: (p, orgId) => `${orgId}/${p.name}`,
    example: datasourceChangedExample,
  }),
  [Topics.policyChanged]: contract({
    type: 'PolicyChanged',
    schema: PolicyChangedSchema,
    key: (p, orgId) => `${orgId}/${p.name}`,
    example: policyChangedExample,
  }),
  [Topics.segmentChanged]: contract({
    type: 'SegmentChanged',
    schema: SegmentChangedSchema,
    key: (p, orgId) => `${orgId}/${p.name}`,
    example: segmentChangedExample,
  }),
  [Topics.imsTokenRevoked]: contract({
    type: 'TokenRevoked',
    schema: TokenRevokedSchema,
    key: (p) => p.jti,
    example: tokenRevokedExample,
  }),
} satisfies Record<TopicName, { schema: z.ZodTypeAny }>;

/** `PayloadOf<'segment.imported'>` is the exact payload type of that topic. */
export type PayloadOf<T extends TopicName> = z.infer<(typeof TopicContracts)[T]['schema']>;

export function contractOf<T extends TopicName>(topic: T) {
  return TopicContracts[topic];
}

/** The scope an outside producer's token needs to write the topic, or null for a topic only the product writes. */
export function outsideWriteScopeOf(topic: TopicName): string | null {
  const c: { outsideWriteScope?: string } = TopicContracts[topic];
  return c.outsideWriteScope ?? null;
}

export function messageKey<T extends TopicName>(topic: T, payload: PayloadOf<T>, orgId: string): string {
  const key = TopicContracts[topic].key as (p: PayloadOf<T>, org: string) => string;
  return key(payload, orgId);
}

import { z } from 'zod';
import { DataUsageLabelSchema, NonEmpty, OrgIdSchema, SegmentIdSchema } from './common';

/** A deny expression of AND/OR over data usage labels (domain.md). */
export type DenyExpression = { label: string } | { operator: 'AND' | 'OR'; operands: DenyExpression[] };
export const DenyExpressionSchema: z.ZodType<DenyExpression> = z.lazy(() =>
  z.union([
    z.object({ label: DataUsageLabelSchema }).strict(),
    z.object({ operator: z.enum(['AND', 'OR']), operands: z.array(DenyExpressionSchema).min(1).max(64) }).strict(),
  ]),
);

/** `datasource.changed`: the full record, or a deletion (`deleted: true`, or a Kafka tombstone). */
export const DatasourceChangedSchema = z.object({
  name: NonEmpty,
  deleted: z.boolean().optional(),
  record: z
    .object({
      label: z.string(),
      kind: z.enum(['visitor', 'declared']),
      reconciliationKey: z.string().nullable(),
      dpid: z.number().int().positive(),
      destinationId: z.number().int().nullable(),
      alias: z.string().nullable(),
      hash: z.enum(['none', 'sha256']),
      encrypted: z.boolean(),
      priority: z.number().int(),
      exportControls: z.array(z.string()),
    })
    .nullable(),
});
export type DatasourceChanged = z.infer<typeof DatasourceChangedSchema>;

export const PolicyChangedSchema = z.object({
  name: NonEmpty,
  deleted: z.boolean().optional(),
  record: z
    .object({ marketingAction: NonEmpty, status: z.enum(['ENABLED', 'DRAFT']), deny: DenyExpressionSchema })
    .nullable(),
});
export type PolicyChanged = z.infer<typeof PolicyChangedSchema>;

/**
 * `segment.changed`: a segment's metadata as segment-ingestion stores it (`name` is the segment id,
 * the key's name). `asOfSequence`: the last import accepted before the change; imports up to it
 * carried the earlier labels, so their late apply must not bring those back.
 */
export const SegmentChangedSchema = z.object({
  name: SegmentIdSchema,
  deleted: z.boolean().optional(),
  record: z
    .object({
      name: z.string().min(1).max(255),
      labels: z.array(DataUsageLabelSchema).max(100),
      asOfSequence: z.number().int().min(0),
    })
    .nullable(),
});
export type SegmentChanged = z.infer<typeof SegmentChangedSchema>;

export const segmentChangedExample: SegmentChanged = { name: '5000123', record: { name: 'Cart abandoners', labels: ['C2', 'I1'], asOfSequence: 4711 } };

export const datasourceChangedExample: DatasourceChanged = {
  name: 'crmHashedEmail',
  record: {
    label: 'CRM hashed email',
    kind: 'declared',
    reconciliationKey: 'email',
    dpid: 54321,
    destinationId: 777,
    alias: 'AdobeCampaignID',
    hash: 'sha256',
    encrypted: false,
    priority: 10,
    exportControls: ['C2'],
  },
};
export const policyChangedExample: PolicyChanged = {
  name: 'no-cross-site',
  record: {
    marketingAction: 'cloud-export',
    status: 'ENABLED',
    deny: { operator: 'AND', operands: [{ label: 'C1' }, { operator: 'OR', operands: [{ label: 'C3' }, { label: 'C7' }] }] },
  },
};

/** What a deletion on a compacted topic (`datasource.changed`, `policy.changed`, `segment.changed`) means to a replica. */
export interface ReplicatedDeletion {
  orgId: string;
  payload: { name: string; deleted: true; record: null };
}

/**
 * A Kafka tombstone (null value) on a compacted topic, keyed `<orgId>/<name>` as system.md fixes:
 * the same deletion as a `deleted: true` payload. Org ids never hold a '/', names may.
 */
export function replicatedTombstone(key: string | null): ReplicatedDeletion | { error: string } {
  if (!key) return { error: 'tombstone without a key (expected <orgId>/<name>)' };
  const slash = key.indexOf('/');
  const orgId = slash < 0 ? key : key.slice(0, slash);
  const name = slash < 0 ? '' : key.slice(slash + 1);
  if (!OrgIdSchema.safeParse(orgId).success) return { error: `tombstone key ${JSON.stringify(key.slice(0, 200))} does not begin with an org id` };
  if (!name) return { error: `tombstone key ${JSON.stringify(key.slice(0, 200))} names no record after the org id` };
  return { orgId, payload: { name, deleted: true, record: null } };
}

import { z } from 'zod';
import { NonEmpty, SegmentIdSchema } from './common';

/**
 * audience-publication could not apply a delta share (its base is not the audience's current
 * version): identity-reconciliation answers with a share of the whole list for the same audience.
 */
export const AudienceResyncSchema = z.object({
  exportId: NonEmpty,
  audienceId: NonEmpty,
  listId: NonEmpty,
  dataSource: NonEmpty,
  segmentId: SegmentIdSchema.nullable(),
  audienceName: z.string().nullable(),
  /** The export the delta was built on, and the one that produced the audience's current version (null: no version yet). */
  baseExportId: NonEmpty,
  currentExportId: z.string().nullable(),
});
export type AudienceResync = z.infer<typeof AudienceResyncSchema>;

export const audienceResyncExample: AudienceResync = {
  exportId: 'exp_02',
  audienceId: 'aud_01',
  listId: 'lst_01',
  dataSource: 'defaultDataSource',
  segmentId: '24',
  audienceName: null,
  baseExportId: 'exp_01',
  currentExportId: 'exp_00',
};

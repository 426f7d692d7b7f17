import { z } from 'zod';
import { NonEmpty, SegmentIdSchema } from './common';

const Count = z.number().int().nonnegative();

export const SegmentReconciledSchema = z.object({
  importId: NonEmpty,
  matched: Count,
  unmatched: Count,
  invalid: Count,
  lists: z.array(z.object({ listId: NonEmpty, segmentId: SegmentIdSchema, size: Count, added: Count, removed: Count })),
});
export type SegmentReconciled = z.infer<typeof SegmentReconciledSchema>;

export const segmentReconciledExample: SegmentReconciled = {
  importId: 'imp_01',
  matched: 1,
  unmatched: 0,
  invalid: 0,
  lists: [{ listId: 'lst_01', segmentId: '24', size: 1, added: 1, removed: 0 }],
};

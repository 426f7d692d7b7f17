import { z } from 'zod';
import { NonEmpty, SegmentIdSchema } from './common';

const Count = z.number().int().nonnegative();

export const SegmentReconciledSchema = z
  .object({
    importId: NonEmpty,
    matched: Count,
    unmatched: Count,
    invalid: Count,
    lists: z.array(z.object({ listId: NonEmpty, segmentId: SegmentIdSchema, size: Count, added: Count, removed: Count })),
    /** Present when the import was given up (failed or abandoned): nothing of it was applied. */
    failure: z.object({ reason: NonEmpty }).optional(),
  })
  .refine((p) => !p.failure || (p.matched + p.unmatched + p.invalid === 0 && p.lists.length === 0), {
    message: 'a failed reconciliation carries zero counts and no lists',
    path: ['failure'],
  });
export type SegmentReconciled = z.infer<typeof SegmentReconciledSchema>;

export const segmentReconciledExample: SegmentReconciled = {
  importId: 'imp_01',
  matched: 1,
  unmatched: 0,
  invalid: 0,
  lists: [{ listId: 'lst_01', segmentId: '24', size: 1, added: 1, removed: 0 }],
};

/** The report of an import that reconciliation gave up on: nothing applied, the reason said. */
export function reconciliationFailed(importId: string, reason: string): SegmentReconciled {
  return { importId, matched: 0, unmatched: 0, invalid: 0, lists: [], failure: { reason } };
}

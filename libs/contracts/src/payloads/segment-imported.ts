import { z } from 'zod';
import { NonEmpty, SegmentIdSchema } from './common';

export const ImportMemberSchema = z.object({
  userId: NonEmpty,
  add: z.array(SegmentIdSchema),
  remove: z.array(SegmentIdSchema),
});

export const ImportTotalsSchema = z.object({
  chunks: z.number().int().positive(),
  members: z.number().int().nonnegative(),
  invalidIds: z.number().int().nonnegative(),
});

export const SegmentImportedSchema = z
  .object({
    importId: NonEmpty,
    /**
     * Order of acceptance (monotonic across ingestion replicas). Chunks of different imports travel
     * on different partitions; the reconciler resolves every membership by the highest sequence, so
     * the list ends as the later-accepted import says whatever the order of arrival.
     */
    sequence: z.number().int().nonnegative(),
    dataSource: NonEmpty,
    mode: z.enum(['iter', 'full']),
    seq: z.number().int().nonnegative(),
    last: z.boolean(),
    /**
     * Segments referenced by this chunk's members, with their data usage labels. The last chunk
     * lists every segment of the import: in `full` mode these lists are replaced by the import.
     */
    segments: z.array(z.object({ segmentId: SegmentIdSchema, labels: z.array(z.string()) })),
    members: z.array(ImportMemberSchema),
    totals: ImportTotalsSchema.optional(),
  })
  // The reconciler knows an import is whole from the last chunk's totals: a `last` flag without
  // them would leave the import waiting forever, totals elsewhere would end it early.
  .superRefine((p, ctx) => {
    if (p.last && !p.totals) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['totals'], message: 'the last chunk must carry totals' });
    if (!p.last && p.totals) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['totals'], message: 'only the last chunk carries totals' });
    if (p.totals && p.seq !== p.totals.chunks - 1) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['seq'], message: 'the last chunk must have seq totals.chunks - 1' });
  });
export type SegmentImported = z.infer<typeof SegmentImportedSchema>;

export const segmentImportedExample: SegmentImported = {
  importId: 'imp_01',
  sequence: 1,
  dataSource: 'defaultDataSource',
  mode: 'iter',
  seq: 0,
  last: true,
  segments: [{ segmentId: '24', labels: ['C5'] }],
  members: [{ userId: '59767559181262060060278870901087098252', add: ['24'], remove: [] }],
  totals: { chunks: 1, members: 1, invalidIds: 0 },
};

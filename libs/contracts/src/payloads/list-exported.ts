import { z } from 'zod';
import { IsoDateSchema, NonEmpty, SegmentIdSchema } from './common';

const Count = z.number().int().nonnegative();

export const ListExportedSchema = z.object({
  exportId: NonEmpty,
  listId: NonEmpty,
  dataSource: NonEmpty,
  segmentId: SegmentIdSchema.nullable(),
  audienceName: z.string().nullable(),
  mode: z.enum(['incremental', 'full']),
  labels: z.array(z.string()),
  exportControls: z.array(z.string()),
  dpid: z.number().int().positive(),
  seq: z.number().int().nonnegative(),
  last: z.boolean(),
  /** Without `base`: every identifier of the list. With it: the identifiers added since the base export. */
  identifiers: z.array(NonEmpty),
  /**
   * Added 2026-12, delta shares: the export whose result this delta applies to (the audience's
   * current version must come from it, or publication refuses the delta and asks for a resync),
   * and the identifiers removed since then.
   */
  base: z.object({ exportId: NonEmpty }).optional(),
  removedIdentifiers: z.array(NonEmpty).optional(),
  /** When the share was requested: versions of an audience follow this order, whatever order exports assemble in. */
  sharedAt: IsoDateSchema.optional(),
  totals: z
    .object({
      chunks: z.number().int().positive(),
      members: Count,
      withIdentifier: Count,
      complement: Count,
      blocked: Count,
      identifiers: Count,
      /** Delta shares: how many identifiers the chunks carry as added and as removed. */
      added: Count.optional(),
      removed: Count.optional(),
    })
    .optional(),
});
export type ListExported = z.infer<typeof ListExportedSchema>;

export const listExportedExample: ListExported = {
  exportId: 'exp_01',
  listId: 'lst_01',
  dataSource: 'defaultDataSource',
  segmentId: '24',
  audienceName: null,
  mode: 'incremental',
  labels: ['C5'],
  exportControls: [],
  dpid: 12345,
  seq: 0,
  last: true,
  identifiers: ['59767559181262060060278870901087098252'],
  sharedAt: '2026-12-01T10:00:00.000Z',
  totals: { chunks: 1, members: 2, withIdentifier: 1, complement: 1, blocked: 0, identifiers: 1 },
};

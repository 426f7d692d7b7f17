import { z } from 'zod';
import { IsoDateSchema, NonEmpty, SegmentIdSchema } from './common';

export const SegmentMembershipSchema = z.object({
  dataSource: NonEmpty,
  userId: NonEmpty,
  // event producers may send the id as a JSON number
  segmentId: z.union([SegmentIdSchema, z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).transform(String)]),
  status: z.enum(['realized', 'exited']),
  observedAt: IsoDateSchema,
});
export type SegmentMembership = z.infer<typeof SegmentMembershipSchema>;

export const segmentMembershipExample: SegmentMembership = {
  dataSource: 'defaultDataSource',
  userId: '59767559181262060060278870901087098252',
  segmentId: '24',
  status: 'realized',
  observedAt: '2026-11-30T08:00:00.000Z',
};
